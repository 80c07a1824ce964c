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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import func, select, update

from . import (alerts, announce, attachments, audit, cases, checkpoints, facts, heartbeats, logins, mail, ratelimit,
               retries, rollups, tokens, uploads)
from . import wallclock
from .errors import EngineError
from .retries import transient
from .models import Case
from .routing import Actor
from .runtime import Runtime

log = logging.getLogger("jointreview.worker")


@dataclass
class SweepResult:
    fired: int = 0  # cases whose due timers fired (or that were marked failed because they cannot)
    failed: int = 0  # rounds (or, with `once`, other duties) stopped by an error outside any case
    postponed: int = 0  # cases whose firing a transient database error put off by RETRY_AFTER
    errors: list[str] = field(default_factory=list)  # with `once`: what failed for good, one line each

    def add(self, other: SweepResult) -> None:
        self.fired, self.failed, self.postponed = (self.fired + other.fired, self.failed + other.failed,
                                                   self.postponed + other.postponed)
        self.errors += other.errors


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
    try:
        fire_due(rt, actor, result, limit, now)
    except Exception as exc:  # noqa: BLE001 - e.g. the database went away: report it and try again later
        result.failed += 1
        log.error("timer firing failed: %s", retries.describe(exc))
    return result


def fire_due(rt: Runtime, actor: Actor, result: SweepResult, limit: int | None = None,
             now: datetime | None = None) -> None:
    """Fire due timers into `result` until none is due (or `limit` cases were handled); an error outside any case
    is raised, and what fired before it stays fired and counted."""
    for _ in range(SWEEP_BATCH if limit is None else limit):
        case_id, postponed = fire_next(rt, actor, now)
        if case_id is None:
            return
        if postponed:
            result.postponed += 1
        else:
            result.fired += 1


def drain(rt: Runtime, actor: Actor) -> SweepResult:
    """Fire every timer due when it starts, however many (`worker --once`), in rounds; a round that met a transient
    database error is tried again a few times (retries.attempt) before the drain stops and says why."""
    now, total = wallclock.now(), SweepResult()
    while True:
        result = SweepResult()
        try:
            retries.attempt("firing due timers", lambda: fire_due(rt, actor, result, now=now))
        except Exception as exc:  # noqa: BLE001 - reported in the result: the rounds before it stay done
            _failed_for_good(result, "firing due timers", exc)
        total.add(result)
        if result.failed or result.fired + result.postponed < SWEEP_BATCH:
            return total


def _failed_for_good(result: SweepResult, what: str, exc: BaseException) -> None:
    result.failed += 1
    result.errors.append(f"{what} failed: {retries.describe(exc)}"
                         + (f" (still after {retries.TRIES} tries)" if transient(exc) else ""))
    log.error("%s", result.errors[-1])


def _once(result: SweepResult, what: str, work: Callable[[], Any], tries: int | None = None) -> None:
    """One duty of `worker --once`, tried again after a transient database error (`tries` 1: a duty that retries
    its own transactions); a failure for good is recorded."""
    try:
        retries.attempt(what, work, tries)
    except Exception as exc:  # noqa: BLE001 - reported in the result; the other duties still run
        _failed_for_good(result, what, exc)


HOUSEKEEPING_EVERY = 3600.0
FACTS_EVERY = 5.0
ROLLUPS_EVERY = 60.0  # summing a month again costs seconds at a million cases: the figures lag a minute at most


def refresh_facts(rt: Runtime, rounds: int = 20, sum_months: bool = True) -> int:
    """Bring the figures' facts up to date with the audit log (a few batches per call), raise the
    stagnation alerts that are due and, with `sum_months`, sum the months whose facts changed."""
    try:
        return _refresh_facts(rt, rounds, sum_months)
    except Exception as exc:  # noqa: BLE001 - never stop the timers for the figures
        log.error("refreshing the figures or raising alerts failed: %s", retries.describe(exc))
        return 0


def _refresh_facts(rt: Runtime, rounds: int = 20, sum_months: bool = True) -> int:
    read = 0
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
    return read


def announce_all(rt: Runtime, rounds: int = 10) -> int:
    """Turn what the audit log recorded since the last call into notices (steps arriving, reminders,
    escalations, alerts); a few batches per call."""
    try:
        return _announce_batches(rt, rounds)
    except Exception as exc:  # noqa: BLE001 - never stop the timers for a notice
        log.error("announcing steps and alerts failed: %s", retries.describe(exc))
        return 0


def _announce_batches(rt: Runtime, rounds: int = 10) -> int:
    read = 0
    for _ in range(rounds):
        with rt.db.write() as session:
            batch = announce.refresh(session)
        read += batch
        if batch < announce.BATCH:
            break
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
        log.error("signing an audit checkpoint failed: %s", retries.describe(exc))
    try:
        return _tidy(rt)
    except Exception as exc:  # noqa: BLE001 - never stop the timers for a chore
        log.error("housekeeping failed: %s", retries.describe(exc))
        return 0


def _tidy(rt: Runtime) -> int:
    with rt.db.write() as session:
        mail.queue_digests(session, rt.calendar.tz)
    with rt.db.write() as session:
        return (tokens.forget_old_answers(session) + logins.forget_old_failures(session)
                + uploads.purge(session) + ratelimit.purge(session) + heartbeats.purge(session)
                + attachments.sweep(session, rt.attachments_dir))


def next_due(rt: Runtime) -> datetime | None:
    """The earliest due time of any running case (one index lookup)."""
    with rt.db.read() as session:
        return session.execute(select(func.min(Case.next_due_at)).where(Case.status == "running")).scalar_one()


def _pause(rt: Runtime, poll: float, result: SweepResult) -> float:
    """How long the loop sleeps: until the next due time, at most `poll`; a whole `poll` after a failed round or when
    the due time cannot be read (the database is away: do not hammer it, try again then)."""
    if result.failed:
        return poll
    try:
        due = next_due(rt)
    except Exception as exc:  # noqa: BLE001 - the next round tries again; the worker lives on
        log.error("reading the next due time failed: %s", retries.describe(exc))
        return poll
    return poll if due is None else max(0.0, min(poll, (due - wallclock.now()).total_seconds()))


def run(rt: Runtime, name: str = "worker", stop: threading.Event | None = None, poll: float = 0.5,
        once: bool = False) -> SweepResult:
    """Fire what is due, then sleep until the next due time (at most `poll` seconds), until `stop` is set.

    The chores (figures, notices, mail, housekeeping) run in a thread of their own, so that a long round of
    them never makes a timer late; with `once`, everything runs one time in order and every timer due at
    the start is fired."""
    stop = stop or threading.Event()
    actor = Actor.system(name)
    if once:
        return _run_once(rt, name, actor)
    chores = threading.Thread(target=_chores, args=(rt, stop, poll), daemon=True, name=f"{name}-chores")
    chores.start()
    total = SweepResult()
    beaten = float("-inf")
    try:
        while not stop.is_set():
            if time.monotonic() - beaten >= heartbeats.EVERY.total_seconds():
                beaten = time.monotonic()
                _beat(rt, name)
            result = sweep(rt, actor)
            total.add(result)
            wait = _pause(rt, poll, result)
            if wait:
                stop.wait(wait)
            elif result.fired == 0:
                time.sleep(0.01)
    finally:  # whatever ended the loop, its chores end too: they must not go on announcing for a worker gone
        stop.set()
        chores.join(timeout=60)
        _unbeat(rt, name)
    return total


def _run_once(rt: Runtime, name: str, actor: Actor) -> SweepResult:
    """Every duty one time, in order, each tried again after a transient database error; one that still fails is
    recorded in the result (with what went wrong) and the others run all the same."""
    total = SweepResult()
    _beat(rt, name)
    _once(total, "signing an audit checkpoint", lambda: sign_checkpoint(rt))
    _once(total, "housekeeping", lambda: _tidy(rt))
    _once(total, "refreshing the figures and alerts", lambda: _refresh_facts(rt))
    total.add(drain(rt, actor))
    _once(total, "announcing steps and alerts", lambda: _announce_batches(rt))
    _once(total, "sending mail", lambda: mail.send_due(rt.db), tries=1)  # sent mail is not sent again
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
        log.error("sending mail failed: %s", retries.describe(exc))


def _unbeat(rt: Runtime, name: str) -> None:
    try:
        with rt.db.write() as session:
            heartbeats.stop(session, name)
    except Exception as exc:  # noqa: BLE001 - stopping anyway; the heartbeat goes stale
        log.error("removing the heartbeat failed: %s", retries.describe(exc))


def _beat(rt: Runtime, name: str) -> None:
    try:
        with rt.db.write() as session:
            heartbeats.beat(session, name)
    except Exception as exc:  # noqa: BLE001 - a missed heartbeat never stops the timers
        log.error("writing the heartbeat failed: %s", retries.describe(exc))
