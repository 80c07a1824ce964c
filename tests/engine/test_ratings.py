"""Service ratings (好差评): once per finished case, a bad one opens a follow-up for the owner department's
supervisors, and the figures count them."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine import cases, facts, kpis, ratings, repository
from engine.definitions import read_files
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import CaseFact, CaseRating, Task
from tests.factories import SYSTEM, bpmn, make_users

FOLLOW_UP = Path(__file__).resolve().parents[2] / "bpmn" / "rating_follow_up.bpmn"
BODY = """<bpmn:extensionElements><camunda:properties><camunda:property name="owner_department" value="EDU" />
</camunda:properties></bpmn:extensionElements>
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
<bpmn:userTask id="review" name="审核"/><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""


@pytest.fixture
def finished(rt):
    users = make_users(rt)
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"quick.bpmn": bpmn("quick", BODY, {"EDU": ["s", "review", "e"]}),
                                                **read_files([FOLLOW_UP])})

    def make(key: str) -> str:
        with rt.db.write() as session:
            out = cases.start(session, rt, SYSTEM, "quick", {}, business_key=key)
        with rt.db.write() as session:
            cases.complete(session, rt, users["edu_reviewer"], out.opened[0]["id"], {})
        return key
    make.users = users  # who serves at the window of EDU, the process's owner department, and who does not
    return rt, make


def test_a_finished_case_is_rated_once(finished):
    rt, make = finished
    key = make("Q-1")
    with rt.db.write() as session:
        rated = ratings.rate(session, rt, SYSTEM, key, 5, "办事效率高", "portal")
    assert rated.score == 5 and rated.follow_up is None
    with pytest.raises(Conflict, match="already been rated"), rt.db.write() as session:
        ratings.rate(session, rt, make.users["edu_reviewer"], key, 4, "", "window")
    with rt.db.write() as session:
        while facts.refresh(session, rt):
            pass
    with rt.db.read() as session:
        assert session.get(CaseFact, session.get(CaseRating, 1).case_id).rating == 5


def test_a_bad_rating_opens_a_follow_up_for_the_owner_departments_supervisors(finished):
    rt, make = finished
    key = make("Q-2")
    with rt.db.write() as session:
        rated = ratings.rate(session, rt, make.users["edu_reviewer"], key, "1", "窗口态度差，等了两个小时", "window")
    assert rated.follow_up and rated.follow_up.startswith("RAT-")
    with rt.db.read() as session:
        task = session.query(Task).filter(Task.element_id == "follow_up").one()
    assert task.department_code == "EDU" and task.role == "supervisor" and task.due_at is not None


def test_only_finished_cases_with_good_input_are_rated(finished):
    rt, make = finished
    with rt.db.write() as session:
        running = cases.start(session, rt, SYSTEM, "quick", {}, business_key="Q-3")
    for score, comment, error in [(0, "", InvalidInput), (6, "", InvalidInput), (True, "", InvalidInput),
                                  ("five", "", InvalidInput), (3, "长" * 501, InvalidInput)]:
        with pytest.raises(error), rt.db.write() as session:
            ratings.rate(session, rt, SYSTEM, make(f"Q-{score!s:.4}-{len(comment)}"), score, comment, "portal")
    with pytest.raises(Conflict, match="not finished"), rt.db.write() as session:
        ratings.rate(session, rt, SYSTEM, running.business_key, 4, "", "portal")
    with pytest.raises(NotFound), rt.db.write() as session:
        ratings.rate(session, rt, SYSTEM, "NOPE-1", 4, "", "portal")


def test_only_the_owner_departments_staff_record_a_rating_at_the_window(finished):
    """The web page judged it (a bare 403 page); the engine says who records it, before anything typed is looked at,
    and records nothing."""
    rt, make = finished
    key = make("Q-W")
    for who in (make.users["psb_reviewer"], SYSTEM):
        with pytest.raises(PermissionDenied) as refused, rt.db.write() as session:
            ratings.rate(session, rt, who, key, "nine", "", "window")
        assert refused.value.code == "rating_window" and "only staff of EDU" in str(refused.value)
    with rt.db.read() as session:
        assert session.execute(select(CaseRating)).first() is None


def test_ratings_feed_satisfaction(finished):
    rt, make = finished
    for i, score in enumerate((5, 4, 4, 3, 5)):
        with rt.db.write() as session:
            ratings.rate(session, rt, SYSTEM, make(f"S-{i}"), score, "", "portal")
    with rt.db.write() as session:
        while facts.refresh(session, rt):
            pass
    period = kpis.current_period("year", rt.calendar.tz)
    with rt.db.read() as session:
        figures = kpis.figures(session, period, kpis.Scope(process="quick"), rt.calendar.tz)
    assert figures["satisfaction"] == {"n": 5, "too_few": False, "avg": 4.2}


@pytest.mark.parametrize("score", ["²", "³", "①"])
def test_a_score_of_a_digit_no_number_is_is_refused_by_name(score):
    """'²' passed the check (str.isdigit) and int() then raised: a 500 page at the window instead of 'score'."""
    with pytest.raises(InvalidInput) as refused:
        ratings.check(score, "")
    assert "score" in refused.value.fields
