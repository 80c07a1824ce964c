"""The worker and transient database errors: `worker --once` waits out a lock another session holds for a moment
(a round tried again after a short pause), and says plainly what failed when the lock is held past its retries; the
long-running worker lives through a transient error in any part of its round, and its chores thread never outlives
it; two workers starting on an emptied database both get to the figures."""
from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from engine import alerts, announce, facts, heartbeats, mail, retries, timers
from engine.cli import main
from engine.db import Database
from engine.models import Case, KpiProgress
from engine.routing import Actor, seed_departments
from engine.runtime import Runtime
from factories import deploy_fixtures, make_users
from test_timers import open_checks, reminders


@pytest.fixture
def quick(db_url, monkeypatch):
    """A runtime whose writes give up on a lock after 300 ms (SQLite's busy timeout, PostgreSQL's lock timeout), with
    three due reminders; the retries pause briefly."""
    monkeypatch.setenv("JOINTREVIEW_SQLITE_BUSY_TIMEOUT", "300ms")
    monkeypatch.setenv("JOINTREVIEW_PG_LOCK_TIMEOUT", "300ms")
    monkeypatch.setattr(retries, "BACKOFF", 0.2)
    rt = Runtime(Database(db_url))
    with rt.db.write() as session:
        seed_departments(session)
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    open_checks(rt, make_users(rt), 3, "PT0.2S")
    time.sleep(0.3)
    yield rt
    rt.db.dispose()


@contextmanager
def held(db_url: str):
    """Another session holding what a worker's round needs: SQLite's write lock (BEGIN IMMEDIATE), or on PostgreSQL
    the case table against the worker's claim (a case row is claimed with FOR UPDATE). Yields its release."""
    if db_url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(db_url).database, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        close = holder.close
    else:
        engine = create_engine(db_url)
        holder = engine.connect()
        holder.execute(text("LOCK TABLE cases IN EXCLUSIVE MODE"))

        def close() -> None:
            holder.close()
            engine.dispose()
    released = threading.Lock()

    def release() -> None:
        with released:
            if not getattr(release, "done", False):
                holder.rollback()
                close()
                release.done = True
    try:
        yield release
    finally:
        release()


def due(rt) -> int:
    with rt.db.read() as session:
        return session.execute(select(func.count()).select_from(Case).where(Case.next_due_at.is_not(None))).scalar()


def test_a_round_that_met_a_lock_held_for_a_moment_is_tried_again(quick, db_url, monkeypatch):
    monkeypatch.setattr(retries, "TRIES", 6)  # the release may come late on a loaded machine: tries until about 6 s
    with held(db_url) as release:
        threading.Timer(0.8, release).start()  # the other session commits a moment later
        result = timers.drain(quick, Actor.system("w-patient"))
    assert (result.fired, result.failed, result.errors) == (3, 0, [])
    assert sorted(n for _, n in reminders(quick)) == [1, 1, 1] and due(quick) == 0


def test_once_says_plainly_what_failed_when_the_lock_outlasts_the_retries(quick, db_url, capsys, monkeypatch):
    monkeypatch.setattr(retries, "TRIES", 2)
    with held(db_url):
        code = main(["--db", db_url, "worker", "--once", "--name", "w-stuck"])
    err = capsys.readouterr().err
    reason = "database is locked" if db_url.startswith("sqlite") else "canceling statement due to lock timeout"
    assert code == 1
    assert f"error: firing due timers failed: {reason} (still after 2 tries)" in err.splitlines(), err
    assert "Traceback" not in err
    assert due(quick) == 3 and reminders(quick) == []  # nothing half done: the next run fires them
    assert main(["--db", db_url, "worker", "--once", "--name", "w-next"]) == 0
    assert due(quick) == 0 and sorted(n for _, n in reminders(quick)) == [1, 1, 1]


def test_a_mistake_is_not_retried(quick, monkeypatch):
    """Only a transient error is worth a second try: a defect fails at once, and says what it was."""
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ValueError("no such column\nsecond line")

    monkeypatch.setattr(timers, "fire_next", broken)
    result = timers.drain(quick, Actor.system("w"))
    assert len(calls) == 1 and result.failed == 1
    assert result.errors == ["firing due timers failed: ValueError: no such column"]


def locked() -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))


def test_the_running_worker_lives_through_transient_errors_in_every_part_of_its_round(quick, monkeypatch):
    """Reading the next due time, the heartbeat, the figures and alerts, the notices and the mail each fail a few times
    (as while another session holds a lock): the worker logs it and goes on, and the timers still fire."""
    monkeypatch.setattr(heartbeats, "EVERY", timedelta(seconds=0.1))
    monkeypatch.setattr(timers, "FACTS_EVERY", 0.1)
    failures: dict[str, int] = {}

    def failing(name, real):
        def part(*args, **kwargs):
            failures[name] = failures.get(name, 0) + 1
            if failures[name] <= 3:
                raise locked()
            return real(*args, **kwargs)
        return part

    for module, name in ((timers, "next_due"), (heartbeats, "beat"), (alerts, "sweep"), (announce, "refresh"),
                         (mail, "send_due")):
        monkeypatch.setattr(module, name, failing(name, getattr(module, name)))
    stop, outcome = threading.Event(), {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", timers.run(quick, "w-live", stop, poll=0.1)))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while (len(reminders(quick)) < 3 or min(failures.values(), default=0) < 4) and worker.is_alive():
            assert time.monotonic() < deadline, f"timed out; calls so far: {failures}"
            time.sleep(0.05)
        assert worker.is_alive(), "the worker stopped"
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive() and not [t for t in threading.enumerate() if t.name == "w-live-chores"]
    assert sorted(n for _, n in reminders(quick)) == [1, 1, 1]
    assert set(failures) == {"next_due", "beat", "sweep", "refresh", "send_due"}, failures


def test_a_worker_whose_loop_ended_by_a_defect_takes_its_chores_with_it(quick, monkeypatch):
    """A defect that ends the loop ends the chores thread too: left behind, it went on announcing (with the real clock,
    into whatever database the URL now names) for a worker that no longer ran."""
    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(timers, "sweep", broken)
    with pytest.raises(RuntimeError):
        timers.run(quick, "w-defect", threading.Event(), poll=0.1)
    assert not [t for t in threading.enumerate() if t.name == "w-defect-chores"]


def test_a_busy_timeout_that_is_no_duration_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("JOINTREVIEW_SQLITE_BUSY_TIMEOUT", "soon")
    assert main(["--db", f"sqlite:///{tmp_path / 'jr.db'}", "worker", "--once"]) == 1
    assert capsys.readouterr().err == ("error: JOINTREVIEW_SQLITE_BUSY_TIMEOUT 'soon' is not a duration such as 30s "
                                       "or 500ms\n")
    monkeypatch.setenv("JOINTREVIEW_SQLITE_BUSY_TIMEOUT", "2s")
    db = Database(f"sqlite:///{tmp_path / 'jr.db'}")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000
    db.dispose()


def test_two_workers_starting_on_an_emptied_database_both_refresh_the_figures(rt):
    """The figures' watermark row is missing (migration 0015 makes it; a database emptied since has none): of two
    workers refreshing at once, the second waits for the first's new row and goes on, instead of failing on it (seen
    as `worker --once` exiting 1 in the two-worker scenario on PostgreSQL)."""
    with rt.db.write() as session:
        session.execute(delete(KpiProgress))
    outcome: dict = {}

    def second() -> None:
        try:
            with rt.db.write() as other:
                facts.refresh(other, rt)
            outcome["ok"] = True
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    with ExitStack() as first:
        facts.refresh(first.enter_context(rt.db.write()), rt)  # makes the row; not committed yet
        other = threading.Thread(target=second)
        other.start()
        time.sleep(0.5)  # the second one now waits for the first one's row (or, on SQLite, for its lock)
    other.join(30)
    assert outcome == {"ok": True}


def test_a_lost_race_is_told_from_another_database_error_by_one_rule():
    """`race`: the user may simply try again (Database.write says so); `transient`: the worker tries again later
    and never sets a case aside for it. A schema defect is no race, but no fault of the case either."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import OperationalError

    from engine import retries
    from engine.errors import Conflict

    locked = OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
    defect = OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x"))
    deadlock = OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock detected"))
    assert retries.race(locked) and retries.race(deadlock) and retries.race(sqlite3.OperationalError("database is locked"))
    assert not retries.race(defect) and retries.transient(defect)
    assert retries.transient(Conflict("another action changed the same data")) and not retries.race(ValueError("x"))
    assert not retries.transient(ValueError("a process model's own error"))


def test_two_workers_summing_the_figures_at_once_take_turns(rt):
    """Counting the open steps empties and refills kpi_open_steps: of two workers doing it at once, the second waits
    for the first and counts after it, instead of failing on the first's new rows (seen as `worker --once` exiting 1
    in the two-worker scenario on PostgreSQL: duplicate key in kpi_open_steps)."""
    from engine import rollups

    with rt.db.write() as session:
        seed_departments(session)
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    open_checks(rt, make_users(rt), 2, "P1D")
    with rt.db.write() as session:
        facts.refresh(session, rt, sum_months=False)
    outcome: dict = {}

    def second() -> None:
        try:
            with rt.db.write() as other:
                rollups.refresh(other, rt.calendar.tz)
            outcome["ok"] = True
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcome["error"] = exc

    with ExitStack() as first:
        session = first.enter_context(rt.db.write())
        rollups.refresh(session, rt.calendar.tz)  # counted, not committed yet
        assert rollups.open_counts(session, None, None), "there are open steps to count"
        other = threading.Thread(target=second)
        other.start()
        time.sleep(0.5)  # the second one now waits for the first one (on SQLite, for its write lock)
    other.join(30)
    assert outcome == {"ok": True}
