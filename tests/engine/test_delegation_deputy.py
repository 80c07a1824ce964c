"""委派 four-eyes when a deputy (代理) typed the delegate's answer: the one who typed it and the delegate they stood
in for are both its authors, and neither claims nor confirms it; the queue, the inbox and the API ask the same rule
(delegation.authored)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import accounts, cases, deputies, delegation, saving, wallclock
from engine.errors import PermissionDenied
from engine.models import AuditEntry, Notification, Task
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


def _queued_by_deputy(rt, users) -> str:
    """intake, delegated by edu_reviewer2 to edu_reviewer and answered by edu_reviewer3 standing in for
    edu_reviewer (代理); edu_reviewer2 was deactivated meanwhile, so the answer waits in EDU's queue."""
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_reviewer2"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_reviewer2"], intake, "edu_reviewer")
        now = wallclock.now()
        deputies.name(session, users["edu_reviewer"], "edu_reviewer", "edu_reviewer3", now - timedelta(hours=1),
                      now + timedelta(days=3), "出差")
        accounts.set_active(session, SYSTEM, "edu_reviewer2", False)
    with rt.db.read() as session:
        deputy = load_actor(session, "edu_reviewer3")
    assert complete(rt, deputy, intake, {"household": "本市户籍"}).events == ["delegation_returned_to_queue"]
    return intake


def _delegated_with_a_deputy(rt, users):
    """intake, claimed by edu_chief and delegated to edu_reviewer, for whom edu_reviewer3 stands in (代理); and that
    deputy, who may type the delegate's answer."""
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_chief"], intake)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], intake, "edu_reviewer")
        now = wallclock.now()
        deputies.name(session, users["edu_reviewer"], "edu_reviewer", "edu_reviewer3", now - timedelta(hours=1),
                      now + timedelta(days=3), "出差")
    with rt.db.read() as session:
        return intake, load_actor(session, "edu_reviewer3")


def test_the_delegate_a_deputy_stood_in_for_may_not_claim_the_answer(rt, users):
    """The notice to the department left the delegate out as an author, yet the claim let them take it."""
    intake = _queued_by_deputy(rt, users)
    with pytest.raises(PermissionDenied, match="someone other than edu_reviewer") as refused:
        claim(rt, users["edu_reviewer"], intake)
    assert refused.value.code == "own_answer"
    with rt.db.read() as session:
        assert session.get(Task, intake).assignee is None


def test_the_delegate_a_deputy_stood_in_for_may_not_confirm_the_answer(rt, users):
    intake = _queued_by_deputy(rt, users)
    with pytest.raises(PermissionDenied, match="someone other than edu_reviewer"):
        complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    with rt.db.write() as session:  # held by the delegate all the same (claimed before the claim was refused them)
        session.execute(Task.__table__.update().where(Task.id == intake).values(assignee="edu_reviewer"))
    with pytest.raises(PermissionDenied, match="someone other than edu_reviewer"):
        complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})
    with rt.db.read() as session:
        assert session.get(Task, intake).state == "open"


def test_the_notice_the_inbox_and_the_claim_agree_on_who_authored_it(rt, users):
    intake = _queued_by_deputy(rt, users)
    with rt.db.read() as session:
        noticed = set(session.execute(select(Notification.username)
                                      .where(Notification.kind == "delegation_queued")).scalars())
        row = session.get(Task, intake)
        authors = {name for name in ("edu_reviewer", "edu_reviewer3", "edu_chief") if delegation.authored(row, name)}
        flagged = {name for name in ("edu_reviewer", "edu_reviewer3", "edu_chief")
                   if delegation.authored_among(session, [intake], name)}
    assert authors == flagged == {"edu_reviewer", "edu_reviewer3"}
    assert noticed == {"edu_chief"}, "those who may take it: neither author"
    with pytest.raises(PermissionDenied):
        claim(rt, users["edu_reviewer3"], intake)
    claim(rt, users["edu_chief"], intake)
    assert sorted(opened(complete(rt, users["edu_chief"], intake, {"household": "本市户籍"}))) == \
        ["edu_check", "psb_check"]


def test_an_answer_a_deputy_typed_goes_back_to_the_delegate_to_redo(rt, users):
    """退回重办 sent the answer to the deputy who typed it, as their own step, rather than to the delegate the step
    was delegated to (whose deputy still sees it while the deputyship runs)."""
    intake, deputy = _delegated_with_a_deputy(rt, users)
    assert complete(rt, deputy, intake, {"household": "本市户籍"}).events == ["delegation_returned"]
    with rt.db.write() as session:
        delegation.send_back_to_delegate(session, users["edu_chief"], intake, "请补充依据")
    with rt.db.read() as session:
        row = session.get(Task, intake)
        assert (row.assignee, row.delegated_by) == ("edu_reviewer", "edu_chief")
        assert delegation.returned(row)["values"] == {"household": "本市户籍"}


def test_reassigning_an_answer_a_deputy_typed_names_the_delegate(rt, users):
    """改派 of an answer a deputy typed for the delegate recorded the deputy as the one the step was delegated to
    (the audit's `delegate`) and kept the answer as the deputy's saved text, where 退回重办 and four-eyes take it
    as the delegate's."""
    intake, deputy = _delegated_with_a_deputy(rt, users)
    complete(rt, deputy, intake, {"household": "本市户籍"})
    with rt.db.write() as session:
        cases.reassign(session, rt, users["edu_chief"], [intake], "edu_reviewer2", "人员调整")
    with rt.db.read() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "task_reassigned")).scalar_one()
        details = json.loads(entry.details)
        row = session.get(Task, intake)
        assert (details["delegation_ended"], details["delegate"]) == ("edu_chief", "edu_reviewer")
        assert saving.saved(row)["by"] == "edu_reviewer" and saving.saved(row)["values"] == {"household": "本市户籍"}


def test_an_answer_a_deputy_typed_is_listed_as_the_delegates(rt, users):
    """我委派的 (and the API's `delegate`) read “Delegated to edu_reviewer3”, the deputy who typed the answer, once it
    came back: the step was delegated to edu_reviewer."""
    intake, deputy = _delegated_with_a_deputy(rt, users)
    complete(rt, deputy, intake, {"household": "本市户籍"})
    with rt.db.read() as session:
        assert delegation.answered_by(session, [intake]) == {intake: "edu_reviewer"}
