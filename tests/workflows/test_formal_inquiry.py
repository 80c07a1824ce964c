"""The formal inter-department inquiry (部门函询) from bpmn/, through every path, with the case saved and
reloaded between every step (each engine operation loads the case from the database)."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from engine import cases
from engine.models import AuditEntry, Task
from factories import SYSTEM, complete, opened
from world import World

from workflows.walkthrough import run

START = {"requester_department": "EDU", "target_department": "HRSS", "case_ref": "ADM-2026-000123"}
INQUIRY = {"inquiry_subject": "社保缴费月数核实", "questions": "请核实缴费月数", "reply_days": "5"}
CST = timezone(timedelta(hours=8))


@pytest.fixture
def world(db_url):
    return World(db_url)


@pytest.fixture
def rt(world):
    return world.rt


@pytest.fixture
def people(world):
    names = {"edu": "edu_reviewer", "hrss": "hrss_reviewer", "hrss_chief": "hrss_supervisor", "joint": "joint_reviewer"}
    return {short: world.users[full] for short, full in names.items()}


def begin(rt, people, moment=None):
    with rt.db.write() as session:
        out = cases.start(session, rt, SYSTEM, "formal_inquiry", START)
    assert out.business_key.startswith("INQ-") and opened(out).keys() == {"draft_inquiry"}
    assert out.opened[0]["department_code"] == "EDU"
    out = complete(rt, people["edu"], opened(out)["draft_inquiry"], INQUIRY)
    row = out.opened[0]
    assert (row["element_id"], row["department_code"], row["role"]) == ("draft_answer", "HRSS", "reviewer")
    return out


def answer_and_sign(rt, people, out, decision="approve", answer_id=None):
    answer_id = answer_id or opened(out)["draft_answer"]
    out = complete(rt, people["hrss"], answer_id, {"answer": "累计缴费34个月"})
    sign = out.opened[0]
    assert (sign["element_id"], sign["role"]) == ("sign_answer", "supervisor")
    return complete(rt, people["hrss_chief"], sign["id"], {"sign_decision": decision})


def test_answer_accepted(rt, people):
    out = begin(rt, people)
    reply_due = out.opened[0]["due_at"]
    assert reply_due == rt.calendar.add_workdays(out.opened[0]["created_at"], 5)
    out = answer_and_sign(rt, people, out)
    assert opened(out).keys() == {"review_answer"} and out.opened[0]["department_code"] == "EDU"
    out = complete(rt, people["edu"], opened(out)["review_answer"], {"review_decision": "accept"})
    assert out.status == "completed"


def test_reviewer_cannot_sign_and_chief_sends_back(rt, people):
    out = begin(rt, people)
    out = complete(rt, people["hrss"], opened(out)["draft_answer"], {"answer": "初稿"})
    with pytest.raises(cases.PermissionDenied):
        complete(rt, people["hrss"], opened(out)["sign_answer"], {"sign_decision": "approve"})
    out = complete(rt, people["hrss_chief"], opened(out)["sign_answer"], {"sign_decision": "revise", "sign_comment": "补充依据"})
    assert opened(out).keys() == {"draft_answer"}
    out = answer_and_sign(rt, people, out)
    assert opened(out).keys() == {"review_answer"}


def test_follow_ups_are_bounded_then_joint_office_coordinates(rt, people):
    out = begin(rt, people)
    for round_no in range(1, 4):
        out = answer_and_sign(rt, people, out)
        out = complete(rt, people["edu"], opened(out)["review_answer"],
                       {"review_decision": "follow_up", "follow_up_questions": f"第{round_no}次追问"})
        if round_no < 3:
            assert opened(out).keys() == {"draft_answer"}, round_no
    assert opened(out).keys() == {"coordinate"} and out.opened[0]["department_code"] == "JOINT"
    out = complete(rt, people["joint"], opened(out)["coordinate"], {"coordination_result": "联席会议认定"})
    assert out.status == "completed"


def test_reminder_before_the_deadline_and_supervision_after_it(rt, people):
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=CST)
    with time_machine.travel(friday, tick=False):
        out = begin(rt, people)
    answer_id = opened(out)["draft_answer"]
    # 5 working days from Fri 10:00 → Fri 4 Dec 10:00; reminder one working day earlier
    for moment, event in ((datetime(2026, 12, 3, 10, 0, 1, tzinfo=CST), "reminder"),
                          (datetime(2026, 12, 4, 10, 0, 1, tzinfo=CST), "escalation")):
        with time_machine.travel(moment, tick=False), rt.db.write() as session:
            fired = cases.fire_timers(session, rt, out.case_id)
        assert event in fired.events
    supervise = [r for r in fired.opened if r["element_id"] == "supervise"]
    assert supervise and supervise[0]["department_code"] == "JOINT"
    with rt.db.read() as session:
        task = session.get(Task, answer_id)
        assert task.reminded_at is not None and task.escalated_at is not None and task.state == "open"
        events = set(session.execute(select(AuditEntry.event).where(AuditEntry.case_id == out.case_id)).scalars())
    assert {"reminder", "escalation"} <= events
    out = complete(rt, people["joint"], supervise[0]["id"], {"supervision_note": "请人社局当日答复"})
    out = answer_and_sign(rt, people, out, answer_id=answer_id)
    assert opened(out).keys() == {"review_answer"}


def test_a_late_signature_is_supervised_like_a_late_draft(rt, people):
    """签发 is due one working day after the answer reaches the head of section; when that passes, the joint
    office gets a 督办 step, and the signature can still be given."""
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=CST)
    with time_machine.travel(friday, tick=False):
        out = begin(rt, people)
        answer_id = opened(out)["draft_answer"]
        out = complete(rt, people["hrss"], answer_id, {"answer": "累计缴费34个月"})
    sign_id = opened(out)["sign_answer"]  # due Mon 10:00, one working day on
    with time_machine.travel(datetime(2026, 11, 30, 9, 30, tzinfo=CST), tick=False), rt.db.write() as session:
        fired = cases.fire_timers(session, rt, out.case_id)  # the reminder came four office hours after arrival
    assert "reminder" in fired.events and "escalation" not in fired.events
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, 1, tzinfo=CST), tick=False), rt.db.write() as session:
        fired = cases.fire_timers(session, rt, out.case_id)
    assert "escalation" in fired.events
    supervise = [r for r in fired.opened if r["element_id"] == "supervise"]
    assert supervise and supervise[0]["department_code"] == "JOINT"
    with rt.db.read() as session:
        assert session.get(Task, sign_id).escalated_at is not None and session.get(Task, sign_id).state == "open"


def test_walkthrough_runs_and_can_run_again(db_url, capsys):
    from engine.config import Settings, make_runtime
    assert run(make_runtime(Settings.from_env(db_url))) == 0
    assert run(make_runtime(Settings.from_env(db_url))) == 0
    out = capsys.readouterr().out
    assert "already deployed" in out and "finished cases in this database: 2" in out
