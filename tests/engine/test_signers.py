"""加签 / 减签: the holder adds a signer before (they sign first, then it comes back) or after themselves (they
sign the holder's answer before the step completes); a supervisor or the one who added them removes a
pending signer; every path keeps the step in one pair of hands."""
from __future__ import annotations

import json

import pytest

from datetime import timezone

from engine import cases, delegation, eventlog, notices, repository, sendback, signers, transfers
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import AuditEntry, Task, TaskSigner
from factories import SYSTEM, bpmn, claim, complete, deploy_fixtures, make_users, opened, start
from sqlalchemy import select


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def add(rt, actor, task_id, to_user, position, reason="请科长把关"):
    with rt.db.write() as session:
        return signers.add(session, rt, actor, task_id, to_user, position, reason).id


def sign(rt, actor, task_id, decision="agree", opinion=""):
    with rt.db.write() as session:
        return signers.sign(session, rt, actor, task_id, decision, opinion)


def remove(rt, actor, signer_id, reason="不再需要"):
    with rt.db.write() as session:
        return signers.remove(session, rt, actor, signer_id, reason)


def task(rt, task_id):
    with rt.db.read() as session:
        row = session.get(Task, task_id)
        return row.state, row.assignee, row.signing


def intake_of(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_reviewer"], intake)
    return intake


def test_a_signer_before_signs_first_and_the_step_comes_back_to_the_holder(rt, users):
    intake = intake_of(rt, users)
    add(rt, users["edu_reviewer"], intake, "edu_chief", "before")
    assert task(rt, intake) == ("open", "edu_chief", "signer")
    with pytest.raises(Conflict, match="added signature"):
        complete(rt, users["edu_chief"], intake, {"household": "本市"})  # the signer signs, not completes
    with pytest.raises(Conflict, match="with edu_chief for an added signature"):
        complete(rt, users["edu_reviewer"], intake, {"household": "本市"})
    with pytest.raises(Conflict, match="added signature"):
        with rt.db.write() as session:
            transfers.transfer(session, rt, users["edu_chief"], intake, "edu_reviewer2", "忙")
    with pytest.raises(Conflict, match="added signature"):
        with rt.db.write() as session:
            sendback.send_back(session, rt, users["edu_chief"], intake, "intake", "重来")
    with pytest.raises(Conflict, match="added signature"):
        with rt.db.write() as session:
            cases.release(session, rt, users["edu_chief"], intake)
    with rt.db.read() as session:
        assert [n.kind for n in notices.recent(session, "edu_chief")] == ["sign_requested"]
    out = sign(rt, users["edu_chief"], intake, "agree", "同意，注意核对户籍")
    assert out.events == ["task_signed"] and out.opened == []
    assert task(rt, intake) == ("open", "edu_reviewer", None)
    done = complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert sorted(opened(done)) == ["edu_check", "psb_check"]
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert row.completed_by == "edu_reviewer"
        (signed,) = signers.listed(session, intake)
        assert (signed.state, signed.decision, signed.opinion) == ("signed", "agree", "同意，注意核对户籍")
        events = [e for e, in session.execute(select(AuditEntry.event).where(AuditEntry.task_id == intake)
                                               .order_by(AuditEntry.seq))]
        assert events == ["task_ready", "task_claimed", "signer_added", "task_signed", "task_completed"]


def test_signers_after_sign_the_holders_answer_in_order_and_the_step_counts_as_the_holders(rt, users):
    intake = intake_of(rt, users)
    add(rt, users["edu_reviewer"], intake, "edu_reviewer2", "after", "请复核")
    add(rt, users["edu_reviewer"], intake, "edu_chief", "after", "请科长签字")
    assert task(rt, intake) == ("open", "edu_reviewer", "after")
    held = complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert held.events == ["sent_for_signature"] and held.opened == []
    assert task(rt, intake) == ("open", "edu_reviewer2", "signer")
    with pytest.raises(PermissionDenied, match="not asked to sign"):
        sign(rt, users["edu_chief"], intake)  # not their turn yet
    assert sign(rt, users["edu_reviewer2"], intake).opened == []
    assert task(rt, intake) == ("open", "edu_chief", "signer")
    done = sign(rt, users["edu_chief"], intake, "agree", "同意")
    assert sorted(opened(done)) == ["edu_check", "psb_check"]
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.completed_by) == ("completed", "edu_reviewer")
        assert json.loads(row.data) == {"household": "本市户籍"}
        assert [json.loads(s.answer) for s in signers.listed(session, intake)] == [{"household": "本市户籍"}] * 2


def test_a_disagreement_returns_the_answer_and_a_changed_answer_is_signed_again_by_all(rt, users):
    intake = intake_of(rt, users)
    add(rt, users["edu_reviewer"], intake, "edu_reviewer2", "after")
    add(rt, users["edu_reviewer"], intake, "edu_chief", "after")
    complete(rt, users["edu_reviewer"], intake, {"household": "外地"})
    sign(rt, users["edu_reviewer2"], intake)
    with pytest.raises(InvalidInput, match="needs an opinion"):
        sign(rt, users["edu_chief"], intake, "disagree", "  ")
    sign(rt, users["edu_chief"], intake, "disagree", "户籍写错了")
    assert task(rt, intake) == ("open", "edu_reviewer", "after")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert json.loads(row.draft) == {"by": "edu_reviewer", "values": {"household": "外地"}}
        assert row.draft_kind == "signer"
        assert [n.kind for n in notices.recent(session, "edu_reviewer")][:1] == ["sign_refused"]
    complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert task(rt, intake) == ("open", "edu_reviewer2", "signer")  # the first signs the new answer again
    sign(rt, users["edu_reviewer2"], intake)
    done = sign(rt, users["edu_chief"], intake)
    assert sorted(opened(done)) == ["edu_check", "psb_check"]
    with rt.db.read() as session:
        assert json.loads(session.get(Task, intake).data) == {"household": "本市户籍"}


def test_a_supervisor_removes_a_pending_signer_and_the_step_moves_on(rt, users):
    intake = intake_of(rt, users)
    before = add(rt, users["edu_reviewer"], intake, "edu_reviewer2", "before")
    with pytest.raises(PermissionDenied, match="supervisor of EDU"):
        remove(rt, users["psb_chief"], before)
    with pytest.raises(InvalidInput, match="needs a reason"):
        remove(rt, users["edu_chief"], before, " ")
    remove(rt, users["edu_chief"], before, "此件无需复核")
    assert task(rt, intake) == ("open", "edu_reviewer", None)
    with pytest.raises(Conflict, match="no longer a pending signer"):
        remove(rt, users["edu_chief"], before)
    after = add(rt, users["edu_reviewer"], intake, "edu_chief", "after")
    remove(rt, users["edu_reviewer"], after, "科长出差")  # the one who added may take it back too
    assert task(rt, intake) == ("open", "edu_reviewer", None)
    last = add(rt, users["edu_reviewer"], intake, "edu_reviewer2", "after")
    complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    done = remove(rt, users["edu_chief"], last, "时限紧，不再会签")  # the last signer removed: the step completes
    assert sorted(opened(done)) == ["edu_check", "psb_check"]
    with rt.db.read() as session:
        assert [s.state for s in signers.listed(session, intake)] == ["removed", "removed", "removed"]
        assert session.get(Task, intake).completed_by == "edu_reviewer"
        assert [n.kind for n in notices.recent(session, "edu_reviewer2")][:1] == ["signer_removed"]


def test_a_supervisor_asked_to_sign_does_not_remove_themselves(rt, users):
    intake = intake_of(rt, users)
    before = add(rt, users["edu_reviewer"], intake, "edu_chief", "before")
    with rt.db.read() as session:
        row, step = session.get(TaskSigner, before), session.get(Task, intake)
        assert not signers.may_remove(users["edu_chief"], step, row), "the signer signs or disagrees instead"
        assert signers.may_remove(users["edu_reviewer"], step, row)  # the one who added them
    with pytest.raises(PermissionDenied, match="does not remove themselves"):
        remove(rt, users["edu_chief"], before)
    assert task(rt, intake) == ("open", "edu_chief", "signer")  # nothing changed: still theirs to sign


@pytest.mark.parametrize("to_user, position, error", [
    ("edu_chief", "beside", "before or after"), ("psb_reviewer", "before", "cannot sign"),
    ("edu_reviewer", "after", "other than the holder"), ("nobody", "after", "cannot sign"),
])
def test_bad_signers_are_refused_and_nothing_changes(rt, users, to_user, position, error):
    intake = intake_of(rt, users)
    with pytest.raises(InvalidInput, match=error):
        add(rt, users["edu_reviewer"], intake, to_user, position)
    with pytest.raises(InvalidInput, match="needs a reason"):
        add(rt, users["edu_reviewer"], intake, "edu_chief", "after", "")
    with pytest.raises(PermissionDenied):
        add(rt, users["edu_reviewer2"], intake, "edu_chief", "after")  # not the holder
    add(rt, users["edu_reviewer"], intake, "edu_chief", "after")
    with pytest.raises(Conflict, match="already asked"):
        add(rt, users["edu_reviewer"], intake, "edu_chief", "before")
    with rt.db.read() as session:
        assert session.execute(select(TaskSigner.id)).all() == session.execute(
            select(TaskSigner.id).where(TaskSigner.username == "edu_chief")).all()
    assert task(rt, intake) == ("open", "edu_reviewer", "after")


def test_one_signer_before_at_a_time(rt, users):
    intake = intake_of(rt, users)
    add(rt, users["edu_reviewer"], intake, "edu_chief", "before")
    with pytest.raises(Conflict, match="added signature"):
        add(rt, users["edu_chief"], intake, "edu_reviewer2", "before")


def test_a_signer_is_kept_apart_from_an_incompatible_step(rt, users):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"four_eyes.bpmn": bpmn("four_eyes", """
          <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="approve"/>
          <bpmn:userTask id="approve" name="审批"/><bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="disburse"/>
          <bpmn:userTask id="disburse" name="发放"><bpmn:extensionElements><camunda:properties>
            <camunda:property name="not_by_performer_of" value="approve"/></camunda:properties></bpmn:extensionElements>
          </bpmn:userTask><bpmn:sequenceFlow id="f3" sourceRef="disburse" targetRef="e"/><bpmn:endEvent id="e"/>""",
                                                                              lanes={"EDU": ["s", "approve", "disburse", "e"]})})
    approved = complete(rt, users["edu_chief"], opened(start(rt, "four_eyes"))["approve"], {})
    disburse = opened(approved)["disburse"]
    claim(rt, users["edu_reviewer"], disburse)
    with pytest.raises(PermissionDenied, match="不相容岗位"):
        add(rt, users["edu_reviewer"], disburse, "edu_chief", "after")


def test_a_signer_added_to_one_signature_of_a_countersign(rt, users):
    countersign = bpmn("cs", """
      <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/>
      <bpmn:userTask id="sign" name="会签"><bpmn:extensionElements><camunda:properties>
        <camunda:property name="countersign" value="all"/></camunda:properties></bpmn:extensionElements>
        <bpmn:multiInstanceLoopCharacteristics camunda:collection="signers" camunda:elementVariable="signer"/>
      </bpmn:userTask>
      <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="after"/>
      <bpmn:userTask id="after" name="办结"/><bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/>
      <bpmn:endEvent id="e"/>""", lanes={"EDU": ["s", "sign", "after", "e"]})
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"cs.bpmn": countersign})
    first, second = [row["id"] for row in start(rt, "cs", {"signers": ["a", "b"]}).opened]
    claim(rt, users["edu_reviewer"], first)
    add(rt, users["edu_reviewer"], first, "edu_chief", "after")
    assert complete(rt, users["edu_reviewer"], first, {}).opened == []
    assert complete(rt, users["edu_reviewer2"], second, {}).opened == []  # one signature still waits for its signer
    done = sign(rt, users["edu_chief"], first)
    assert [row["element_id"] for row in done.opened] == ["after"]


def test_the_event_log_shows_each_signature_as_its_own_activity(rt, users):
    intake = intake_of(rt, users)
    add(rt, users["edu_reviewer"], intake, "edu_chief", "after")
    complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    sign(rt, users["edu_chief"], intake)
    with rt.db.read() as session:
        ((_, _, trace),) = list(eventlog.events(session, eventlog.Selection(), timezone.utc))
    steps = [(e["concept:name"], e["lifecycle:transition"], e["org:resource"]) for e in trace if "受理" in e["concept:name"]]
    assert steps[-4:] == [("add_signer:受理", "complete", "edu_reviewer"),
                          ("submit_for_signature:受理", "complete", "edu_reviewer"),
                          ("sign:受理", "complete", "edu_chief"), ("受理", "complete", "edu_reviewer")]


@pytest.mark.parametrize("hand_over", ["reassign", "transfer"])
def test_signers_after_answer_to_whoever_holds_the_step_when_it_is_submitted(rt, users, hand_over):
    """改派 or 转办 of a step with signers after moves it to a new holder: their answer is the one signed, a
    disagreement comes back to them, and the step completes as theirs (it came back to, and was recorded as done by,
    the holder who had added the signers)."""
    intake = intake_of(rt, users)
    add(rt, users["edu_reviewer"], intake, "edu_chief", "after", "请科长签字")
    with rt.db.write() as session:
        if hand_over == "reassign":
            cases.reassign(session, rt, users["edu_chief"], [intake], "edu_reviewer2", "人员调整")
        else:
            transfers.transfer(session, rt, users["edu_reviewer"], intake, "edu_reviewer2", "出差")
    complete(rt, users["edu_reviewer2"], intake, {"household": "外地"})
    sign(rt, users["edu_chief"], intake, "disagree", "户籍写错了")
    assert task(rt, intake) == ("open", "edu_reviewer2", "after")
    with rt.db.read() as session:
        assert [n.kind for n in notices.recent(session, "edu_reviewer2")][:1] == ["sign_refused"]
    complete(rt, users["edu_reviewer2"], intake, {"household": "本市户籍"})
    sign(rt, users["edu_chief"], intake, "agree", "同意")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.completed_by) == ("completed", "edu_reviewer2")
        done = session.execute(select(AuditEntry.actor).where(AuditEntry.task_id == intake,
                                                              AuditEntry.event == "task_completed")).scalar_one()
        assert done == "edu_reviewer2"


def test_an_answer_a_signer_refused_stays_the_holders_own_once_the_signer_is_removed(rt, users):
    """A signer after disagrees: the holder's answer comes back to them. It was kept as if the signer had done the
    step for them (委派's shape): once the signer was removed (减签) the inbox tagged it a delegate's answer to confirm,
    the page said the signer had done the step, and delegating it dropped it. It stays the holder's own answer."""
    intake = intake_of(rt, users)
    signer = add(rt, users["edu_reviewer"], intake, "edu_chief", "after")
    complete(rt, users["edu_reviewer"], intake, {"household": "外地"})
    sign(rt, users["edu_chief"], intake, "disagree", "户籍写错了")
    remove(rt, users["edu_reviewer"], signer, "改由本人核实")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.signing) == ("edu_reviewer", None)
        assert session.execute(select(Task.id).where(delegation.to_confirm())).first() is None
        assert delegation.draft_of(row)["by"] == "edu_reviewer"
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_reviewer"], intake, "edu_reviewer2", "请核实户籍")
    with rt.db.read() as session:
        assert json.loads(session.get(Task, intake).draft)["values"] == {"household": "外地"}, "it goes to the delegate"


@pytest.mark.parametrize("hand_over", ["reassign", "transfer", "claim"])
def test_a_step_is_not_handed_to_one_who_is_to_sign_it_after_its_holder(rt, users, hand_over):
    """改派 or 转办 to the signer after made them holder and signer at once: they signed their own answer (a signer is
    someone other than the holder). Refused while they are a pending signer; nothing changes."""
    intake = intake_of(rt, users)
    add(rt, users["edu_reviewer"], intake, "edu_reviewer2", "after", "请复核")
    if hand_over == "claim":  # released by its holder, the step is open to claim
        with rt.db.write() as session:
            cases.release(session, rt, users["edu_reviewer"], intake)
    with pytest.raises(Conflict, match="edu_reviewer2 is to sign"):
        with rt.db.write() as session:
            if hand_over == "reassign":
                cases.reassign(session, rt, users["edu_chief"], [intake], "edu_reviewer2", "人员调整")
            elif hand_over == "transfer":
                transfers.transfer(session, rt, users["edu_reviewer"], intake, "edu_reviewer2", "出差")
            else:
                cases.claim(session, rt, users["edu_reviewer2"], intake)
    assert task(rt, intake) == ("open", None if hand_over == "claim" else "edu_reviewer", "after")
