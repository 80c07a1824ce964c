"""委派: the holder lets a colleague do the work; the colleague's answer goes back to the holder, who
confirms it and completes the step; while delegated the task can be neither transferred nor sent back."""
from __future__ import annotations

import json

import pytest

from engine import delegation, notices, transfers
from engine.errors import Conflict, InvalidInput
from engine.models import Task
from factories import claim, complete, deploy_fixtures, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def test_the_delegate_answers_and_the_holder_confirms(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_chief"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], intake, "edu_reviewer", "请先核对户籍")
    with pytest.raises(Conflict, match="delegated by edu_chief"):
        with rt.db.write() as session:
            transfers.transfer(session, rt, users["edu_reviewer"], intake, "edu_reviewer2", "x")
    back = complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert back.events == ["delegation_returned"] and back.opened == []
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.assignee, row.delegated_by) == ("open", "edu_chief", None)
        assert delegation.draft_of(row) == {"by": "edu_reviewer", "values": {"household": "本市户籍"}}
        assert [n.kind for n in notices.recent(session, "edu_chief")] == ["delegation_returned"]
    done = complete(rt, users["edu_chief"], intake, {"household": "本市户籍（已核）"})
    assert sorted(opened(done)) == ["edu_check", "psb_check"]
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert row.completed_by == "edu_chief" and json.loads(row.data) == {"household": "本市户籍（已核）"}


def test_delegation_goes_to_a_colleague_who_may_take_it(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    with pytest.raises(InvalidInput):
        with rt.db.write() as session:
            delegation.delegate(session, rt, users["edu_reviewer"], intake, "psb_reviewer")
