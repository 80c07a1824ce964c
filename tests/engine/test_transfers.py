"""转办: the holder hands a task to a colleague who may take it, with a reason; never to an outsider, to
someone barred by 不相容岗位, or after someone else claimed it."""
from __future__ import annotations

import pytest

from engine import cases, notices, transfers
from engine.errors import InvalidInput, PermissionDenied
from factories import claim, deploy_fixtures, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def transfer(rt, actor, task_id, to_user, reason="出差，转同事办理"):
    with rt.db.write() as session:
        return transfers.transfer(session, rt, actor, task_id, to_user, reason)


def test_the_holder_transfers_to_a_colleague_who_is_notified(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_reviewer"], intake)
    moved = transfer(rt, users["edu_reviewer"], intake, "edu_reviewer2")
    assert moved.assignee == "edu_reviewer2"
    with rt.db.read() as session:
        assert [n.kind for n in notices.recent(session, "edu_reviewer2")] == ["transferred"]
    with pytest.raises(PermissionDenied, match="held by edu_reviewer2"):
        transfer(rt, users["edu_reviewer"], intake, "edu_chief")


def test_refusals(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    with pytest.raises(InvalidInput):
        transfer(rt, users["edu_reviewer"], intake, "psb_reviewer")  # another department
    with pytest.raises(InvalidInput):
        transfer(rt, users["edu_reviewer"], intake, "edu_reviewer", "x")  # oneself
    with pytest.raises(InvalidInput):
        transfer(rt, users["edu_reviewer"], intake, "edu_reviewer2", " ")  # no reason
    with pytest.raises(PermissionDenied):
        transfer(rt, users["psb_reviewer"], intake, "edu_reviewer2")  # not a member
    claim(rt, users["edu_chief"], intake)
    with pytest.raises(PermissionDenied):
        transfer(rt, users["edu_reviewer"], intake, "edu_reviewer2")
    with rt.db.read() as session:
        from engine.models import Task
        assert session.get(Task, intake).assignee == "edu_chief"


def test_a_reason_or_a_comment_that_would_not_read_as_written_is_refused(rt, users):
    """Reasons and comments are read by others (the colleague, the timeline): a right-to-left override or a zero-width
    space in them was taken, where the forms refuse them (found by a hostile-input review)."""
    started = start(rt, "send_back", {"signers": ["a"]})
    intake = opened(started)["intake"]
    with pytest.raises(InvalidInput, match="invisible characters"):
        transfer(rt, users["edu_reviewer"], intake, "edu_reviewer2", "出差\u202e理办事同转")
    with pytest.raises(InvalidInput, match="invisible characters"), rt.db.write() as session:
        cases.note(session, users["edu_reviewer"], started.business_key, "comment_added", {"text": "已\u200b核实"})
    assert transfer(rt, users["edu_reviewer"], intake, "edu_reviewer2", "出差\n转同事").assignee == "edu_reviewer2"


def test_colleagues_are_offered_peers_first(rt):
    """The first colleague a form offers is a peer, not the chief (edu_chief sorts before edu_reviewer2 by name)."""
    from engine import holding
    from engine.models import Task
    deploy_fixtures(rt, "two_lane.bpmn")
    make_users(rt)
    out = start(rt, "two_lane", {})
    with rt.db.read() as session:
        task = session.get(Task, out.opened[0]["id"])
        assert [name for name, _ in holding.colleagues(session, task, "edu_reviewer")] == ["edu_reviewer2", "edu_chief"]
