"""补正 (stop-the-clock): while a case waits on the applicant its SLA clock stands: reminders and escalations do not
fire, the open steps' due dates move on by the working days spent waiting (public holidays not counted), the
periods are kept and the figures leave them out (and give the handling time with them too)."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from engine import cases, clock, facts, kpis, repository
from engine.errors import DeployError
from engine.models import AuditEntry, CaseFact, CasePause, StepFact, Task
from engine.periods import Period
from tests.factories import SYSTEM, make_users, opened

CST = ZoneInfo("Asia/Shanghai")

BODY = """
  <bpmn:message id="m_materials" name="materials"/>
  <bpmn:process id="pause" name="补正测试" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l_edu" name="EDU">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>split</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>remind</bpmn:flowNodeRef><bpmn:flowNodeRef>reminded</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>escalate</bpmn:flowNodeRef><bpmn:flowNodeRef>escalated</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>decided</bpmn:flowNodeRef><bpmn:flowNodeRef>request</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>wait</bpmn:flowNodeRef><bpmn:flowNodeRef>got</bpmn:flowNodeRef><bpmn:flowNodeRef>deadline</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>e2</bpmn:flowNodeRef><bpmn:flowNodeRef>e3</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split"/>
    <bpmn:parallelGateway id="split"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="milestone" value="accepted"/></camunda:properties></bpmn:extensionElements></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="request"/>
    <bpmn:userTask id="review" name="审核" camunda:dueDate="workdays(3)"/>
    <bpmn:boundaryEvent id="remind" name="到期前提醒" attachedToRef="review" cancelActivity="false">
      <bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="reminder"/></camunda:properties></bpmn:extensionElements>
      <bpmn:timerEventDefinition><bpmn:timeDuration>workdays(2)</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="remind" targetRef="reminded"/><bpmn:endEvent id="reminded"/>
    <bpmn:boundaryEvent id="escalate" name="超期上报" attachedToRef="review" cancelActivity="false">
      <bpmn:extensionElements><camunda:properties><camunda:property name="sla" value="escalation"/></camunda:properties></bpmn:extensionElements>
      <bpmn:timerEventDefinition><bpmn:timeDuration>workdays(3)</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="escalate" targetRef="escalated"/><bpmn:endEvent id="escalated"/>
    <bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="decided"/>
    <bpmn:endEvent id="decided"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="milestone" value="decided"/></camunda:properties></bpmn:extensionElements></bpmn:endEvent>
    <bpmn:userTask id="request" name="一次性告知补正"/>
    <bpmn:sequenceFlow id="f7" sourceRef="request" targetRef="wait"/>
    <bpmn:eventBasedGateway id="wait" name="等待补正"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="stops_clock" value="applicant"/></camunda:properties></bpmn:extensionElements></bpmn:eventBasedGateway>
    <bpmn:sequenceFlow id="f8" sourceRef="wait" targetRef="got"/>
    <bpmn:sequenceFlow id="f9" sourceRef="wait" targetRef="deadline"/>
    <bpmn:intermediateCatchEvent id="got" name="申请人补正"><bpmn:messageEventDefinition messageRef="m_materials"/></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="deadline" name="补正期限届满">
      <bpmn:timerEventDefinition><bpmn:timeDuration>workdays(15)</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f10" sourceRef="got" targetRef="e2"/><bpmn:endEvent id="e2"/>
    <bpmn:sequenceFlow id="f11" sourceRef="deadline" targetRef="e3"/><bpmn:endEvent id="e3"/>
  </bpmn:process>"""


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CST)


def definitions(body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">{body}</bpmn:definitions>').encode()


@pytest.fixture
def users(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"pause.bpmn": definitions(BODY)})
    return make_users(rt)


def act(moment, fn):
    with time_machine.travel(moment, tick=False):
        return fn()


def write(rt, moment, fn):
    with time_machine.travel(moment, tick=False), rt.db.write() as session:
        return fn(session)


def review_row(rt, case_id):
    with rt.db.read() as session:
        return session.execute(select(Task).where(Task.case_id == case_id, Task.element_id == "review")).scalar_one()


def events(rt, name):
    with rt.db.read() as session:
        return session.execute(select(AuditEntry).where(AuditEntry.event == name).order_by(AuditEntry.seq)).scalars().all()


def test_the_clock_stands_across_a_holiday_while_the_applicant_is_asked_for_materials(rt, users, monkeypatch):
    monkeypatch.setattr(kpis, "MIN_CASES", 1)
    # Monday 28 September 09:00: the review is due in 3 working days: 1–7 October are public holidays,
    # so it is due on Thursday 8 October 09:00; its reminder after 2 on Wednesday 30 September 09:00.
    out = write(rt, at("2026-09-28", 9), lambda s: cases.start(s, rt, SYSTEM, "pause", {}, business_key="P1"))
    tasks = opened(out)
    assert review_row(rt, out.case_id).due_at == at("2026-10-08", 9)
    # Tuesday 29 September 09:00: the applicant is asked for missing materials; the clock stops
    write(rt, at("2026-09-29", 9), lambda s: cases.complete(s, rt, users["edu_reviewer"], tasks["request"], {}))
    assert [json.loads(e.details) for e in events(rt, "clock_stopped")] == [{"element": "wait", "reason": "applicant"}]
    # the reminder's time passes during the holiday: it does not fire
    write(rt, at("2026-10-08", 10), lambda s: cases.fire_timers(s, rt, out.case_id))
    assert events(rt, "reminder") == [] and events(rt, "escalation") == []
    # Friday 9 October 09:00 the materials come: the clock stood 3 working days (29 Sep 09:00 – 30 Sep, 8 Oct,
    # 9 Oct until 09:00; the holiday not counted)
    write(rt, at("2026-10-09", 9), lambda s: cases.send_message(s, rt, SYSTEM, "P1", "materials", {"files": 2}))
    (resumed,) = events(rt, "clock_resumed")
    assert json.loads(resumed.details)["days"] == 3.0
    # the due date moves on by 3 working days (Saturday 10 October is a make-up working day): Monday 12 October;
    # the reminder, held one working day before its time, now comes one working day after the clock restarted
    assert review_row(rt, out.case_id).due_at == at("2026-10-12", 9)
    write(rt, at("2026-10-10", 8), lambda s: cases.fire_timers(s, rt, out.case_id))
    assert events(rt, "reminder") == []
    write(rt, at("2026-10-10", 10), lambda s: cases.fire_timers(s, rt, out.case_id))
    assert len(events(rt, "reminder")) == 1 and events(rt, "escalation") == []
    with rt.db.read() as session:
        (pause,) = session.execute(select(CasePause)).scalars().all()
        assert (pause.element_id, pause.reason, pause.days, pause.held) == ("wait", "applicant", 3.0, None)
        assert pause.stopped_at == at("2026-09-29", 9) and pause.resumed_at == at("2026-10-09", 9)
    # decided Monday 12 October 09:00: 6 working days from acceptance, 3 of them waiting on the applicant
    write(rt, at("2026-10-12", 9), lambda s: cases.complete(s, rt, users["edu_reviewer"],
                                                             review_row(rt, out.case_id).id, {}))
    with rt.db.write() as session:
        while facts.refresh(session, rt):
            pass
    with rt.db.read() as session:
        fact = session.get(CaseFact, out.case_id)
        assert (fact.handling_days, fact.handling_gross_days, fact.stopped_days) == (3.0, 6.0, 3.0)
        step = session.execute(select(StepFact).where(StepFact.element_id == "review")).scalar_one()
        assert step.work_days == 3.0 and step.on_time is True
        handling = kpis.figures(session, Period(2026, "quarter", 4), kpis.Scope(), CST)["handling"]
    assert handling == {"n": 1, "too_few": False, "avg": 3.0, "median": 3.0, "p90": 3.0, "avg_with_stops": 6.0,
                        "stopped_cases": 1}


def test_the_applicants_own_deadline_runs_on_while_the_clock_stands(rt, users):
    out = write(rt, at("2026-09-28", 9), lambda s: cases.start(s, rt, SYSTEM, "pause", {}, business_key="P2"))
    write(rt, at("2026-09-29", 9), lambda s: cases.complete(s, rt, users["edu_reviewer"], opened(out)["request"], {}))
    # 15 working days after Tuesday 29 September 09:00, the holiday not counted: Wednesday 28 October 09:00
    write(rt, at("2026-10-28", 10), lambda s: cases.fire_timers(s, rt, out.case_id))
    assert len(events(rt, "clock_resumed")) == 1  # the case no longer waits on the applicant
    assert review_row(rt, out.case_id).due_at > at("2026-10-28", 9)


@pytest.mark.parametrize("where, value, message", [
    ('<bpmn:userTask id="x" name="x"', "applicant", "not on a user task"),
    ('<bpmn:intermediateCatchEvent id="x" name="x"', "weather", "must be one of: applicant, department"),
    ('<bpmn:intermediateCatchEvent id="x" name="x"', "department", "stops_clock department belongs on a call activity"),
])
def test_a_misplaced_or_unknown_stop_is_refused_at_deploy(rt, where, value, message):
    closing = "</bpmn:userTask>" if "userTask" in where else \
        '<bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>'
    body = f"""<bpmn:message id="m" name="m"/><bpmn:process id="bad" isExecutable="true">
      <bpmn:laneSet id="ls"><bpmn:lane id="l" name="EDU"><bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>x</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
      <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/>
      {where}><bpmn:extensionElements><camunda:properties><camunda:property name="stops_clock" value="{value}"/>
      </camunda:properties></bpmn:extensionElements>{closing}
      <bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process>"""
    with pytest.raises(DeployError) as raised, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"bad.bpmn": definitions(body)})
    assert message in str(raised.value.problems if hasattr(raised.value, "problems") else raised.value)


def test_running_time_leaves_the_stops_out(rt):
    cal = rt.calendar
    stops = [(at("2026-09-29", 9), at("2026-10-09", 9))]
    assert clock.running_days(cal, stops, at("2026-09-28", 9), at("2026-10-12", 9)) == 3.0
    assert clock.add_running(cal, stops, at("2026-09-28", 9), 2) == at("2026-10-10", 9)
    assert clock.add_running(cal, stops, at("2026-09-28", 9), 0.5) == at("2026-09-28", 21)
    assert clock.add_running(cal, [(at("2026-09-29", 9), None)], at("2026-09-28", 9), 2) is None  # still standing
