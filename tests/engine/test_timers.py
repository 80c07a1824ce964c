"""The timer worker: due timers fire about a second after they are due, and a killed worker loses nothing."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from engine import timers
from engine.models import AuditEntry, Case
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
        time.sleep(1.0)
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
    assert (fired_at - due).total_seconds() < 1.5


def test_killed_worker_loses_nothing(rt, db_url):
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    open_checks(rt, users, 120, "PT0.5S")
    time.sleep(0.6)
    proc = worker(db_url, "w-doomed", "--once")
    time.sleep(0.8)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert timers.sweep(rt, Actor.system("w-survivor")).failed == 0
    counts = reminders(rt)
    assert len(counts) == 120 and all(n == 1 for _, n in counts)
    with rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(Case).where(Case.next_due_at.is_not(None))).scalar() == 0


def test_once_drains_everything_due_in_rounds(rt, monkeypatch):
    """`worker --once` fires every timer due when it starts, in as many rounds as it takes."""
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    monkeypatch.setattr(timers, "SWEEP_BATCH", 5)
    open_checks(rt, users, 12, "PT0.1S")
    time.sleep(0.2)
    result = timers.run(rt, "w-once", once=True)
    assert (result.fired, result.failed) == (12, 0)
    assert sorted(n for _, n in reminders(rt)) == [1] * 12
