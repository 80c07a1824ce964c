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


def test_killed_worker_loses_nothing(rt, db_url):
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    open_checks(rt, users, 120, "PT0.5S")
    time.sleep(0.6)
    proc = worker(db_url, "w-doomed", "--once")
    wait_until(lambda: reminders(rt) or proc.poll() is not None)  # killed while it fires, however slow its start
    proc.kill()  # SIGKILL
    proc.wait(10)
    # the survivor polls as a worker does: PostgreSQL may hold the killed worker's row lock for a moment after the
    # kill (until its server process sees the closed socket), and the survivor skips a locked case until then
    deadline = time.time() + 10
    while True:
        assert timers.sweep(rt, Actor.system("w-survivor")).failed == 0
        with rt.db.read() as session:
            left = session.execute(select(func.count()).select_from(Case).where(Case.next_due_at.is_not(None))).scalar()
        if not left or time.time() > deadline:
            break
        time.sleep(0.1)
    counts = reminders(rt)
    assert len(counts) == 120 and all(n == 1 for _, n in counts)
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
