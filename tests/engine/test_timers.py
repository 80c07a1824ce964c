"""The timer worker: due timers fire about a second after they are due, and a killed worker loses nothing."""
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from engine import cases, heartbeats, timers, wallclock
from engine.models import AuditEntry, Case, Task
from engine.routing import Actor
from factories import complete, deploy_fixtures, make_users, opened, start


def worker(db_url: str, name: str, *extra: str) -> subprocess.Popen:
    """A real `jointreview worker` process."""
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "--db", db_url, "worker", "--name", name, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def reminders(rt) -> list[tuple[int, int]]:
    with rt.db.read() as session:
        return session.execute(select(AuditEntry.case_id, func.count()).where(AuditEntry.event == "reminder")
                               .group_by(AuditEntry.case_id)).all()


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def beating(rt, name: str) -> bool:
    """Whether the worker called `name` has started its loop (its first heartbeat is written)."""
    with rt.db.read() as session:
        return any(w.name.startswith(f"{name}@") for w in heartbeats.listed(session))


def open_checks(rt, users, count, remind_after):
    ids = []
    for _ in range(count):
        out = start(rt, "sla_two_lane", {"remind_after": remind_after})
        out = complete(rt, users["edu_reviewer"], opened(out)["intake"], {})
        ids.append(opened(out)["check"])
    return ids


def unreminded(rt, counts, proc) -> str:
    """What a failure of the killed-worker test needs to be understood: the cases without exactly one reminder
    (status, error, due time) and what the killed worker printed."""
    with rt.db.read() as session:
        rows = session.execute(select(Case.id, Case.status, Case.error, Case.next_due_at)).all()
    seen = dict(counts)
    odd = [(row.id, row.status, row.error, row.next_due_at, seen.get(row.id, 0)) for row in rows if seen.get(row.id) != 1]
    return f"cases without exactly one reminder: {odd}; the killed worker printed: {proc.stdout.read()!r}"


def test_running_worker_fires_within_about_a_second(rt, db_url):
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    proc = worker(db_url, "w-latency", "--poll", "0.5")
    try:
        wait_until(lambda: beating(rt, "w-latency"))  # measure the polling, not how long the process takes to start
        open_checks(rt, users, 3, "PT1S")
        with rt.db.read() as session:
            due = session.execute(select(func.max(Case.next_due_at))).scalar()
        deadline = time.time() + 10
        while len(reminders(rt)) < 3 and time.time() < deadline:
            time.sleep(0.05)
        with rt.db.read() as session:
            fired_at = session.execute(select(func.max(AuditEntry.at)).where(AuditEntry.event == "reminder")).scalar()
    finally:
        proc.terminate()
        proc.wait(10)
    assert [n for _, n in reminders(rt)] == [1, 1, 1]
    assert (fired_at - due).total_seconds() < 2.5  # polls every 0.5 s; generous for a loaded 2-core CI machine


def test_killed_worker_loses_nothing(rt, db_url, monkeypatch):
    monkeypatch.setattr(timers, "RETRY_AFTER", timedelta(seconds=1))  # a firing a lock wait aborted is tried again soon
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    open_checks(rt, users, 120, "PT0.5S")
    time.sleep(0.6)
    proc = worker(db_url, "w-doomed", "--once")
    wait_until(lambda: reminders(rt) or proc.poll() is not None)  # killed while it fires, however slow its start
    proc.kill()  # SIGKILL
    proc.wait(10)
    # the survivor polls as a worker does: PostgreSQL may hold the killed worker's row lock for a moment after the
    # kill (until its server process sees the closed socket): the survivor skips a locked case until then, and puts
    # off one whose firing waited for another lock past the lock timeout (10 s)
    deadline = time.time() + 25
    while True:
        assert timers.sweep(rt, Actor.system("w-survivor")).failed == 0
        with rt.db.read() as session:
            left = session.execute(select(func.count()).select_from(Case).where(Case.next_due_at.is_not(None))).scalar()
        if not left or time.time() > deadline:
            break
        time.sleep(0.1)
    counts = reminders(rt)
    assert len(counts) == 120 and all(n == 1 for _, n in counts), unreminded(rt, counts, proc)
    with rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(Case).where(Case.next_due_at.is_not(None))).scalar() == 0


def test_once_drains_everything_due_in_rounds(rt, monkeypatch):
    """`worker --once` fires every timer due when it starts, in as many rounds as it takes."""
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    monkeypatch.setattr(timers, "SWEEP_BATCH", 5)
    open_checks(rt, users, 12, "PT1S")  # long enough that no reminder falls due inside the step that set it
    time.sleep(1.3)
    result = timers.run(rt, "w-once", once=True)
    assert (result.fired, result.failed) == (12, 0)
    assert sorted(n for _, n in reminders(rt)) == [1] * 12


def test_cases_run_as_of_a_past_moment_on_the_engine_clock(rt):
    """wallclock.travel (what the demo uses, with no test tool patching the wall clock): a reminder due an hour
    after a step opened in the past has not fired half an hour later, fires when the clock reaches it, and is
    recorded at that moment."""
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    opened_at = datetime(2025, 3, 3, 9, tzinfo=timezone.utc)  # a Monday
    with wallclock.travel(opened_at):
        check = open_checks(rt, users, 1, "PT1H")[0]
    with rt.db.read() as session:
        case = session.execute(select(Case)).scalar_one()
        assert case.next_due_at.replace(tzinfo=timezone.utc) == opened_at + timedelta(hours=1)
    with wallclock.travel(opened_at + timedelta(minutes=30)):
        assert timers.sweep(rt, Actor.system("w")).fired == 0
        with rt.db.write() as session:  # even a forced refresh finds the reminder not yet due
            cases.fire_timers(session, rt, case.id)
        assert reminders(rt) == []
    reminded_at = opened_at + timedelta(hours=1, minutes=5)
    with wallclock.travel(reminded_at):
        assert timers.sweep(rt, Actor.system("w")).fired == 1
    assert [n for _, n in reminders(rt)] == [1]
    with rt.db.read() as session:
        at = session.execute(select(AuditEntry.at).where(AuditEntry.event == "reminder")).scalar_one()
        assert at.replace(tzinfo=timezone.utc) == reminded_at
        assert session.get(Task, check).state == "open"


def test_a_timer_fires_at_the_moment_it_is_due(rt):
    """On a clock standing at the very moment a reminder is due (the demo builds its data so), the reminder fires
    once and is no longer due: it was due to the worker (next_due_at <= now) but not to the step (due < now), so
    the worker fired the case again and again, 10,000 times in a demo build."""
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    opened_at = datetime(2025, 3, 3, 9, tzinfo=timezone.utc)  # a Monday
    with wallclock.travel(opened_at):
        open_checks(rt, users, 1, "PT1H")
    with wallclock.travel(opened_at + timedelta(hours=1)):
        assert timers.sweep(rt, Actor.system("w"), limit=5).fired == 1
        assert timers.sweep(rt, Actor.system("w"), limit=5).fired == 0
    assert [n for _, n in reminders(rt)] == [1]


def test_a_lock_held_elsewhere_postpones_the_timer_and_never_fails_the_case(pg_schema_url, monkeypatch):
    """A transient database error while a timer fires (here: the audit chain's head is locked by another session for
    longer than the lock timeout) is no fault of the case: it stays running, its timer is tried again a little later,
    and the other cases' timers fire meanwhile."""
    from tests.conftest import _clean_postgres
    from engine.db import Database
    from engine.routing import seed_departments
    from engine.runtime import Runtime
    from sqlalchemy import create_engine, text

    _clean_postgres(pg_schema_url)
    monkeypatch.setenv("JOINTREVIEW_PG_LOCK_TIMEOUT", "300ms")
    rt = Runtime(Database(pg_schema_url))
    try:
        with rt.db.write() as session:
            seed_departments(session)
        deploy_fixtures(rt, "sla_two_lane.bpmn")
        users = make_users(rt)
        open_checks(rt, users, 2, "PT0.2S")
        time.sleep(0.3)
        holder = create_engine(pg_schema_url).connect()
        try:
            holder.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
            result = timers.sweep(rt, Actor.system("w-blocked"))
        finally:
            holder.rollback()
            holder.close()
        with rt.db.read() as session:
            rows = session.execute(select(Case.status, Case.next_due_at)).all()
            failed = session.execute(select(func.count()).where(AuditEntry.event == "case_failed")).scalar()
        assert [status for status, _ in rows] == ["running", "running"] and failed == 0
        assert all(due is not None for _, due in rows)  # still to fire
        assert (result.fired, result.postponed, result.failed) == (0, 2, 0)
        later = wallclock.now() + timers.RETRY_AFTER + timedelta(seconds=1)
        assert timers.sweep(rt, Actor.system("w-later"), now=later).fired == 2
        assert sorted(n for _, n in reminders(rt)) == [1, 1]
    finally:
        rt.db.dispose()


def test_a_lost_race_while_firing_never_marks_the_case_failed(rt, monkeypatch):
    """The database aborts the firing transaction once (a lock timeout, as after a killed worker): the case is not
    marked failed, as a case whose timers cannot fire is; it fires on the next try."""
    import psycopg

    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    open_checks(rt, users, 1, "PT0.2S")
    time.sleep(0.3)
    real, calls = cases.fire_timers, []

    def once_aborted(session, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
        return real(session, *args, **kwargs)

    monkeypatch.setattr(cases, "fire_timers", once_aborted)
    first = timers.sweep(rt, Actor.system("w"))
    with rt.db.read() as session:
        assert session.execute(select(Case.status)).scalar_one() == "running"
    assert (first.fired, first.postponed, first.failed) == (0, 1, 0)
    later = timers.sweep(rt, Actor.system("w"), now=wallclock.now() + timers.RETRY_AFTER)
    assert (later.fired, later.postponed) == (1, 0) and [n for _, n in reminders(rt)] == [1]
