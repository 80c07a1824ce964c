"""退回 (send back): to an earlier step of the path the case took, with a reason; the later data no longer
counts but stays in the history; parallel branches, multi-instance tasks and sub-processes follow the
rules stated in engine/sendback.py."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine import sendback
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import AuditEntry, Case, Task
from factories import claim, complete, deploy_fixtures, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def targets(rt, actor, task_id):
    with rt.db.read() as session:
        return [(t.element_id, t.department_code) for t in sendback.targets(session, rt, actor, task_id)]


def send(rt, actor, task_id, to_element, reason="材料不全，请补充户籍证明"):
    with rt.db.write() as session:
        options = {t.element_id: t.task_id for t in sendback.targets(session, rt, actor, task_id)}
    with rt.db.write() as session:
        return sendback.send_back(session, rt, actor, task_id, options.get(to_element, "0" * 36), reason)


def case_data(rt, case_id):
    with rt.db.read() as session:
        return json.loads(session.get(Case, case_id).state)["data"]


def to_split(rt, users):
    """Intake done: the two parallel checks are open."""
    out = start(rt, "send_back", {"signers": ["a", "b"]})
    out = complete(rt, users["edu_reviewer"], opened(out)["intake"], {"household": "本市户籍"})
    return out, opened(out)


def test_a_step_goes_back_to_the_one_before_with_the_reason_shown_and_later_data_no_longer_counting(rt, users):
    out, tasks = to_split(rt, users)
    out = complete(rt, users["edu_reviewer"], tasks["edu_check"], {"edu_finding": "符合"})
    confirm = opened(out)["edu_confirm"]
    assert targets(rt, users["edu_reviewer"], confirm) == [("edu_check", "EDU"), ("intake", "EDU")]
    back = send(rt, users["edu_reviewer"], confirm, "edu_check", "意见写错了")
    reopened = opened(back)["edu_check"]
    assert reopened != tasks["edu_check"] and confirm in back.closed
    assert "edu_finding" not in case_data(rt, out.case_id)       # no longer counts …
    with rt.db.read() as session:
        old = session.get(Task, tasks["edu_check"])
        assert old.state == "completed" and json.loads(old.data) == {"edu_finding": "符合"}  # … but stays in the history
        assert sendback.reopened_reason(session, out.case_id, reopened) == {
            "sent_back_by": "edu_reviewer", "sent_back_from": "教育复核", "reason": "意见写错了"}
        events = [e for e, in session.execute(select(AuditEntry.event).where(AuditEntry.case_id == out.case_id)
                                              .order_by(AuditEntry.seq))]
    assert "task_sent_back" in events
    with rt.db.read() as session:
        sent = session.get(Task, confirm)
        assert (sent.state, sent.completed_by) == ("sent_back", "edu_reviewer")
    # the other branch went on untouched: the PSB check is still open, the same row
    assert tasks["psb_check"] not in back.closed
    again = complete(rt, users["edu_reviewer"], reopened, {"edu_finding": "符合（已更正）"})
    assert list(opened(again)) == ["edu_confirm"]


def test_going_back_before_the_split_starts_every_branch_anew(rt, users):
    out, tasks = to_split(rt, users)
    complete(rt, users["psb_reviewer"], tasks["psb_check"], {"psb_finding": "户籍属实"})  # PSB waits at the join
    back = send(rt, users["edu_reviewer"], tasks["edu_check"], "intake")
    assert list(opened(back)) == ["intake"] and tasks["edu_check"] in back.closed
    assert "psb_finding" not in case_data(rt, out.case_id) and "household" not in case_data(rt, out.case_id)
    redo = complete(rt, users["edu_reviewer"], opened(back)["intake"], {"household": "本市户籍"})
    assert sorted(opened(redo)) == ["edu_check", "psb_check"]
    # and the join waits for both again: one branch alone does not pass it
    left = complete(rt, users["psb_reviewer"], opened(redo)["psb_check"], {"psb_finding": "户籍属实"})
    assert opened(left) == {}


def test_a_sibling_branch_is_not_on_the_path(rt, users):
    out, tasks = to_split(rt, users)
    done = complete(rt, users["psb_reviewer"], tasks["psb_check"], {"psb_finding": "户籍属实"})
    assert done.opened == []
    assert ("psb_check", "PSB") not in targets(rt, users["edu_reviewer"], tasks["edu_check"])
    with pytest.raises(NotFound, match="can go back to: 受理"):
        send(rt, users["edu_reviewer"], tasks["edu_check"], "psb_check")


def through_join(rt, users):
    out, tasks = to_split(rt, users)
    out = complete(rt, users["edu_reviewer"], tasks["edu_check"], {"edu_finding": "符合"})
    complete(rt, users["edu_reviewer"], opened(out)["edu_confirm"], {})
    return complete(rt, users["psb_reviewer"], tasks["psb_check"], {"psb_finding": "户籍属实"})


def test_an_instance_of_a_multi_instance_step_goes_back_before_it_and_all_instances_start_anew(rt, users):
    signing = through_join(rt, users)
    instances = [row["id"] for row in signing.opened]
    assert len(instances) == 2
    first = complete(rt, users["edu_reviewer"], instances[0], {})
    assert first.opened == []
    assert ("countersign", "EDU") not in targets(rt, users["edu_reviewer"], instances[1])  # a sibling instance
    back = send(rt, users["edu_reviewer"], instances[1], "edu_confirm")
    assert list(opened(back)) == ["edu_confirm"] and instances[1] in back.closed
    again = complete(rt, users["edu_reviewer"], opened(back)["edu_confirm"], {})
    assert [row["element_id"] for row in again.opened] == ["countersign", "countersign"]


def test_a_step_in_a_sub_process_goes_back_out_of_it(rt, users):
    signing = through_join(rt, users)
    for row in signing.opened:
        out = complete(rt, users["edu_reviewer"], row["id"], {})
    review = opened(out)["sub_review"]
    assert targets(rt, users["edu_reviewer"], review)[:2] == [("countersign", "EDU"), ("psb_check", "PSB")]
    back = send(rt, users["edu_reviewer"], review, "edu_check")
    assert list(opened(back)) == ["edu_check"] and review in back.closed


def test_a_later_step_goes_back_to_a_countersign_as_a_whole(rt, users):
    signing = through_join(rt, users)
    for row in signing.opened:
        out = complete(rt, users["edu_reviewer"], row["id"], {})
    back = send(rt, users["edu_reviewer"], opened(out)["sub_review"], "countersign")
    assert [row["element_id"] for row in back.opened] == ["countersign", "countersign"]
    assert not {row["id"] for row in back.opened} & {row["id"] for row in signing.opened}


def test_the_designer_limits_the_targets_of_a_step(rt, users):
    signing = through_join(rt, users)
    for row in signing.opened:
        out = complete(rt, users["edu_reviewer"], row["id"], {})
    out = complete(rt, users["edu_reviewer"], opened(out)["sub_review"], {})
    decide = opened(out)["decide"]
    assert targets(rt, users["edu_reviewer"], decide) == [("edu_check", "EDU"), ("intake", "EDU")]
    back = send(rt, users["edu_reviewer"], decide, "intake")
    assert list(opened(back)) == ["intake"]


def test_a_send_back_needs_a_reason_a_member_and_an_open_task(rt, users):
    out, tasks = to_split(rt, users)
    with pytest.raises(InvalidInput):
        send(rt, users["edu_reviewer"], tasks["edu_check"], "intake", "  ")
    with pytest.raises(PermissionDenied):
        send(rt, users["psb_reviewer"], tasks["edu_check"], "intake")
    claim(rt, users["edu_reviewer2"], tasks["edu_check"])
    with pytest.raises(Conflict, match="claimed by edu_reviewer2"):
        send(rt, users["edu_reviewer"], tasks["edu_check"], "intake")
    send(rt, users["edu_reviewer2"], tasks["edu_check"], "intake")
    with pytest.raises(Conflict, match="already sent back"):
        send(rt, users["edu_reviewer2"], tasks["edu_check"], "intake")


def test_the_event_log_shows_the_send_back_as_an_aborted_step_and_an_urge_as_its_own_activity(rt, users):
    from engine import eventlog, urges
    out, tasks = to_split(rt, users)
    with rt.db.write() as session:
        urges.urge(session, users["edu_chief"], tasks["edu_check"])
    send(rt, users["edu_reviewer"], tasks["edu_check"], "intake")
    with rt.db.read() as session:
        traces = list(eventlog.events(session, eventlog.Selection(), rt.calendar.tz))
    events = [(e["concept:name"], e["lifecycle:transition"]) for *_, trace in traces for e in trace]
    assert ("教育审核", "ate_abort") in events and ("urge:教育审核", "complete") in events
    assert ("受理", "schedule") in events


def test_a_step_sent_back_goes_to_its_handler_unless_a_separation_rule_keeps_them_from_it(rt):
    from engine import repository, sendback
    from engine.models import Task
    from factories import SYSTEM, bpmn, complete, make_users, opened, start
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="b"/>
      <bpmn:userTask id="b" name="初审"><bpmn:extensionElements><camunda:properties>
        <camunda:property name="not_by_performer_of" value="c"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>
      <bpmn:sequenceFlow id="f2" sourceRef="b" targetRef="c"/><bpmn:userTask id="c" name="复核"/>
      <bpmn:sequenceFlow id="f3" sourceRef="c" targetRef="d"/><bpmn:userTask id="d" name="审定"/>
      <bpmn:sequenceFlow id="f4" sourceRef="d" targetRef="e"/><bpmn:endEvent id="e"/>"""
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"sep.bpmn": bpmn("sep_back", body, {"EDU": ["s", "b", "c", "d", "e"]})})
    users = make_users(rt)
    me, other = users["edu_reviewer"], users["edu_reviewer2"]

    def sent_back(to: str):
        out = start(rt, "sep_back")
        out = complete(rt, me, opened(out)["b"], {})
        out = complete(rt, me if to == "b" else other, opened(out)["c"], {})
        d = opened(out)["d"]
        with rt.db.write() as session:
            target = next(t for t in sendback.targets(session, rt, other, d) if t.element_id == to)
            back = sendback.send_back(session, rt, other, d, target.task_id, "请复查")
        with rt.db.read() as session:
            return session.get(Task, opened(back)[to])

    back = sent_back("c")
    assert back.assignee == "edu_reviewer2" and back.claimed_at is not None, "back to whoever did it, claimed for them"
    row = sent_back("b")  # its handler also did 复核, which 初审 must be kept apart from: the department's queue
    assert row.assignee is None
