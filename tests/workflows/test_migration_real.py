"""Migrating real admission cases (timers, parallel department checks, call activities in the process) to a new
version of admission_review: cases at different steps move and run to their end on it."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import migration, repository
from engine.definitions import read_files
from engine.models import Case, ProcessDefinition
from engine.routing import Actor
from workflows.walkthrough import BPMN
from world import World, opened


@pytest.fixture
def world(db_url):
    return World(db_url)


def test_admission_cases_at_different_steps_move_and_finish_on_the_new_version(world):
    at_decide = world.start("admission_review", world.person().admission())
    at_psb = world.start("admission_review", world.person("李娜", psb={"expires": "2025-01-31"}).admission())
    assert opened(at_decide).keys() == {"decide"} and opened(at_psb).keys() == {"review_psb"}
    files = read_files([BPMN])
    files["admission_review.bpmn"] = files["admission_review.bpmn"].replace("教育局审定".encode(), "教育局审定（新版）".encode())
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, Actor.system("test"), files, note="审定环节更名")
    with world.rt.db.read() as session:
        target, checks = migration.plan(session, world.rt, "admission_review")
    assert target.version == 2 and all(c.movable for c in checks) and len(checks) == 2
    with world.rt.db.read() as session:
        timers_before = {c.id: c.next_due_at for c in session.execute(select(Case)).scalars()}
    moved = migration.migrate(world.rt, Actor.system("test"), "admission_review")
    assert all(m.moved for m in moved)
    with world.rt.db.read() as session:
        assert {c.definition_id for c in session.execute(select(Case)).scalars()} == {target.id}
        # the SLA timers of the steps the cases wait at keep their due moments
        assert {c.id: c.next_due_at for c in session.execute(select(Case)).scalars()} == timers_before
        assert all(timers_before.values())
    with world.rt.db.read() as session:  # nothing moves back to an older version
        assert migration.plan(session, world.rt, "admission_review", version=1)[1] == []
    # the PSB reviewer confirms, then EDU decides on the step's new name, the appeal window passes: done
    out = world.complete("psb_reviewer", at_psb, "review_psb", psb_ok=True, residence_years=8,
                         psb_finding="居住证已续签")
    assert opened(out).keys() == {"decide"} and out.opened[0]["name"] == "教育局审定（新版）"
    for case in (at_decide, out):
        with world.rt.db.read() as session:
            from engine.models import Task
            task = session.execute(select(Task).where(Task.case_id == case.case_id, Task.state == "open")).scalar_one()
        assert task.name == "教育局审定（新版）"
        done = world.complete("edu_reviewer", task.id, decision="admit", school_assigned="文三街小学")
        due = world.data(done.case_id)["appeal_deadline"]
        with time_machine.travel(datetime.fromisoformat(due) + timedelta(seconds=1), tick=False):
            done = world.fire(done.case_id)
        assert done.status == "completed"
    with world.rt.db.read() as session:
        assert session.execute(select(ProcessDefinition.version).where(ProcessDefinition.id == target.id)).scalar_one() == 2
