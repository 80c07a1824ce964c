"""Cases end to end on SQLite and PostgreSQL: routing, permissions, forms, versions, timers, failures."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from engine import audit, cases
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import AuditEntry, Case, Task
from factories import BPMN_DIR, SYSTEM, bpmn, claim, complete, deploy_fixtures, make_users, start

from engine import repository


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "two_lane.bpmn")
    return make_users(rt)


def _events(rt, case_id):
    with rt.db.read() as session:
        return list(session.execute(select(AuditEntry.event).where(AuditEntry.case_id == case_id)
                                    .order_by(AuditEntry.seq)).scalars())


def _task(rt, task_id) -> Task:
    with rt.db.read() as session:
        return session.get(Task, task_id)


def test_a_case_runs_through_two_departments(rt, users):
    begun = datetime.now(timezone.utc)
    out = start(rt, "two_lane", {"applicant_name": "张三"})
    assert out.status == "running" and out.business_key.startswith(f"TWO-{begun.year}-")
    intake = out.opened[0]
    assert (intake["element_id"], intake["department_code"], intake["role"]) == ("intake", "EDU", "reviewer")
    assert intake["due_at"] == rt.calendar.add_workdays(intake["created_at"], 3)

    out = complete(rt, users["edu_reviewer"], intake["id"], {"complete": "true", "months": "36"})
    verify = out.opened[0]
    assert (verify["element_id"], verify["department_code"]) == ("verify", "PSB")
    out = complete(rt, users["psb_reviewer"], verify["id"], {"permit_valid": "yes"})
    decide = out.opened[0]
    assert decide["role"] == "supervisor"
    out = complete(rt, users["edu_chief"], decide["id"], {"result": "admit"})
    assert out.status == "completed"
    assert _events(rt, out.case_id) == [
        "case_started", "task_ready", "task_completed", "task_ready", "task_completed", "task_ready",
        "task_completed", "case_completed"]
    with rt.db.read() as session:
        case = session.get(Case, out.case_id)
        assert case.ended_at is not None and case.next_due_at is None
        assert session.get(Task, intake["id"]).completed_by == "edu_reviewer"
        assert '"months": 36' in session.get(Task, intake["id"]).data


def test_gateway_path_ends_early(rt, users):
    out = start(rt, "two_lane")
    out = complete(rt, users["edu_reviewer"], out.opened[0]["id"], {"complete": "false", "months": "1"})
    assert out.status == "completed" and out.opened == []


def test_only_members_of_the_department_with_the_role_may_act(rt, users):
    out = start(rt, "two_lane")
    task_id = out.opened[0]["id"]
    with pytest.raises(PermissionDenied, match="only a member of EDU"):
        claim(rt, users["psb_reviewer"], task_id)
    with pytest.raises(PermissionDenied):
        complete(rt, users["hud_reviewer"], task_id, {"complete": "true", "months": "3"})
    out = complete(rt, users["edu_reviewer"], task_id, {"complete": "true", "months": "3"})
    out = complete(rt, users["psb_reviewer"], out.opened[0]["id"], {"permit_valid": "no"})
    with pytest.raises(PermissionDenied, match="only a supervisor of EDU"):
        complete(rt, users["edu_reviewer"], out.opened[0]["id"], {"result": "reject"})


def test_invalid_form_changes_nothing(rt, users):
    out = start(rt, "two_lane")
    task_id = out.opened[0]["id"]
    with rt.db.read() as session:
        before = session.get(Case, out.case_id).version, session.execute(select(func.count(AuditEntry.seq))).scalar()
    with pytest.raises(InvalidInput) as info:
        complete(rt, users["edu_reviewer"], task_id, {"complete": "yes", "months": "-1", "note": "x" * 21})
    assert info.value.fields == {"months": "must be at least 0", "note": "must be at most 20 characters"}
    with rt.db.read() as session:
        after = session.get(Case, out.case_id).version, session.execute(select(func.count(AuditEntry.seq))).scalar()
        assert session.get(Task, task_id).state == "open"
    assert before == after


def test_a_check_accepts_and_refuses_what_complete_would_and_changes_nothing(rt, users):
    out = start(rt, "two_lane")
    task_id = out.opened[0]["id"]
    with rt.db.read() as session:
        before = session.get(Case, out.case_id).version, session.execute(select(func.count(AuditEntry.seq))).scalar()
    with rt.db.read() as session:
        assert cases.check(session, rt, users["edu_reviewer"], task_id, {"complete": "true", "months": "36"}) == \
            {"complete": True, "months": 36, "note": None}
        with pytest.raises(InvalidInput) as info:
            cases.check(session, rt, users["edu_reviewer"], task_id, {"complete": "yes", "months": "-1"})
        assert info.value.fields == {"months": "must be at least 0"}
        with pytest.raises(PermissionDenied):
            cases.check(session, rt, users["hud_reviewer"], task_id, {"complete": "true", "months": "36"})
    with rt.db.read() as session:
        after = session.get(Case, out.case_id).version, session.execute(select(func.count(AuditEntry.seq))).scalar()
        assert session.get(Task, task_id).state == "open"
    assert before == after


def test_claim_release_and_conflicts(rt, users):
    task_id = start(rt, "two_lane").opened[0]["id"]
    claim(rt, users["edu_reviewer"], task_id)
    with pytest.raises(Conflict, match="edu_reviewer"):
        claim(rt, users["edu_reviewer2"], task_id)
    with pytest.raises(Conflict, match="claimed by edu_reviewer"):
        complete(rt, users["edu_reviewer2"], task_id, {"complete": "true", "months": "3"})
    with rt.db.write() as session, pytest.raises(PermissionDenied):
        cases.release(session, rt, users["edu_reviewer2"], task_id)
    with rt.db.write() as session:
        cases.release(session, rt, users["edu_chief"], task_id)
    assert _task(rt, task_id).assignee is None
    claim(rt, users["edu_reviewer2"], task_id)
    complete(rt, users["edu_reviewer2"], task_id, {"complete": "true", "months": "3"})
    with pytest.raises(Conflict, match="already completed"):
        claim(rt, users["edu_reviewer"], task_id)
    with pytest.raises(NotFound):
        claim(rt, users["edu_reviewer"], "no-such-task")


def test_an_outsider_releasing_a_step_learns_neither_its_holder_nor_whether_it_is_claimed(rt, users):
    """Another department's member was told "only edu_reviewer or a supervisor of EDU may release this task", or that
    the step was not claimed (found by a hostile-input review): they are told they are not a member, as on claiming."""
    task_id = start(rt, "two_lane").opened[0]["id"]
    for claimed in (False, True):
        if claimed:
            claim(rt, users["edu_reviewer"], task_id)
        with rt.db.write() as session, pytest.raises(PermissionDenied) as info:
            cases.release(session, rt, users["hud_reviewer"], task_id)
        assert info.value.code == "not_a_member" and "edu_reviewer" not in str(info.value), str(info.value)
    assert _task(rt, task_id).assignee == "edu_reviewer"


def test_supervisor_bulk_reassigns_with_reason(rt, users):
    ids = [start(rt, "two_lane").opened[0]["id"] for _ in range(3)]
    with rt.db.write() as session, pytest.raises(PermissionDenied):
        cases.reassign(session, rt, users["edu_reviewer"], ids, "edu_reviewer2", "休假")
    with rt.db.write() as session, pytest.raises(InvalidInput, match="cannot take"):
        cases.reassign(session, rt, users["edu_chief"], ids, "psb_reviewer", "休假")
    with rt.db.write() as session, pytest.raises(InvalidInput):
        cases.reassign(session, rt, users["edu_chief"], ids, "edu_reviewer2", "  ")
    with rt.db.write() as session:
        cases.reassign(session, rt, users["edu_chief"], ids, "edu_reviewer2", "张老师休假，由李老师代办")
    with rt.db.read() as session:
        assert {session.get(Task, i).assignee for i in ids} == {"edu_reviewer2"}
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "task_reassigned")).scalars().first()
        assert "张老师休假" in entry.details and entry.actor == "edu_chief"


def test_a_batch_reassigned_step_by_step_moves_what_may_go_and_says_why_not_the_rest(rt, users):
    ids = [start(rt, "two_lane").opened[0]["id"] for _ in range(3)]
    with rt.db.write() as session:
        session.get(Task, ids[1]).role = "supervisor"  # only a chief may take it
    with rt.db.write() as session:
        moved, unmoved = cases.reassign_each(session, rt, users["edu_chief"], [*ids, "no-such-step"], "edu_reviewer2",
                                             "休假")
    assert [t.id for t in moved] == [ids[0], ids[2]]
    assert [(u.task_id, u.task.name if u.task else None, type(u.error)) for u in unmoved] == [
        (ids[1], moved[0].name, InvalidInput), ("no-such-step", None, NotFound)]
    with rt.db.read() as session:
        assert [session.get(Task, i).assignee for i in ids] == ["edu_reviewer2", None, "edu_reviewer2"]
        assert session.execute(select(func.count()).where(AuditEntry.event == "task_reassigned")).scalar() == 2
    with rt.db.write() as session, pytest.raises(InvalidInput):  # no reason: the batch as a whole is refused
        cases.reassign_each(session, rt, users["edu_chief"], ids, "edu_reviewer", " ")


def test_running_cases_keep_their_version(rt, users):
    old = start(rt, "two_lane")
    changed = (BPMN_DIR / "two_lane.bpmn").read_bytes().replace("居住证核验".encode(), "居住证及地址核验".encode())
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"two_lane.bpmn": changed})
    new = start(rt, "two_lane")
    old_next = complete(rt, users["edu_reviewer"], old.opened[0]["id"], {"complete": "true", "months": "1"})
    new_next = complete(rt, users["edu_reviewer"], new.opened[0]["id"], {"complete": "true", "months": "1"})
    assert old_next.opened[0]["name"] == "居住证核验"
    assert new_next.opened[0]["name"] == "居住证及地址核验"


def _next_due(rt, case_id):
    with rt.db.read() as session:
        return session.get(Case, case_id).next_due_at


def _fire(rt, case_id, moment):
    with time_machine.travel(moment, tick=False), rt.db.write() as session:
        return cases.fire_timers(session, rt, case_id).events


def test_reminder_and_escalation_fire_in_working_days(rt, users):
    with time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=8))), tick=False):
        out = start(rt, "two_lane")
        out = complete(rt, users["edu_reviewer"], out.opened[0]["id"], {"complete": "true", "months": "1"})
    verify_id = out.opened[0]["id"]
    # escalation "P3D" counts calendar days: Fri 09:00 → Mon 09:00 local; it is the earliest timer
    monday, tuesday = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc), datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    assert _next_due(rt, out.case_id) == monday
    assert _fire(rt, out.case_id, monday - timedelta(minutes=1)) == []
    assert _fire(rt, out.case_id, monday + timedelta(seconds=1)) == ["escalation"]
    task = _task(rt, verify_id)
    assert task.escalated_at is not None and task.reminded_at is None and task.state == "open"
    # reminder "workdays(2)": Fri 09:00 → Tue 09:00 local, the weekend does not count
    assert _next_due(rt, out.case_id) == tuesday
    assert _fire(rt, out.case_id, tuesday + timedelta(seconds=1)) == ["reminder"]
    assert _task(rt, verify_id).reminded_at is not None
    assert _next_due(rt, out.case_id) is None
    with rt.db.read() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "escalation")).scalars().one()
        assert entry.department == "PSB" and '"notify":"supervisor"' in entry.details
    out = complete(rt, users["psb_reviewer"], verify_id, {"permit_valid": "yes"})
    assert out.opened[0]["element_id"] == "decide"


STUCK_BODY = (
    '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split"/>'
    '<bpmn:exclusiveGateway id="split" default="fa"/>'
    '<bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="a"/>'
    '<bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="b"><bpmn:conditionExpression>False</bpmn:conditionExpression></bpmn:sequenceFlow>'
    '<bpmn:userTask id="a" name="甲"/><bpmn:userTask id="b" name="乙"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="join"/><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="join"/>'
    '<bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="f4" sourceRef="join" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_case_that_can_never_move_is_marked_stuck(rt, users):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"stuck.bpmn": bpmn("stuck", STUCK_BODY, {"EDU": ["s", "split", "a", "b", "join", "e"]})})
    out = start(rt, "stuck")
    out = complete(rt, users["edu_reviewer"], out.opened[0]["id"], {})
    assert out.status == "stuck"
    assert _events(rt, out.case_id)[-1] == "case_stuck"


def test_a_script_that_breaks_the_sandbox_at_run_time_fails_the_case_safely(rt, users):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/>'
            '<bpmn:scriptTask id="x" name="恶意脚本"><bpmn:script>leak = now.func_name</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e"/><bpmn:endEvent id="e"/>')
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"evil.bpmn": bpmn("evil", body)})
    out = start(rt, "evil")
    assert out.status == "failed"
    assert out.error.startswith("x: ") and "func_name" in out.error
    with rt.db.read() as session:
        case = session.get(Case, out.case_id)
        assert case.status == "failed" and "leak" not in case.state


def test_business_keys_are_unique_and_given_keys_are_kept(rt, users):
    keys = {start(rt, "two_lane").business_key for _ in range(3)}
    assert len(keys) == 3
    assert start(rt, "two_lane", business_key="ADM-2026-000123").business_key == "ADM-2026-000123"
    with pytest.raises(Conflict):
        start(rt, "two_lane", business_key="ADM-2026-000123")
    with pytest.raises(NotFound):
        start(rt, "no_such_process")
    with pytest.raises(InvalidInput):
        start(rt, "two_lane", {"workdays": 1})


def test_audit_chain_names_edited_deleted_and_reordered_entries(rt, users):
    out = start(rt, "two_lane")
    complete(rt, users["edu_reviewer"], out.opened[0]["id"], {"complete": "true", "months": "36"})
    with rt.db.read() as session:
        assert audit.verify(session).ok
    with rt.db.write() as session:
        session.get(AuditEntry, 3).details = '{"data":{"months":99}}'
    with rt.db.read() as session:
        result = audit.verify(session)
    assert (result.ok, result.bad_seq) == (False, 3) and "edited" in result.reason


def test_audit_detects_deleted_and_reordered_and_truncated(rt, users):
    out = start(rt, "two_lane")
    complete(rt, users["edu_reviewer"], out.opened[0]["id"], {"complete": "true", "months": "36"})
    with rt.db.write() as session:
        session.delete(session.get(AuditEntry, 2))
    with rt.db.read() as session:
        assert audit.verify(session).bad_seq == 2
    with rt.db.write() as session:
        session.get(AuditEntry, 3).seq = 2
    with rt.db.read() as session:
        result = audit.verify(session)
    assert result.bad_seq == 2 and "link" in result.reason


def test_a_step_that_read_the_audit_head_before_another_append_still_chains_in_line(rt, users):
    """A completion reads the chain head with its task; if something appended to the chain in the same
    transaction since, its entries follow those (the head is read again), never fork the chain."""
    out = start(rt, "two_lane")
    task_id = out.opened[0]["id"]
    with rt.db.write() as session:
        seq, prev = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())).first()
        audit.append(session, [audit.Event("comment_added", "edu_reviewer", {"text": "先记一笔"})], datetime.now(timezone.utc))
        audit.append(session, [audit.Event("comment_added", "edu_reviewer", {"text": "旧的链头"})],
                     datetime.now(timezone.utc), head=(seq, prev))
    complete(rt, users["edu_reviewer"], task_id, {"complete": "true", "months": "36"})
    with rt.db.read() as session:
        assert audit.verify(session).ok
        texts = [d for d in session.execute(select(AuditEntry.details).where(AuditEntry.event == "comment_added")
                                            .order_by(AuditEntry.seq)).scalars()]
        assert ["先记一笔" in texts[0], "旧的链头" in texts[1]] == [True, True]
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar() == \
            session.execute(select(func.max(AuditEntry.seq))).scalar()


LITERAL_TIMERS = (
    '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>'
    '<bpmn:intermediateCatchEvent id="wait" name="等到开放日"><bpmn:timerEventDefinition>'
    '<bpmn:timeDate>2026-12-01T09:00</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
    '<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="work"/>'
    '<bpmn:userTask id="work" name="办理"/>'
    '<bpmn:boundaryEvent id="nag" name="催办" attachedToRef="work" cancelActivity="false">'
    '<bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="reminder"/></camunda:properties>'
    '</bpmn:extensionElements><bpmn:timerEventDefinition><bpmn:timeCycle>CYCLE</bpmn:timeCycle>'
    '</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
    '<bpmn:sequenceFlow id="f3" sourceRef="nag" targetRef="nagged"/><bpmn:endEvent id="nagged"/>'
    '<bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="e"/><bpmn:endEvent id="e"/>')


@pytest.mark.parametrize("cycle, reminders", [("R2/PT1H", [1, 1, 0]), ("R/PT1H", [1, 1, 1])])
def test_timer_texts_written_as_modelers_write_them(rt, users, cycle, reminders):
    lanes = {"EDU": ["s", "wait", "work", "nag", "nagged", "e"]}
    body = LITERAL_TIMERS.replace("CYCLE", cycle)
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"lit.bpmn": bpmn("literal_timers", body, lanes)})
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc), tick=False):
        out = start(rt, "literal_timers")
    assert out.opened == []
    opening = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in the office's zone (+08:00)
    assert _next_due(rt, out.case_id) == opening
    with time_machine.travel(opening + timedelta(seconds=1), tick=False), rt.db.write() as session:
        out = cases.fire_timers(session, rt, out.case_id)
    assert [r["element_id"] for r in out.opened] == ["work"]
    for hours, expected in zip((1, 2, 3), reminders):  # one reminder an hour, R2 stops after two
        moment = opening + timedelta(hours=hours, seconds=2)
        assert _fire(rt, out.case_id, moment) == ["reminder"] * expected
