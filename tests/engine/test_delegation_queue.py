"""A delegate's answer left in the department's queue (its delegator can no longer take the step): the department
hears of it, someone other than its author confirms it (four-eyes), and one whose action lost a race is told
where the answer is."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import accounts, cases, delegation, whereabouts
from engine.errors import PermissionDenied
from engine.models import Notification, Task
from engine.routing import add_user, load_actor
from factories import SYSTEM, claim, complete, deploy_fixtures, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    found = make_users(rt)
    with rt.db.write() as session:
        add_user(session, "edu_reviewer3", "edu_reviewer3", memberships={"EDU": "reviewer"})
    with rt.db.read() as session:
        found["edu_reviewer3"] = load_actor(session, "edu_reviewer3")
    return found


def _delegated(rt, users) -> str:
    """intake, delegated by edu_reviewer2 to edu_reviewer."""
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_reviewer2"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_reviewer2"], intake, "edu_reviewer")
    return intake


def _queued(rt, users) -> str:
    """intake, its delegate's answer in EDU's queue: edu_reviewer2, who delegated it, was deactivated meanwhile."""
    intake = _delegated(rt, users)
    with rt.db.write() as session:
        accounts.set_active(session, SYSTEM, "edu_reviewer2", False)
    assert complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"}).events == \
        ["delegation_returned_to_queue"]
    return intake


def _noticed(rt, kind: str) -> dict[str, str]:
    with rt.db.read() as session:
        return {n.username: n.task_id for n in session.execute(select(Notification).where(Notification.kind == kind))
                .scalars()}


def test_the_department_hears_of_an_answer_left_in_its_queue(rt, users):
    """Nobody was told: the answer waited in the queue until someone happened to look."""
    intake = _queued(rt, users)
    # those who may take the step; not its author, not the delegator who left, not another department
    assert _noticed(rt, "delegation_queued") == {"edu_chief": intake, "edu_reviewer3": intake}
    with rt.db.read() as session:
        notice = session.execute(select(Notification).where(Notification.username == "edu_chief")).scalar_one()
        assert '"step": "受理"' in notice.details and '"by": "edu_reviewer"' in notice.details


def test_an_answer_returned_to_its_delegator_is_not_announced_to_the_department(rt, users):
    intake = _delegated(rt, users)
    complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert _noticed(rt, "delegation_queued") == {}
    assert _noticed(rt, "delegation_returned") == {"edu_reviewer2": intake}


def test_the_delegate_may_not_claim_their_own_answer_from_the_queue(rt, users):
    intake = _queued(rt, users)
    with pytest.raises(PermissionDenied, match="someone other than edu_reviewer") as refused:
        claim(rt, users["edu_reviewer"], intake)
    assert refused.value.code == "own_answer"
    with rt.db.read() as session:
        assert session.get(Task, intake).assignee is None
    claim(rt, users["edu_reviewer3"], intake)  # a colleague confirms it
    assert sorted(opened(complete(rt, users["edu_reviewer3"], intake, {"household": "本市户籍"}))) == \
        ["edu_check", "psb_check"]


def test_the_delegate_may_not_complete_their_own_answer(rt, users):
    """Unclaimed in the queue, or given back to the queue and claimed before this rule: not confirmed by its
    author."""
    intake = _queued(rt, users)
    with pytest.raises(PermissionDenied, match="someone other than edu_reviewer"):
        complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    with rt.db.write() as session:  # held by its author (claimed before the claim was refused to them)
        session.execute(Task.__table__.update().where(Task.id == intake).values(assignee="edu_reviewer"))
    with pytest.raises(PermissionDenied, match="someone other than edu_reviewer"):
        complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    with rt.db.read() as session:
        assert session.get(Task, intake).state == "open"


def test_a_supervisor_may_still_reassign_the_answer_to_its_author(rt, users):
    """改派 gives the step outright (the 委派 ends, the answer stays as the author's saved text): not refused."""
    intake = _queued(rt, users)
    with rt.db.write() as session:
        cases.reassign(session, rt, users["edu_chief"], [intake], "edu_reviewer", "人员调整")
    assert sorted(opened(complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"}))) == \
        ["edu_check", "psb_check"]


def test_a_lost_race_tells_an_answer_back_with_its_delegator(rt, users):
    """It said the step was still delegated (委派) to the delegator, from the last task_delegated entry."""
    intake = _delegated(rt, users)
    complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    with rt.db.read() as session:
        where = whereabouts.of(session, users["edu_reviewer3"], intake)
    assert (where.how, where.who) == ("delegation_returned", "edu_reviewer2") and where.at is not None


def test_a_lost_race_tells_the_author_their_answer_waits_in_the_queue(rt, users):
    intake = _queued(rt, users)
    with rt.db.read() as session:
        mine = whereabouts.of(session, users["edu_reviewer"], intake, refused=True)
        theirs = whereabouts.of(session, users["edu_reviewer3"], intake)
    assert (mine.how, mine.who) == ("delegation_queued", None) and mine.at is not None
    assert theirs.how == "open"  # a colleague may take it and confirm it
