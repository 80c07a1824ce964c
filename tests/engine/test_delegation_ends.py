"""When a 委派 ends without the delegator confirming it: a supervisor's 改派 gives the step to someone outright (the
delegation ends, the delegate's text stays in the form for the new holder), and an answer whose delegator can no
longer act on the step goes to the department's queue instead of to them."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine import accounts, cases, delegation, notices, saving
from engine.models import AuditEntry, Task
from factories import SYSTEM, claim, complete, deploy_fixtures, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def _delegated(rt, users, holder: str = "edu_chief") -> str:
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users[holder], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users[holder], intake, "edu_reviewer")
    return intake


def _reassign(rt, users, task_id: str, to_user: str = "edu_reviewer2") -> dict:
    with rt.db.write() as session:
        cases.reassign(session, rt, users["edu_chief"], [task_id], to_user, "人员调整")
    with rt.db.read() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "task_reassigned")).scalar_one()
        return json.loads(entry.details)


def _listed_as_delegated(rt, holder: str) -> set[str]:
    with rt.db.read() as session:
        return {task_id for clause in delegation.out_with_delegate(holder)
                for task_id in session.execute(select(Task.id).where(Task.state == "open", clause)).scalars()}


def test_reassigning_a_delegated_step_ends_the_delegation(rt, users):
    """改派 of a step out with a delegate left it marked: the new holder's answer went "back" to the old delegator."""
    intake = _delegated(rt, users)
    with rt.db.write() as session:  # what the delegate typed so far stays in the form
        saving.save(session, rt, users["edu_reviewer"], intake, {"household": "本市"})
    details = _reassign(rt, users, intake)
    assert (details["from"], details["to"]) == ("edu_reviewer", "edu_reviewer2")
    assert (details["delegation_ended"], details["delegate"]) == ("edu_chief", "edu_reviewer")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.delegated_by, row.draft_kind) == ("edu_reviewer2", None, "self")
        assert saving.saved(row)["values"] == {"household": "本市"} and saving.saved(row)["by"] == "edu_reviewer"
    assert _listed_as_delegated(rt, "edu_chief") == set()
    done = complete(rt, users["edu_reviewer2"], intake, {"household": "本市户籍"})
    assert "delegation_returned" not in done.events and sorted(opened(done)) == ["edu_check", "psb_check"]
    with rt.db.read() as session:
        assert session.get(Task, intake).completed_by == "edu_reviewer2"


def test_reassigning_a_step_sent_back_to_the_delegate_leaves_their_answer_to_the_new_holder(rt, users):
    intake = _delegated(rt, users)
    complete(rt, users["edu_reviewer"], intake, {"household": "外地户籍"})
    with rt.db.write() as session:
        delegation.send_back_to_delegate(session, users["edu_chief"], intake, "请核对")
    details = _reassign(rt, users, intake)
    assert (details["delegation_ended"], details["delegate"]) == ("edu_chief", "edu_reviewer")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.delegated_by, row.draft_kind) == ("edu_reviewer2", None, "self")
        assert delegation.returned(row) is None and delegation.draft_of(row) is None
        assert saving.saved(row)["values"] == {"household": "外地户籍"} and saving.saved(row)["by"] == "edu_reviewer"
        assert delegation.redo_reason(session, row) is None


def test_reassigning_an_answer_to_confirm_gives_it_to_the_new_holder_outright(rt, users):
    """The answer came back to edu_chief to confirm; 改派 to edu_reviewer2 made it theirs "to confirm", listed among
    the steps edu_reviewer2 had out with a delegate, which they never had."""
    intake = _delegated(rt, users)
    complete(rt, users["edu_reviewer"], intake, {"household": "外地户籍"})
    details = _reassign(rt, users, intake)
    assert (details["delegation_ended"], details["delegate"]) == ("edu_chief", "edu_reviewer")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.delegated_by, row.draft_kind) == ("edu_reviewer2", None, "self")
        assert delegation.draft_of(row) is None and delegation.answered_by(session, [intake]) == {}
        assert saving.saved(row)["values"] == {"household": "外地户籍"} and saving.saved(row)["by"] == "edu_reviewer"
    assert _listed_as_delegated(rt, "edu_reviewer2") == set() == _listed_as_delegated(rt, "edu_chief")


def test_reassigning_a_step_nobody_delegated_records_no_delegation(rt, users):
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_reviewer"], intake)
    with rt.db.write() as session:
        saving.save(session, rt, users["edu_reviewer"], intake, {"household": "本市"})
    details = _reassign(rt, users, intake)
    assert "delegation_ended" not in details and "delegate" not in details
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.draft_kind) == ("edu_reviewer2", "self")
        assert saving.saved(row)["values"] == {"household": "本市"}


def _deactivated(session):
    accounts.set_active(session, SYSTEM, "edu_reviewer2", False)


def _moved(session):
    accounts.set_access(session, SYSTEM, "edu_reviewer2", {"PSB": "reviewer"}, ())


@pytest.mark.parametrize("gone", [_deactivated, _moved], ids=["deactivated", "moved"])
def test_an_answer_whose_delegator_left_goes_to_the_department_queue(rt, users, gone):
    intake = _delegated(rt, users, holder="edu_reviewer2")
    with rt.db.write() as session:
        gone(session)
    back = complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert back.events == ["delegation_returned_to_queue"] and back.opened == []
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.state, row.assignee, row.delegated_by, row.draft_kind) == ("open", None, None, "delegate")
        assert delegation.draft_of(row) == {"by": "edu_reviewer", "values": {"household": "本市户籍"}}
        entry = session.execute(select(AuditEntry).where(AuditEntry.task_id == intake)
                                .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        assert (entry.event, entry.actor) == ("delegation_returned_to_queue", "edu_reviewer")
        assert json.loads(entry.details)["delegated_by"] == "edu_reviewer2"
        assert [n.kind for n in notices.recent(session, "edu_reviewer2")] == []
    with rt.db.read() as session:  # the department's queue holds it
        queued = session.execute(select(Task.id).where(Task.state == "open", Task.assignee.is_(None),
                                                       Task.department_code == "EDU")).scalars().all()
        assert intake in queued
    claim(rt, users["edu_chief"], intake)
    done = complete(rt, users["edu_chief"], intake, {"household": "本市户籍"})
    assert sorted(opened(done)) == ["edu_check", "psb_check"]


def test_an_answer_whose_delegator_can_still_act_goes_back_to_them(rt, users):
    intake = _delegated(rt, users, holder="edu_reviewer2")
    with rt.db.write() as session:
        accounts.set_access(session, SYSTEM, "edu_reviewer2", {"EDU": "supervisor"}, ())  # promoted: still able
    back = complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    assert back.events == ["delegation_returned"]
    with rt.db.read() as session:
        assert session.get(Task, intake).assignee == "edu_reviewer2"
