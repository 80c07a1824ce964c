"""委派: the holder lets a colleague do the work; the colleague's answer goes back to the holder, who
confirms it and completes the step; while delegated the task can be neither transferred nor sent back."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine import accounts, cases, delegation, notices, saving, transfers
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import AuditEntry, Task
from factories import SYSTEM, claim, complete, deploy_fixtures, deploy_process, form_xml, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def test_the_delegate_answers_and_the_holder_confirms(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_chief"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], intake, "edu_reviewer", "请先核对户籍")
    with pytest.raises(Conflict, match="delegated by edu_chief"):
        with rt.db.write() as session:
            transfers.transfer(session, rt, users["edu_reviewer"], intake, "edu_reviewer2", "x")
    back = complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert back.events == ["delegation_returned"] and back.opened == []
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.assignee, row.delegated_by) == ("open", "edu_chief", None)
        assert delegation.draft_of(row) == {"by": "edu_reviewer", "values": {"household": "本市户籍"}}
        assert [n.kind for n in notices.recent(session, "edu_chief")] == ["delegation_returned"]
    done = complete(rt, users["edu_chief"], intake, {"household": "本市户籍（已核）"})
    assert sorted(opened(done)) == ["edu_check", "psb_check"]
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert row.completed_by == "edu_chief" and json.loads(row.data) == {"household": "本市户籍（已核）"}
        assert (row.draft, row.draft_kind) == (None, None), "a closed step keeps no draft, nor its kind"


def test_delegation_goes_to_a_colleague_who_may_take_it(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    with pytest.raises(InvalidInput):
        with rt.db.write() as session:
            delegation.delegate(session, rt, users["edu_reviewer"], intake, "psb_reviewer")


KEPT_FIELD = f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a"/>
<bpmn:userTask id="a" name="A">{form_xml(("kept", "string"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="end"/><bpmn:endEvent id="end"/>"""


def _to_confirm(rt, task_id: str) -> bool:
    with rt.db.read() as session:
        return bool(session.execute(select(delegation.to_confirm()).where(Task.id == task_id)).scalar_one())


def test_a_delegates_answer_is_to_confirm_whatever_its_fields_are_called(rt, users):
    """The inbox's 委派办结待确认 was told apart from a holder's kept draft by the text '"kept": ' in the draft: a
    form field named `kept` hid the delegate's answer from it. Which draft a step holds is now a column."""
    deploy_process(rt, "kept_field", KEPT_FIELD, {"EDU": ["start", "a", "end"]})
    step = opened(start(rt, "kept_field"))["a"]
    claim(rt, users["edu_chief"], step)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], step, "edu_reviewer")
    assert not _to_confirm(rt, step)
    complete(rt, users["edu_reviewer"], step, {"kept": "是"})
    assert _to_confirm(rt, step)
    with rt.db.write() as session:  # the holder keeps their own changes for later (暂存): nothing left to confirm
        saving.save(session, rt, users["edu_chief"], step, {"kept": "否"})
    assert not _to_confirm(rt, step)


def test_a_delegated_step_cannot_be_released_to_the_queue(rt, users):
    """取消签收 of a delegated step left it unclaimed but still marked 委派 (whoever took it next would have sent
    their answer to the delegator): neither the delegate nor a supervisor may release it, and nothing changes."""
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_reviewer2"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_reviewer2"], intake, "edu_reviewer")
    for who in ("edu_reviewer", "edu_chief"):
        with pytest.raises(Conflict, match="delegated by edu_reviewer2 and cannot be released") as refused:
            with rt.db.write() as session:
                cases.release(session, rt, users[who], intake)
        assert refused.value.code == "release_delegated"
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.assignee, row.delegated_by) == ("open", "edu_reviewer", "edu_reviewer2")
        assert session.execute(select(AuditEntry).where(AuditEntry.event == "task_released")).first() is None


def _answered(rt, users) -> str:
    """A step edu_chief delegated to edu_reviewer, whose answer came back to edu_chief to confirm."""
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_chief"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], intake, "edu_reviewer")
    complete(rt, users["edu_reviewer"], intake, {"household": "外地户籍"})
    return intake


def test_the_holder_sends_the_answer_back_to_the_delegate_to_redo(rt, users):
    intake = _answered(rt, users)
    with rt.db.write() as session:
        delegation.send_back_to_delegate(session, users["edu_chief"], intake, "  户籍地址写错了，请核对后重填  ")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.assignee, row.delegated_by) == ("open", "edu_reviewer", "edu_chief")
        assert delegation.returned(row)["values"] == {"household": "外地户籍"}  # the delegate's answer stays
        assert delegation.draft_of(row) is None and delegation.answered_by(session, [intake]) == {}
        assert delegation.redo_reason(session, row)["reason"] == "户籍地址写错了，请核对后重填"
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "delegation_sent_back")).scalar_one()
        assert (entry.actor, json.loads(entry.details)["to"]) == ("edu_chief", "edu_reviewer")
        assert [n.kind for n in notices.recent(session, "edu_reviewer")][0] == "delegation_sent_back"
    back = complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})  # redone: back again to confirm
    assert back.events == ["delegation_returned"]
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.delegated_by) == ("edu_chief", None)
        assert delegation.draft_of(row)["values"] == {"household": "本市户籍"}
        assert delegation.redo_reason(session, row) is None


@pytest.mark.parametrize("reason, refusal", [("", InvalidInput), ("x" * 501, InvalidInput), ("\u202e反", InvalidInput)])
def test_a_send_back_to_the_delegate_needs_a_plain_reason(rt, users, reason, refusal):
    intake = _answered(rt, users)
    with pytest.raises(refusal):
        with rt.db.write() as session:
            delegation.send_back_to_delegate(session, users["edu_chief"], intake, reason)
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.delegated_by) == ("edu_chief", None) and delegation.draft_of(row) is not None


def test_only_a_delegate_s_answer_held_by_oneself_goes_back(rt, users):
    intake = _answered(rt, users)
    with pytest.raises(PermissionDenied):  # not theirs
        with rt.db.write() as session:
            delegation.send_back_to_delegate(session, users["edu_reviewer2"], intake, "重办")
    with pytest.raises(Conflict, match="no delegate's answer"):  # a step nobody delegated
        other = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
        claim(rt, users["edu_chief"], other)
        with rt.db.write() as session:
            delegation.send_back_to_delegate(session, users["edu_chief"], other, "重办")
    with rt.db.write() as session:
        accounts.set_active(session, SYSTEM, "edu_reviewer", False)
    with pytest.raises(Conflict, match="can no longer take"):  # the delegate left
        with rt.db.write() as session:
            delegation.send_back_to_delegate(session, users["edu_chief"], intake, "重办")


def test_the_delegator_lists_what_is_out_with_delegates(rt, users):
    working = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_chief"], working)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], working, "edu_reviewer2")
    done = _answered(rt, users)
    with rt.db.read() as session:
        listed = {task_id for clause in delegation.out_with_delegate("edu_chief")
                  for task_id in session.execute(select(Task.id).where(Task.state == "open", clause)).scalars()}
        assert listed == {working, done}
        assert delegation.answered_by(session, [working, done]) == {done: "edu_reviewer"}
        # the inbox asks whose own answer a step holds by the rule that refuses its claim (delegation.authored)
        assert delegation.authored_among(session, [working, done], "edu_reviewer") == {done}
        assert delegation.authored_among(session, [working, done], "edu_chief") == set()


def test_a_deputy_standing_in_for_the_delegate_hands_the_answer_back_to_be_confirmed(rt, users):
    """The answer came back to the delegator only when the delegate themselves submitted: their deputy (代理)
    completed the step outright, and the delegator never confirmed it."""
    from datetime import timedelta

    from engine import deputies, wallclock
    from engine.routing import load_actor

    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_chief"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], intake, "edu_reviewer")
        now = wallclock.now()
        deputies.name(session, users["edu_chief"], "edu_reviewer", "edu_reviewer2", now - timedelta(hours=1),
                      now + timedelta(days=3), "出差")
    with rt.db.read() as session:
        deputy = load_actor(session, "edu_reviewer2")
    back = complete(rt, deputy, intake, {"household": "本市户籍"})
    assert back.events == ["delegation_returned"] and back.opened == []
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.assignee, row.delegated_by, row.draft_kind) == ("open", "edu_chief", None, "delegate")
        assert delegation.draft_of(row) == {"by": "edu_reviewer2", "for": "edu_reviewer",
                                            "values": {"household": "本市户籍"}}
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "delegation_returned")).scalar_one()
        assert entry.actor == "edu_reviewer2" and json.loads(entry.details)["acting_for"] == "edu_reviewer"
