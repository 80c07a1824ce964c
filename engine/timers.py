"""Due timers: claim the cases whose next timer is due (index-backed) and fire them.

PostgreSQL: `FOR UPDATE SKIP LOCKED` lets several workers take different cases. SQLite: write
transactions start with BEGIN IMMEDIATE, so one worker at a time claims and fires. A worker killed
mid-way loses its uncommitted transaction only: the case keeps its due time and fires later.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from . import (alerts, announce, attachments, audit, cases, checkpoints, facts, heartbeats, logins, mail, ratelimit,
               rollups, tokens, uploads)
from . import wallclock
from .errors import Conflict, EngineError
from .models import Case
from .routing import Actor
from .runtime import Runtime

log = logging.getLogger("jointreview.worker")


@dataclass
class SweepResult:
    fired: int = 0  # cases whose due timers fired (or that were marked failed because they cannot)
    failed: int = 0  # rounds stopped by an error outside any case (e.g. the database went away)
    postponed: int = 0  # cases whose firing a transient database error put off by RETRY_AFTER

    def add(self, other: SweepResult) -> None:
        self.fired, self.failed, self.postponed = (self.fired + other.fired, self.failed + other.failed,
                                                   self.postponed + other.postponed)


def fire_next(rt: Runtime, actor: Actor, now: datetime | None = None) -> tuple[int | None, bool]:
    """Claim one case with a due timer and fire it in one transaction; returns its id (None when none is due)
    and whether a transient error postponed it."""
    now = now or wallclock.now()
    case_id = None
    try:
        with rt.db.write() as session:
            stmt = (select(Case.id).where(Case.next_due_at <= now, Case.status == "running")
                    .order_by(Case.next_due_at).limit(1).with_for_update(skip_locked=True))
            case_id = session.execute(stmt).scalar_one_or_none()
            if case_id is not None:
                cases.fire_timers(session, rt, case_id, actor)
    except Exception as exc:  # noqa: BLE001 - one broken case must never stop the timers of all the others
        if case_id is None:
            raise
        if transient(exc):
            _postpone(rt, case_id, now, exc)
            return case_id, True
        _set_aside(rt, case_id, actor, exc)
    return case_id, False


RETRY_AFTER = timedelta(seconds=30)


def transient(exc: BaseException) -> bool:
    """Whether firing failed for a reason outside the case: a race lost to another session (deadlock, a lock
    held past the lock timeout, a concurrent change) or a database connection that broke."""
    return isinstance(exc, (Conflict, OperationalError, InterfaceError)) or \
        (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _postpone(rt: Runtime, case_id: int, now: datetime, exc: BaseException) -> None:
    """The case keeps running and its timers are tried again RETRY_AFTER later; the others fire meanwhile."""
    message = exc.message if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
    log.warning("case #%s: timers could not fire now, trying again in %ss: %s", case_id,
                int(RETRY_AFTER.total_seconds()), message)
    with rt.db.write() as session:
        session.execute(update(Case).where(Case.id == case_id, Case.status == "running", Case.next_due_at <= now)
                        .values(next_due_at=now + RETRY_AFTER))


def _set_aside(rt: Runtime, case_id: int, actor: Actor, exc: Exception) -> None:
    """A case whose timers cannot fire is marked failed (and reported) so it never blocks the others."""
    message = exc.message if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
    log.error("case #%s: timers could not fire: %s", case_id, message)
    now = wallclock.now()
    with rt.db.write() as session:
        case = session.get(Case, case_id)
        case.status, case.error, case.next_due_at, case.updated_at = "failed", message, None, now
        case.version += 1
        audit.append(session, [audit.Event("case_failed", actor.username, {"error": message}, None,
                                           case.id, case.business_key)], now)


SWEEP_BATCH = 1000  # cases one round of the loop fires at most before it looks at mail, notices and figures


def sweep(rt: Runtime, actor: Actor, limit: int | None = None, now: datetime | None = None) -> SweepResult:
    """Fire due timers until none is due (or `limit` cases were handled); `now` fixes what counts as due."""
    result = SweepResult()
    for _ in range(SWEEP_BATCH if limit is None else limit):
        try:
            case_id, postponed = fire_next(rt, actor, now)
            if case_id is None:
                break
            if postponed:
                result.postponed += 1
            else:
                result.fired += 1
        except Exception as exc:  # noqa: BLE001 - e.g. the database went away: report it and try again later
            result.failed += 1
            log.error("timer firing failed: %s", exc)
            break
    return result


def drain(rt: Runtime, actor: Actor) -> SweepResult:
    """Fire every timer due when it starts, however many (`worker --once`); stops at the first failure."""
    now, total = wallclock.now(), SweepResult()
    while True:
        result = sweep(rt, actor, now=now)
        total.add(result)
        if result.failed or result.fired + result.postponed < SWEEP_BATCH:
            return total


HOUSEKEEPING_EVERY = 3600.0
FACTS_EVERY = 5.0
ROLLUPS_EVERY = 60.0  # summing a month again costs seconds at a million cases: the figures lag a minute at most


def refresh_facts(rt: Runtime, rounds: int = 20, sum_months: bool = True) -> int:
    """Bring the figures' facts up to date with the audit log (a few batches per call), raise the
    stagnation alerts that are due and, with `sum_months`, sum the months whose facts changed."""
    read = 0
    try:
        for _ in range(rounds):
            with rt.db.write() as session:
                batch = facts.refresh(session, rt, sum_months=False)
            read += batch
            if batch < facts.BATCH:
                break
        with rt.db.write() as session:
            alerts.sweep(session)
        if sum_months:
            with rt.db.write() as session:
                rollups.refresh(session, rt.calendar.tz)
    except Exception as exc:  # noqa: BLE001 - never stop the timers for the figures
        log.error("refreshing the figures or raising alerts failed: %s", exc)
    return read


def announce_all(rt: Runtime, rounds: int = 10) -> int:
    """Turn what the audit log recorded since the last call into notices (steps arriving, reminders,
    escalations, alerts); a few batches per call."""
    read = 0
    try:
        for _ in range(rounds):
            with rt.db.write() as session:
                batch = announce.refresh(session)
            read += batch
            if batch < announce.BATCH:
                break
    except Exception as exc:  # noqa: BLE001 - never stop the timers for a notice
        log.error("announcing steps and alerts failed: %s", exc)
    return read


def sign_checkpoint(rt: Runtime) -> checkpoints.Checkpoint | None:
    """Sign the audit chain's head when a signing key is configured (JOINTREVIEW_AUDIT_KEY), and append it
    to JOINTREVIEW_AUDIT_CHECKPOINT_FILE when that is set."""
    path = os.environ.get("JOINTREVIEW_AUDIT_KEY")
    if not path:
        return None
    key = checkpoints.load_key(path)
    with rt.db.write() as session:
        signed = checkpoints.sign(session, key)
    target = os.environ.get("JOINTREVIEW_AUDIT_CHECKPOINT_FILE")
    if target:
        checkpoints.export(signed, target)
    return signed


def housekeeping(rt: Runtime) -> int:
    """Hourly chores: forget the answers to API submissions past their retry window, old failed logins and
    designer uploads never deployed and attachment files no case names, and sign a checkpoint of the audit log."""
    try:
        sign_checkpoint(rt)
    except Exception as exc:  # noqa: BLE001 - never stop the timers for a chore
        log.error("signing an audit checkpoint failed: %s", exc)
    try:
        with rt.db.write() as session:
            mail.queue_digests(session, rt.calendar.tz)
        with rt.db.write() as session:
            return (tokens.forget_old_answers(session) + logins.forget_old_failures(session)
                    + uploads.purge(session) + ratelimit.purge(session) + heartbeats.purge(session)
                    + attachments.sweep(session, rt.attachments_dir))
    except Exception as exc:  # noqa: BLE001 - never stop the timers for a chore
        log.error("housekeeping failed: %s", exc)
        return 0


def next_due(rt: Runtime) -> datetime | None:
    """The earliest due time of any running case (one index lookup)."""
    with rt.db.read() as session:
        return session.execute(select(func.min(Case.next_due_at)).where(Case.status == "running")).scalar_one()


def run(rt: Runtime, name: str = "worker", stop: threading.Event | None = None, poll: float = 0.5,
        once: bool = False) -> SweepResult:
    """Fire what is due, then sleep until the next due time (at most `poll` seconds), until `stop` is set.

    The chores (figures, notices, mail, housekeeping) run in a thread of their own, so that a long round of
    them never makes a timer late; with `once`, everything runs one time in order and every timer due at
    the start is fired."""
    stop = stop or threading.Event()
    actor = Actor.system(name)
    if once:
        _beat(rt, name)
        housekeeping(rt)
        refresh_facts(rt)
        total = drain(rt, actor)
        _announce_and_mail(rt)
        _unbeat(rt, name)
        return total
    chores = threading.Thread(target=_chores, args=(rt, stop, poll), daemon=True, name=f"{name}-chores")
    chores.start()
    total = SweepResult()
    beaten = float("-inf")
    while not stop.is_set():
        if time.monotonic() - beaten >= heartbeats.EVERY.total_seconds():
            beaten = time.monotonic()
            _beat(rt, name)
        result = sweep(rt, actor)
        total.add(result)
        due = next_due(rt)
        wait = poll
        if due is not None:
            wait = max(0.0, min(poll, (due - wallclock.now()).total_seconds()))
        if wait:
            stop.wait(wait)
        elif result.fired == 0:
            time.sleep(0.01)
    chores.join(timeout=60)
    _unbeat(rt, name)
    return total


def _chores(rt: Runtime, stop: threading.Event, poll: float) -> None:
    """The worker's other duties, on their own clocks: housekeeping hourly, the figures' facts every few
    seconds (months summed every minute), notices and mail every round."""
    tidied = refreshed = summed = float("-inf")
    while not stop.is_set():
        if time.monotonic() - tidied >= HOUSEKEEPING_EVERY:
            tidied = time.monotonic()
            housekeeping(rt)
        if time.monotonic() - refreshed >= FACTS_EVERY:
            refreshed = time.monotonic()
            due = time.monotonic() - summed >= ROLLUPS_EVERY
            summed = time.monotonic() if due else summed
            refresh_facts(rt, sum_months=due)
        _announce_and_mail(rt)
        stop.wait(poll)


def _announce_and_mail(rt: Runtime) -> None:
    announce_all(rt)
    try:
        mail.send_due(rt.db)
    except Exception as exc:  # noqa: BLE001 - mail never stops the timers
        log.error("sending mail failed: %s", exc)


def _unbeat(rt: Runtime, name: str) -> None:
    try:
        with rt.db.write() as session:
            heartbeats.stop(session, name)
    except Exception as exc:  # noqa: BLE001 - stopping anyway; the heartbeat goes stale
        log.error("removing the heartbeat failed: %s", exc)


def _beat(rt: Runtime, name: str) -> None:
    try:
        with rt.db.write() as session:
            heartbeats.beat(session, name)
    except Exception as exc:  # noqa: BLE001 - a missed heartbeat never stops the timers
        log.error("writing the heartbeat failed: %s", exc)
