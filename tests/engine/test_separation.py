"""不相容岗位: a step marked `not_by_performer_of` is refused to the person who did the other step, for a
claim, a completion and a reassignment; other people do it as usual."""
from __future__ import annotations

import pytest

from engine import cases
from engine.errors import PermissionDenied
from factories import bpmn, claim, complete, make_users, opened, start
from engine import repository
from factories import SYSTEM

PROCESS = bpmn("four_eyes", """
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="approve"/>
  <bpmn:userTask id="approve" name="审批"/><bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="disburse"/>
  <bpmn:userTask id="disburse" name="发放"><bpmn:extensionElements><camunda:properties>
    <camunda:property name="not_by_performer_of" value="approve"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>
  <bpmn:sequenceFlow id="f3" sourceRef="disburse" targetRef="e"/><bpmn:endEvent id="e"/>""",
                  lanes={"EDU": ["s", "approve", "disburse", "e"]})


@pytest.fixture
def users(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"four_eyes.bpmn": PROCESS})
    return make_users(rt)


def test_the_approver_may_not_disburse_but_a_colleague_may(rt, users):
    first = start(rt, "four_eyes")
    approved = complete(rt, users["edu_reviewer"], opened(first)["approve"], {})
    disburse = opened(approved)["disburse"]
    with pytest.raises(PermissionDenied, match="不相容岗位"):
        claim(rt, users["edu_reviewer"], disburse)
    with pytest.raises(PermissionDenied, match="did '审批'"):
        complete(rt, users["edu_reviewer"], disburse, {})
    with pytest.raises(PermissionDenied):
        with rt.db.write() as session:
            cases.reassign(session, rt, users["edu_chief"], [disburse], "edu_reviewer", "他有空")
    done = complete(rt, users["edu_reviewer2"], disburse, {})
    assert done.status == "completed"


def test_a_refused_step_changes_nothing(rt, users):
    first = start(rt, "four_eyes")
    approved = complete(rt, users["edu_reviewer"], opened(first)["approve"], {})
    disburse = opened(approved)["disburse"]
    with pytest.raises(PermissionDenied):
        complete(rt, users["edu_reviewer"], disburse, {})
    claimed = claim(rt, users["edu_reviewer2"], disburse)
    assert claimed.assignee == "edu_reviewer2"


def test_the_property_must_name_another_user_task():
    from engine.definitions import compile_files
    from engine.errors import DeployError
    from engine.routing import Directory
    from zoneinfo import ZoneInfo
    broken = PROCESS.replace(b'value="approve"', b'value="nowhere"')
    with pytest.raises(DeployError) as refused:
        compile_files({"four_eyes.bpmn": broken}, Directory.standard().resolve, set(), set(), ZoneInfo("Asia/Shanghai"))
    assert "not_by_performer_of names 'nowhere', which is not another user task of this file" in str(refused.value.problems)
