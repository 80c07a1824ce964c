"""抄送: by design (`cc` on a step, when it is completed) or by the holder; the people copied see the case
read-only in their list, are notified once, and reading is recorded."""
from __future__ import annotations

import pytest

from engine import copies, notices, repository
from engine.errors import InvalidInput, PermissionDenied
from factories import SYSTEM, bpmn, claim, complete, make_users, opened, start

PROCESS = bpmn("cc_flow", """
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="pay"/>
  <bpmn:userTask id="pay" name="资金发放"><bpmn:extensionElements><camunda:properties>
    <camunda:property name="cc" value="PSB"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="pay" targetRef="after"/>
  <bpmn:userTask id="after" name="归档"/><bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/><bpmn:endEvent id="e"/>""",
              lanes={"EDU": ["s", "pay", "after", "e"]})


@pytest.fixture
def users(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"cc_flow.bpmn": PROCESS})
    return make_users(rt)


def test_a_step_copies_by_design_when_completed(rt, users):
    first = start(rt, "cc_flow")
    done = complete(rt, users["edu_reviewer"], opened(first)["pay"], {})
    with rt.db.read() as session:
        assert [key for _, key in copies.mine(session, "psb_reviewer")] == [done.business_key]
        assert copies.copied_to(session, "psb_chief", done.case_id)
        assert [n.kind for n in notices.recent(session, "psb_reviewer")] == ["copied"]
        assert not copies.copied_to(session, "hud_reviewer", done.case_id)
    with rt.db.write() as session:
        assert copies.mark_read(session, "psb_reviewer", done.case_id) == 1
    with rt.db.read() as session:
        [(row, _)] = copies.mine(session, "psb_reviewer")
        assert row.read_at is not None and row.from_step == "资金发放"


def test_the_holder_copies_people_and_departments_once_each(rt, users):
    first = start(rt, "cc_flow")
    task = opened(first)["pay"]
    claim(rt, users["edu_reviewer"], task)
    with rt.db.write() as session:
        assert copies.add(session, users["edu_reviewer"], task, ["HUD", "psb_chief"], "请知悉") == 2
    with rt.db.write() as session:
        assert copies.add(session, users["edu_reviewer"], task, ["HUD"]) == 0  # nobody twice
    with pytest.raises(InvalidInput):
        with rt.db.write() as session:
            copies.add(session, users["edu_reviewer"], task, ["NOWHERE"])
    with pytest.raises(PermissionDenied):
        with rt.db.write() as session:
            copies.add(session, users["edu_reviewer2"], task, ["HUD"])  # not the holder


def test_cc_must_name_departments_at_deploy():
    from zoneinfo import ZoneInfo
    from engine.definitions import compile_files
    from engine.errors import DeployError
    from engine.routing import Directory
    with pytest.raises(DeployError) as refused:
        compile_files({"cc.bpmn": PROCESS.replace(b'value="PSB"', 'value="公安"'.encode())}, Directory.standard().resolve, set(),
                      set(), ZoneInfo("Asia/Shanghai"))
    assert "cc names '公安', which is not a department code" in str(refused.value.problems)
