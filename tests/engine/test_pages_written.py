"""What a step writes on SQLite, read from the write-ahead log: the pages of each table and index a transaction
wrote. SQLite rewrites an index's entries whenever an UPDATE names one of its columns, changed or not, so a step
that leaves a running case running with the same next timer must not name the case's status or timer."""
import shutil
import struct
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

import engine.db as engine_db
from engine.db import Database
from engine.models import Case
from engine.routing import seed_departments
from engine.runtime import Runtime
from engine import repository
from factories import SYSTEM, bpmn, complete, deploy_fixtures, make_users, opened, start

FRAME_HEADER, WAL_HEADER = 24, 32


@pytest.fixture
def wal_rt(tmp_path, sqlite_template, monkeypatch):
    """A SQLite runtime that never checkpoints, so that every page written stays in the log."""
    path = tmp_path / "pages.db"
    shutil.copy(sqlite_template, path)
    monkeypatch.setattr(engine_db, "WAL_CHECKPOINT_PAGES", 0)
    db = Database(f"sqlite:///{path}")
    with db.write() as session:
        seed_departments(session)
    yield Runtime(db), path
    db.dispose()


def written_by(path, action) -> set[str]:
    """The tables and indexes whose pages `action` wrote."""
    wal = path.with_name(path.name + "-wal")
    before = wal.stat().st_size
    action()
    log = wal.read_bytes()
    with Database(f"sqlite:///{path}").engine.connect() as conn:
        page_size = conn.execute(text("PRAGMA page_size")).scalar()
        owners = dict(conn.execute(text("SELECT pageno, name FROM dbstat")).all())
    pages = set()
    offset = max(before, WAL_HEADER)
    while offset + FRAME_HEADER <= len(log):
        pages.add(struct.unpack(">I", log[offset:offset + 4])[0])
        offset += FRAME_HEADER + page_size
    return {owners.get(page, "?") for page in pages}


def case_row(rt, case_id):
    with rt.db.read() as session:
        return session.execute(select(Case.status, Case.next_due_at).where(Case.id == case_id)).one()


TWO_STEPS = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
             '<bpmn:userTask id="a" name="受理"/><bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>'
             '<bpmn:userTask id="b" name="审核"/><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e"/>'
             '<bpmn:endEvent id="e"/>')


def test_a_step_that_changes_neither_status_nor_timer_leaves_their_indexes_alone(wal_rt):
    rt, path = wal_rt
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"steps.bpmn": bpmn("steps", TWO_STEPS, {"教育局": ["a", "b"]})})
    users = make_users(rt)
    out = start(rt, "steps", {})
    names = written_by(path, lambda: complete(rt, users["edu_reviewer"], opened(out)["a"], {}))
    assert {"cases", "tasks", "audit_log"} <= names  # the step was written
    assert not names & {"ix_cases_status", "ix_cases_next_due_at"}
    assert case_row(rt, out.case_id) == ("running", None)


def test_a_step_that_sets_or_clears_a_timer_writes_it(wal_rt):
    rt, path = wal_rt
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    out = start(rt, "sla_two_lane", {"remind_after": "P3D"})
    assert case_row(rt, out.case_id) == ("running", None)
    names = written_by(path, lambda: complete(rt, users["edu_reviewer"], opened(out)["intake"], {}))
    assert "ix_cases_next_due_at" in names and "ix_cases_status" not in names
    status, due = case_row(rt, out.case_id)
    assert status == "running" and due.replace(tzinfo=timezone.utc) > datetime.now(timezone.utc)
    out = start(rt, "sla_two_lane", {"remind_after": "P3D"})
    second = complete(rt, users["edu_reviewer"], opened(out)["intake"], {})
    names = written_by(path, lambda: complete(rt, users["psb_reviewer"], opened(second)["check"], {}))
    assert {"ix_cases_next_due_at", "ix_cases_status"} <= names
    assert case_row(rt, out.case_id) == ("completed", None)
