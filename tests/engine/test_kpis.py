"""Figures from case histories, checked against hand-computed values on a small world that crosses the
2026 National Day holiday (1–7 October, with Sunday 20 September and Saturday 10 October made working days)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine

from engine import cases, facts, kpis, repository, rollups
from engine.errors import DeployError, InvalidInput
from engine.kpis import Period, Scope
from tests.factories import SYSTEM, bpmn, make_users

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=CST)

BODY = """
<bpmn:extensionElements><camunda:properties>
  <camunda:property name="kpi_area_field" value="district" />
  <camunda:property name="kpi_success_outcomes" value="admit" />
</camunda:properties></bpmn:extensionElements>
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="accept"/>
<bpmn:scriptTask id="accept" name="受理"><bpmn:extensionElements><camunda:properties>
  <camunda:property name="milestone" value="accepted" /></camunda:properties></bpmn:extensionElements>
  <bpmn:script>accepted = True</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="accept" targetRef="review"/>
<bpmn:userTask id="review" name="审核" camunda:dueDate="workdays(3)"><bpmn:extensionElements><camunda:formData>
  <camunda:formField id="decision" label="结果" type="string" /></camunda:formData></bpmn:extensionElements></bpmn:userTask>
<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="decide"/>
<bpmn:scriptTask id="decide" name="审定"><bpmn:extensionElements><camunda:properties>
  <camunda:property name="milestone" value="decided" /><camunda:property name="outcome_field" value="decision" />
  </camunda:properties></bpmn:extensionElements><bpmn:script>decided = True</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f4" sourceRef="decide" targetRef="gw"/>
<bpmn:exclusiveGateway id="gw" default="f6"/>
<bpmn:sequenceFlow id="f5" sourceRef="gw" targetRef="approve"><bpmn:conditionExpression>decision == "admit"</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f6" sourceRef="gw" targetRef="end_no"/>
<bpmn:endEvent id="end_no"/>
<bpmn:scriptTask id="approve" name="批准"><bpmn:extensionElements><camunda:properties>
  <camunda:property name="milestone" value="approved" /></camunda:properties></bpmn:extensionElements>
  <bpmn:script>approved = True</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f7" sourceRef="approve" targetRef="pay"/>
<bpmn:userTask id="pay" name="发放" camunda:dueDate="workdays(5)"><bpmn:extensionElements><camunda:properties>
  <camunda:property name="milestone" value="paid" /></camunda:properties><camunda:formData>
  <camunda:formField id="reference" label="流水号" type="string" /></camunda:formData></bpmn:extensionElements></bpmn:userTask>
<bpmn:sequenceFlow id="f8" sourceRef="pay" targetRef="end"/><bpmn:endEvent id="end"/>
"""
LANES = {"EDU": ["s", "accept", "review", "decide", "gw", "end_no", "approve", "end"], "PSB": ["pay"]}


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


# (key, district, start, decided at, decision, paid at or None)
WORLD = [
    ("C1", "西湖区", at("2026-09-30", 10), at("2026-10-09", 10), "admit", at("2026-10-12", 10)),
    ("C2", "西湖区", at("2026-09-18", 9), at("2026-09-21", 9), "reject", None),
    ("C3", "萧山区", at("2026-10-12", 9), at("2026-10-16", 9), "admit", None),
    ("C4", "西湖区", at("2026-10-08", 9), at("2026-10-10", 9), "reject", None),
    ("C5", "萧山区", at("2026-10-19", 9), at("2026-10-19", 21), "admit", at("2026-10-20", 9)),
    ("C6", "滨江区", at("2026-10-20", 9), at("2026-10-21", 9), "reject", None),
]


def _refresh(rt) -> None:
    with rt.db.write() as session:
        while facts.refresh(session, rt, limit=7):
            pass


@pytest.fixture
def world(rt):
    users = make_users(rt)
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"kpi.bpmn": bpmn("kpi", BODY, LANES)})
    events = []
    for key, district, started, decided, decision, paid in WORLD:
        events.append((started, "start", key, district))
        events.append((decided, "review", key, decision))
        if paid:
            events.append((paid, "pay", key, None))
    tasks: dict[str, dict[str, str]] = {}
    for moment, kind, key, value in sorted(events, key=lambda e: e[0]):
        with time_machine.travel(moment, tick=False), rt.db.write() as session:
            if kind == "start":
                out = cases.start(session, rt, SYSTEM, "kpi", {"district": value}, business_key=key)
            else:
                actor = users["edu_reviewer"] if kind == "review" else users["psb_reviewer"]
                values = {"decision": value} if kind == "review" else {"reference": "PAY1"}
                out = cases.complete(session, rt, actor, tasks[key][kind], values)
            tasks[key] = {row["element_id"]: row["id"] for row in out.opened}
        _refresh(rt)  # incremental, as the worker does it
    return rt


def test_handling_time_success_and_volume_by_hand(world):
    with world.db.read() as session:
        q4 = kpis.figures(session, Period(2026, "quarter", 4), Scope(), CST, NOW)
    # working days: C1 2.0 (across the holiday), C3 4.0, C4 2.0 (Saturday 10 October worked), C5 0.5, C6 1.0
    assert q4["handling"] == {"n": 5, "too_few": False, "avg": 1.9, "median": 2.0, "p90": 3.2, "avg_with_stops": 1.9,
                            "stopped_cases": 0}
    assert q4["success"] == {"n": 5, "count": 3, "too_few": False, "rate": 0.6}
    assert q4["accuracy"]["rate"] == 1.0
    assert q4["disbursement"] == {"n": 2, "too_few": True}  # C1 2.0 and C5 0.5: too few to give a number
    assert q4["volume"]["accepted"] == {"kpi": 4}  # C1 was accepted on 30 September
    assert q4["volume"]["by_area"] == {"萧山区": 2, "西湖区": 1, "滨江区": 1}


def test_steps_on_time_and_overdue_by_hand(world):
    with world.db.read() as session:
        q4 = kpis.figures(session, Period(2026, "quarter", 4), Scope(), CST, NOW)
    edu, psb = q4["steps"]["EDU"], q4["steps"]["PSB"]
    # C3's review was due on 15 October 09:00 (three working days from Monday 12 October 09:00): late
    assert edu["completed"] == 5 and edu["on_time"]["rate"] == 0.8
    assert edu["work_days"]["avg"] == 1.9
    assert psb["completed"] == 2 and psb["on_time"] == {"n": 2, "count": 2, "too_few": True}
    assert psb["overdue_now"] == 1  # C3's payment, due 23 October
    with world.db.read() as session:
        late = kpis.cases_behind(session, "late", Period(2026, "quarter", 4), Scope(), CST, now=NOW)
        overdue = kpis.cases_behind(session, "overdue", Period(2026, "quarter", 4), Scope(), CST, now=NOW)
    assert [r["business_key"] for r in late] == ["C3"] and [r["business_key"] for r in overdue] == ["C3"]


def test_the_make_up_sunday_counts_as_a_working_day(world):
    with world.db.read() as session:
        september = kpis.figures(session, Period(2026, "month", 9), Scope(), CST, NOW)
        rows = kpis.cases_behind(session, "decided", Period(2026, "month", 9), Scope(), CST)
    assert september["handling"] == {"n": 1, "too_few": True}
    assert rows[0]["business_key"] == "C2" and rows[0]["handling_days"] == 2.0  # Fri 09:00 → Sun (worked) → Mon 09:00


def test_comparisons_and_drill_down(world):
    with world.db.read() as session:
        q4 = kpis.compare(session, Period(2026, "quarter", 4), Scope(), CST, NOW)
        succeeded = kpis.cases_behind(session, "succeeded", Period(2026, "quarter", 4), Scope(), CST)
        by_area = kpis.cases_behind(session, "accepted", Period(2026, "quarter", 4), Scope(), CST, "area", "萧山区")
        scoped = kpis.figures(session, Period(2026, "quarter", 4), Scope(area="西湖区"), CST, NOW)
    assert q4["previous_period"] == "2026Q3" and q4["year_before_period"] == "2025Q4"
    assert q4["changes"]["handling"] == {"value": 1.9, "previous": None, "year_before": None,
                                         "vs_previous": None, "vs_year_before": None}
    assert q4["changes"]["accepted"]["value"] == 4 and q4["changes"]["accepted"]["previous"] == 2
    assert q4["changes"]["accepted"]["vs_previous"] == 1.0
    assert sorted(r["business_key"] for r in succeeded) == ["C1", "C3", "C5"]
    assert sorted(r["business_key"] for r in by_area) == ["C3", "C5"]
    assert scoped["handling"]["n"] == 2  # C1 and C4


def test_incremental_facts_and_rollups_equal_a_full_rebuild(world):
    with world.db.read() as session:
        incremental, summed = facts.snapshot(session), rollups.snapshot(session)
    with world.db.write() as session:
        assert facts.rebuild_all(session, world) == len(WORLD)
    with world.db.read() as session:
        rebuilt, resummed = facts.snapshot(session), rollups.snapshot(session)
    assert incremental == rebuilt and len(rebuilt["steps"]) == 9  # six reviews, three payments
    assert summed == resummed and len(summed) > 10


@pytest.mark.parametrize("text, label", [("2026", "2026"), ("2026Q4", "2026Q4"), ("2026q1", "2026Q1"),
                                         ("2026-11", "2026-11"), ("202611", "2026-11")])
def test_periods(text, label):
    period = kpis.parse_period(text)
    assert period.label == label
    start, end = period.bounds(CST)
    assert start < end and start.tzinfo is CST


def test_period_arithmetic():
    assert Period(2026, "quarter", 1).shift(-1).label == "2025Q4"
    assert Period(2026, "month", 1).shift(-1).label == "2025-12"
    assert Period(2026, "quarter", 4).year_before().label == "2025Q4"
    assert [m.label for m in Period(2026, "quarter", 4).months()] == ["2026-10", "2026-11", "2026-12"]
    for bad in ("2026Q5", "26", "2026-13", "last year", "0000", "9999Q4"):
        with pytest.raises(InvalidInput):
            kpis.parse_period(bad)


def test_bad_milestone_properties_are_refused_at_deploy(rt):
    body = BODY.replace('value="accepted"', 'value="Accepted!"').replace('value="decision"', 'value="bad field"')
    with pytest.raises(DeployError) as info:
        with rt.db.write() as session:
            repository.deploy(session, rt, SYSTEM, {"bad.bpmn": bpmn("bad", body, LANES)})
    messages = " ".join(p.message for p in info.value.problems)
    assert "milestone 'Accepted!'" in messages and "outcome_field 'bad field'" in messages


def test_a_moment_in_utc_lands_in_the_local_period():
    start, _ = Period(2026, "month", 10).bounds(CST)
    assert start.astimezone(timezone.utc) == datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc)
    assert kpis.current_period("quarter", CST, datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc)).label == "2026Q4"
    assert timedelta(0) < NOW - start


def test_bottlenecks_per_step(world):
    with world.db.read() as session:
        steps = kpis.bottlenecks(session, Period(2026, "quarter", 4), Scope(process="kpi"), CST, NOW)
    assert steps["review"]["completed"] == 5 and steps["review"]["work_days"]["avg"] == 1.9
    assert steps["review"]["waiting"] == 0
    assert steps["pay"] == {"name": "发放", "completed": 2, "work_days": {"n": 2, "too_few": True},
                            "waiting": 1, "overdue": 1}
