"""The node assessment (节点考核) by hand: a step left open past its due time counts against timeliness as a late one
does (a department with an overdue step no longer scores 100)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from engine import assessment, cases, facts, repository, rollups
from engine.periods import parse_period
from engine.routing import add_user, load_actor
from tests.factories import SYSTEM, bpmn

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
