"""The node assessment (节点考核) by hand: a step left open past its due time counts against timeliness as a late one
does (a department with an overdue step no longer scores 100), and formal inquiries count wherever they are asked
(a 函询 called from another case's step as well as an inquiry case of its own), with the reply time and the on-time
share of the department asked; an inquiry not yet due is not judged."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from engine import assessment, cases, facts, repository, rollups
from engine.periods import parse_period
from engine.routing import add_user, load_actor
from tests.factories import SYSTEM, bpmn, make_users

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=CST)  # in 2026Q4: the overdue steps counted now
Q4 = parse_period("2026Q4")


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CST)


def refresh(rt, moment=NOW) -> None:
    """Bring the facts and rollups up to date and count the open steps, as the worker does at `moment`."""
    with time_machine.travel(moment, tick=False), rt.db.write() as session:
        while facts.refresh(session, rt):
            pass
        rollups.refresh(session, rt.calendar.tz)


def assess(rt, departments, now=NOW, period=Q4):
    with rt.db.read() as session:
        result = assessment.assess(session, period, departments, rt.calendar.tz, now=now)
    return {r["department"]: r for r in result["departments"]}


def run(rt, moment, action):
    with time_machine.travel(moment, tick=False), rt.db.write() as session:
        return action(session)


CHECK = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="visit"/>
<bpmn:userTask id="visit" name="上门核实" camunda:dueDate="workdays(1)"/>
<bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="e"/><bpmn:endEvent id="e"/>"""


@pytest.fixture
def street(rt):
    """街道办: five visits done within their working day (on time) in November, a sixth left open since
    Monday 23 November 09:00, due Tuesday 24 November 09:00: overdue at the end of 2026Q4 and on 1 December."""
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"street_visit.bpmn": bpmn("street_visit", CHECK, {"STREET": ["s", "visit", "e"]})})
        add_user(session, "grid", "网格员", memberships={"STREET": "reviewer"})
        grid = load_actor(session, "grid")
    for day in ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-23"):
        out = run(rt, at(day, 9), lambda s: cases.start(s, rt, SYSTEM, "street_visit", {}))
        if day != "2026-11-23":
            run(rt, at(day, 15), lambda s, o=out: cases.complete(s, rt, grid, o.opened[0]["id"], {}))
    return rt


def test_a_step_overdue_and_open_at_the_end_counts_against_timeliness(street):
    """Five on time and one overdue still open: the on-time rate of the completed steps stays 100 %, but timeliness
    is 5 / 6 and the score 100 × (0.4 × 5/6 + 0.2 × 1.0) / 0.6 = 88.9 (speed 1.0: the only department with steps;
    accuracy, satisfaction and inquiries have no data and leave the score), not 100."""
    refresh(street)
    row = assess(street, ["STREET"])["STREET"]
    assert row["steps_completed"] == 5 and row["on_time"]["rate"] == 1.0 and row["overdue_open_at_end"] == 1
    assert row["timeliness"] == {"n": 6, "count": 5, "too_few": False, "rate": 0.8333}
    assert row["parts"] == {"timeliness": 0.8333, "speed": 1.0, "accuracy": None, "satisfaction": None,
                            "inquiries": None}
    assert row["score"] == 88.9 and row["rank"] == 1
    assert assessment.flat(row)["on_time"] == 1.0 and assessment.flat(row)["overdue_open_at_end"] == 1


def test_a_past_quarter_counts_the_steps_that_were_overdue_and_open_at_its_end(street):
    """Read in January 2027: the visit still open was overdue at the end of 2026Q4 (the steps' facts, not the
    worker's count of now); one done on time in the quarter after does not change it."""
    january = at("2027-01-11", 9)
    refresh(street, january)
    row = assess(street, ["STREET"], now=january)["STREET"]
    assert row["overdue_open_at_end"] == 1 and row["timeliness"]["rate"] == 0.8333 and row["score"] == 88.9
    later = assess(street, ["STREET"], now=january, period=parse_period("2026-11"))["STREET"]
    assert later["overdue_open_at_end"] == 1 and later["score"] == 88.9  # due 24 November, open on 30 November


INQ = """<bpmn:extensionElements><camunda:properties>
  <camunda:property name="kpi_addressee_field" value="target"/></camunda:properties></bpmn:extensionElements>
<bpmn:startEvent id="is"/><bpmn:sequenceFlow id="i1" sourceRef="is" targetRef="send"/>
<bpmn:scriptTask id="send" name="发出函询"><bpmn:extensionElements><camunda:properties>
  <camunda:property name="milestone" value="accepted"/></camunda:properties></bpmn:extensionElements>
  <bpmn:script>sent = True</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="i2" sourceRef="send" targetRef="answer"/>
<bpmn:userTask id="answer" name="答复" camunda:dueDate="workdays(2)"><bpmn:extensionElements><camunda:properties>
  <camunda:property name="department" value="target"/><camunda:property name="milestone" value="answered"/>
  </camunda:properties></bpmn:extensionElements></bpmn:userTask>
<bpmn:sequenceFlow id="i3" sourceRef="answer" targetRef="ie"/><bpmn:endEvent id="ie"/>"""
ASK = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="a1" sourceRef="s" targetRef="check"/>
<bpmn:userTask id="check" name="核验" camunda:dueDate="workdays(1)"/>
<bpmn:sequenceFlow id="a2" sourceRef="check" targetRef="prep"/>
<bpmn:scriptTask id="prep" name="准备函询"><bpmn:script>target = 'PSB'</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="a3" sourceRef="prep" targetRef="call"/>
<bpmn:callActivity id="call" name="函询" calledElement="inq"/>
<bpmn:sequenceFlow id="a4" sourceRef="call" targetRef="e"/><bpmn:endEvent id="e"/>"""

# (key, asked: the step that asks is done then, answered or None); each answer is due two working days after asking
CALLED = [("C1", at("2026-11-02", 10), at("2026-11-03", 10)),   # 1.0 working day, on time
          ("C2", at("2026-11-03", 10), at("2026-11-04", 10)),   # 1.0, on time
          ("C3", at("2026-11-04", 10), at("2026-11-09", 10)),   # Wed → Mon: 3.0, a day late
          ("C4", at("2026-11-09", 10), at("2026-11-09", 16)),   # 0.25, on time
          ("C5", at("2026-11-16", 10), None),                   # due Wed 18 November: unanswered and late
          ("C6", at("2026-11-30", 10), None)]                   # due Wed 2 December: not yet due on 1 December


@pytest.fixture
def inquiries(rt):
    """Six inquiries 教育局 sends 公安局 from a step of its cases (a called process), and one inquiry case of its own
    (S1: asked Tuesday 10 November 10:00, answered when due, Thursday 12 November 10:00: 2.0 working days)."""
    users = make_users(rt)
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"inq.bpmn": bpmn("inq", INQ, {"PSB": ["is", "send", "answer", "ie"]}),
                                                "ask.bpmn": bpmn("ask", ASK, {"EDU": ["s", "check", "prep", "call", "e"]})})
    for key, asked, answered in CALLED:
        out = run(rt, asked.replace(hour=9), lambda s, k=key: cases.start(s, rt, SYSTEM, "ask", {}, business_key=k))
        out = run(rt, asked, lambda s, o=out: cases.complete(s, rt, users["edu_reviewer"], o.opened[0]["id"], {}))
        assert [(r["element_id"], r["department_code"]) for r in out.opened] == [("answer", "PSB")]
        if answered:
            run(rt, answered, lambda s, o=out: cases.complete(s, rt, users["psb_reviewer"], o.opened[0]["id"], {}))
    own = run(rt, at("2026-11-10", 10), lambda s: cases.start(s, rt, SYSTEM, "inq", {"target": "PSB"}, business_key="S1"))
    run(rt, at("2026-11-12", 10), lambda s: cases.complete(s, rt, users["psb_reviewer"], own.opened[0]["id"], {}))
    refresh(rt)
    return rt


def test_inquiries_called_from_a_step_count_for_the_department_asked(inquiries):
    row = assess(inquiries, ["EDU", "PSB"])["PSB"]
    assert row["inquiries_received"] == 7 and row["inquiries_answered"] == 5
    # answered on time: C1, C2, C4, S1; judged: the five answered and C5 (unanswered past its deadline), not C6
    assert row["inquiries_on_time"] == {"n": 6, "count": 4, "too_few": False, "rate": 0.6667}
    # reply times 1.0, 1.0, 3.0, 0.25, 2.0 working days
    assert row["reply_days"] == {"n": 5, "too_few": False, "avg": 1.45, "median": 1.0, "p90": 2.6}
    assert row["parts"]["inquiries"] == 0.6667
    flat = assessment.flat(row)
    assert (flat["inquiries_received"], flat["inquiries_answered"], flat["inquiries_on_time"], flat["reply_days"]) \
        == (7, 5, 0.6667, 1.45)
    edu = assess(inquiries, ["EDU"])["EDU"]
    assert edu["inquiries_received"] == 0 and edu["reply_days"]["n"] == 0  # the asking side answers none


def test_the_asking_case_keeps_its_own_figures_and_a_rebuild_gives_the_same_inquiries(inquiries):
    """The called inquiry's milestones are the inquiry's: the asking case has no acceptance or answer of its own;
    the incremental facts and rollups equal a full rebuild."""
    from sqlalchemy import select

    from engine.models import CaseFact, InquiryFact
    with inquiries.db.read() as session:
        asking = session.execute(select(CaseFact).where(CaseFact.business_key == "C1")).scalar_one()
        assert (asking.accepted_at, asking.answered_at, asking.addressee) == (None, None, None)
        rows = session.execute(select(InquiryFact).order_by(InquiryFact.asked_at)).scalars().all()
        assert [(r.process_key, r.addressee, r.reply_days) for r in rows] == [
            ("ask", "PSB", 1.0), ("ask", "PSB", 1.0), ("ask", "PSB", 3.0), ("ask", "PSB", 0.25), ("inq", "PSB", 2.0),
            ("ask", "PSB", None), ("ask", "PSB", None)]
        assert rows[0].reply_due_at == at("2026-11-04", 10) and rows[4].reply_due_at == at("2026-11-12", 10)
        incremental, summed = facts.snapshot(session), rollups.snapshot(session)
    with time_machine.travel(NOW, tick=False), inquiries.db.write() as session:
        facts.rebuild_all(session, inquiries)
    with inquiries.db.read() as session:
        assert facts.snapshot(session) == incremental and rollups.snapshot(session) == summed
    assert len(incremental["inquiries"]) == 7
