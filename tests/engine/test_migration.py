"""Migrating running cases to a newer version: the dry run says which can move and why not, renamed steps can be
mapped, the move is audited per case, and moved cases run to their end on the new version (SQLite and PostgreSQL)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine import cases, migration, repository
from engine.errors import InvalidInput
from engine.models import AuditEntry, Case, ProcessDefinition, Task
from tests.factories import SYSTEM, bpmn, make_users

LANES_V1 = {"EDU": ["s", "a", "b", "e"], "PSB": ["c"]}
V1 = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:userTask id="a" name="受理" camunda:dueDate="workdays(3)"/><bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
  <bpmn:userTask id="b" name="复核"/><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="c"/>
  <bpmn:userTask id="c" name="核验"/><bpmn:sequenceFlow id="f4" sourceRef="c" targetRef="e"/><bpmn:endEvent id="e"/>"""
LANES_V2 = {"EDU": ["s", "a", "b2", "e"], "PSB": ["c", "d"]}
V2 = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
  <bpmn:userTask id="a" name="受理登记" camunda:dueDate="workdays(3)"/><bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b2"/>
  <bpmn:userTask id="b2" name="科室复核"/><bpmn:sequenceFlow id="f3" sourceRef="b2" targetRef="c"/>
  <bpmn:userTask id="c" name="核验"/><bpmn:sequenceFlow id="f4" sourceRef="c" targetRef="d"/>
  <bpmn:userTask id="d" name="结果确认"/><bpmn:sequenceFlow id="f5" sourceRef="d" targetRef="e"/><bpmn:endEvent id="e"/>"""


def deploy(rt, body, lanes):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"mig.bpmn": bpmn("mig", body, lanes, "迁移测试")})


def open_task(rt, key):
    with rt.db.read() as session:
        return session.execute(select(Task).join(Case, Case.id == Task.case_id).where(
            Case.business_key == key, Task.state == "open")).scalar_one()


def run(rt, users, key, user):
    task = open_task(rt, key)
    with rt.db.write() as session:
        return cases.complete(session, rt, users[user], task.id, {})


@pytest.fixture
def waiting(rt):
    """Three cases of v1 waiting at a, b and c; then v2 is deployed (b renamed b2, d added after c)."""
    users = make_users(rt)
    deploy(rt, V1, LANES_V1)
    keys = {}
    for step, done in (("a", 0), ("b", 1), ("c", 2)):
        with rt.db.write() as session:
            out = cases.start(session, rt, SYSTEM, "mig", {}, business_key=f"MIG-{step.upper()}")
        for user in ("edu_reviewer", "edu_reviewer")[:done]:
            out = run(rt, users, out.business_key, user)
        keys[step] = f"MIG-{step.upper()}"
        assert open_task(rt, keys[step]).element_id == step
    with rt.db.write() as session:
        cases.claim(session, rt, users["psb_reviewer"], open_task(rt, "MIG-C").id)
    deploy(rt, V2, LANES_V2)
    return users, keys


def test_the_dry_run_names_a_step_the_new_version_lacks_and_a_mapping_fixes_it(rt, waiting):
    with rt.db.read() as session:
        target, checks = migration.plan(session, rt, "mig")
    assert target.version == 2
    by_key = {c.business_key: c for c in checks}
    assert by_key["MIG-A"].movable and by_key["MIG-C"].movable
    assert by_key["MIG-B"].reasons == ["its current step “复核” (b) does not exist in version 2; map it to a step of "
                                       "that version"]
    _, said = by_key["MIG-B"].codes[0]  # the step by what identifies it, in the case's version
    with rt.db.read() as session:
        case_version = session.execute(select(Case.definition_id).where(Case.business_key == "MIG-B")).scalar_one()
    assert (said["step"].process_key, said["step"].element_id, said["step"].definition_id) == ("mig", "b", case_version)
    with rt.db.read() as session:
        _, checks = migration.plan(session, rt, "mig", {"b": "b2"})
    assert all(c.movable for c in checks) and len(checks) == 3
    with pytest.raises(InvalidInput, match="the step 'bx' that 'b' is mapped to is not in the new version"):
        with rt.db.read() as session:
            migration.plan(session, rt, "mig", {"b": "bx"})


def test_cases_at_three_steps_move_and_run_to_the_end_on_the_new_version(rt, waiting):
    users, keys = waiting
    claimed_before = open_task(rt, "MIG-C")
    moved = migration.migrate(rt, SYSTEM, "mig", {"b": "b2"})
    assert sorted((m.business_key, m.moved) for m in moved) == [("MIG-A", True), ("MIG-B", True), ("MIG-C", True)]
    with rt.db.read() as session:
        v2 = session.execute(select(ProcessDefinition.id).where(ProcessDefinition.version == 2)).scalar_one()
        assert {c.definition_id for c in session.execute(select(Case)).scalars()} == {v2}
        entries = [json.loads(e.details) for e in session.execute(
            select(AuditEntry).where(AuditEntry.event == "case_migrated")).scalars()]
    assert len(entries) == 3 and {(e["from_version"], e["to_version"]) for e in entries} == {(1, 2)}
    # the waiting steps keep their inbox rows, claims and due dates; a renamed one shows its new name
    a, b, c = (open_task(rt, keys[s]) for s in "abc")
    assert (a.element_id, a.name) == ("a", "受理登记") and (b.element_id, b.name) == ("b2", "科室复核")
    assert c.id == claimed_before.id and c.assignee == "psb_reviewer" and c.due_at == claimed_before.due_at
    # and they run to the end on v2: through the new step d
    for key, path in ((keys["a"], ["edu_reviewer", "edu_reviewer", "psb_reviewer", "psb_reviewer"]),
                      (keys["b"], ["edu_reviewer", "psb_reviewer", "psb_reviewer"]),
                      (keys["c"], ["psb_reviewer", "psb_reviewer"])):
        seen = []
        for user in path:
            seen.append(open_task(rt, key).element_id)
            out = run(rt, users, key, user)
        assert out.status == "completed" and seen[-1] == "d", (key, seen)


def test_only_the_named_cases_move_and_a_case_that_cannot_is_left_alone(rt, waiting):
    moved = migration.migrate(rt, SYSTEM, "mig", keys=["MIG-A", "MIG-B"])
    assert [(m.business_key, m.moved) for m in moved] == [("MIG-A", True), ("MIG-B", False)]
    assert "does not exist in version 2" in moved[1].reasons[0]
    assert open_task(rt, "MIG-B").element_id == "b"
    with rt.db.read() as session:
        _, checks = migration.plan(session, rt, "mig")
    assert sorted(c.business_key for c in checks) == ["MIG-B", "MIG-C"]


def test_migrate_on_the_command_line(rt, waiting, capsys):
    from engine.cli import main

    url = rt.db.url
    capsys.readouterr()
    assert main(["--db", url, "migrate", "mig", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "mig: 3 running case(s) on other versions; target version 2" in text
    assert "MIG-B" in text and "cannot move: its current step “复核” (b) does not exist in version 2" in text
    assert main(["--db", url, "migrate", "mig", "--map", "b=b2x"]) == 1
    assert "the step 'b2x' that 'b' is mapped to is not in the new version" in capsys.readouterr().err
    assert main(["--db", url, "migrate", "mig", "--map", "b"]) == 1
    assert "mapping 'b': expected OLD_STEP=NEW_STEP" in capsys.readouterr().err
    assert main(["--db", url, "migrate", "mig", "--map", "b=b2", "--user", ""]) == 0
    assert "3 of 3 case(s) moved" in capsys.readouterr().out
