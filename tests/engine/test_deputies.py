"""代理: a deputy named for a period sees and acts on the absent user's tasks with their role, the record
says "A acting for B"; outside the period, or once revoked, nothing is borrowed; 不相容岗位 still binds
the person who acts."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine import deputies, repository
from engine.errors import InvalidInput, PermissionDenied
from engine.models import AuditEntry
from engine.routing import load_actor
from factories import SYSTEM, claim, complete, make_users, opened, start
from test_separation import PROCESS

NOW = datetime.now(timezone.utc)


@pytest.fixture
def users(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"four_eyes.bpmn": PROCESS})
    return make_users(rt)


def name(rt, by, principal, deputy, days=3, start_at=None):
    with rt.db.write() as session:
        return deputies.name(session, by, principal, deputy, start_at or NOW - timedelta(hours=1),
                             (start_at or NOW) + timedelta(days=days), "出差").id


def actor(rt, username):
    with rt.db.read() as session:
        return load_actor(session, username)


def test_a_deputy_acts_on_the_absent_chiefs_claimed_task_and_the_record_says_so(rt, users):
    first = start(rt, "four_eyes")
    task = opened(first)["approve"]
    claim(rt, users["edu_chief"], task)
    name(rt, users["edu_chief"], "edu_chief", "edu_reviewer2")
    deputy = actor(rt, "edu_reviewer2")
    assert deputy.departments["EDU"] == "supervisor" and deputy.acting_for == {"EDU": "edu_chief"}
    done = complete(rt, deputy, task, {})
    assert list(opened(done)) == ["disburse"]
    with rt.db.read() as session:
        details = [json.loads(d) for d in session.execute(select(AuditEntry.details).where(
            AuditEntry.event == "task_completed", AuditEntry.case_id == first.case_id)).scalars()]
    assert details[0]["acting_for"] == "edu_chief"


def test_separation_binds_the_deputy_too(rt, users):
    first = start(rt, "four_eyes")
    approved = complete(rt, users["edu_reviewer"], opened(first)["approve"], {})
    name(rt, users["edu_chief"], "edu_chief", "edu_reviewer")
    with pytest.raises(PermissionDenied, match="不相容岗位"):
        complete(rt, actor(rt, "edu_reviewer"), opened(approved)["disburse"], {})


def test_nothing_is_borrowed_outside_the_period_or_once_revoked(rt, users):
    name(rt, users["edu_chief"], "edu_chief", "edu_reviewer", start_at=NOW + timedelta(days=2))
    assert actor(rt, "edu_reviewer").departments["EDU"] == "reviewer"
    deputy_id = name(rt, users["edu_chief"], "edu_chief", "edu_reviewer2")
    assert actor(rt, "edu_reviewer2").departments["EDU"] == "supervisor"
    with rt.db.write() as session:
        deputies.revoke(session, users["edu_chief"], deputy_id)
    assert actor(rt, "edu_reviewer2").departments["EDU"] == "reviewer"


def test_a_deputy_is_a_colleague_and_borrows_only_where_they_belong(rt, users):
    with pytest.raises(InvalidInput) as refused:
        name(rt, users["psb_reviewer"], "psb_reviewer", "hud_reviewer")  # another department's reviewer
    assert refused.value.fields["deputy"].code == "deputy_other_department"
    assert refused.value.fields["deputy"].params["departments"] == ["PSB"]
    with rt.db.write() as session:  # a deputyship written before this rule: nothing is lent outside the deputy's own
        session.add(deputies.Deputy(principal="psb_reviewer", deputy="hud_reviewer", starts_at=NOW - timedelta(hours=1),
                                    ends_at=NOW + timedelta(days=1), named_by="psb_reviewer", reason="出差"))
    assert "PSB" not in actor(rt, "hud_reviewer").departments


def test_who_may_name_a_deputy(rt, users):
    name(rt, users["edu_chief"], "edu_reviewer", "edu_reviewer2")  # a supervisor for a member
    with pytest.raises(PermissionDenied):
        name(rt, users["edu_reviewer2"], "edu_chief", "edu_reviewer2")  # a reviewer for their chief
    with pytest.raises(InvalidInput):
        name(rt, users["edu_chief"], "edu_chief", "edu_chief")
    with pytest.raises(InvalidInput):
        name(rt, users["edu_chief"], "edu_chief", "edu_reviewer", days=200)


def test_a_colleague_of_the_same_rank_may_work_on_the_absent_users_claimed_steps(rt, users):
    first = start(rt, "four_eyes")
    task = opened(first)["approve"]
    claim(rt, users["edu_reviewer2"], task)
    name(rt, users["edu_reviewer2"], "edu_reviewer2", "edu_reviewer")
    deputy = actor(rt, "edu_reviewer")
    assert deputy.departments["EDU"] == "reviewer" and deputy.acting_for == {} and deputy.holds("edu_reviewer2")
    assert list(opened(complete(rt, deputy, task, {}))) == ["disburse"]


def test_a_deputy_cannot_renew_their_own_deputyship_with_the_borrowed_rank(rt, users):
    name(rt, users["edu_chief"], "edu_chief", "edu_reviewer2", days=3)
    deputy = actor(rt, "edu_reviewer2")
    assert deputy.departments["EDU"] == "supervisor"
    with pytest.raises(PermissionDenied):
        name(rt, deputy, "edu_chief", "edu_reviewer2", days=30, start_at=NOW + timedelta(days=2))


def test_a_supervisor_lends_no_role_of_a_department_they_do_not_supervise(rt, users):
    from engine.routing import add_user
    with rt.db.write() as session:
        add_user(session, "both", "both", memberships={"EDU": "reviewer", "PSB": "supervisor"})
    with pytest.raises(PermissionDenied):  # EDU's chief may not make a PSB reviewer PSB's acting 科长
        name(rt, users["edu_chief"], "both", "psb_reviewer")
    assert actor(rt, "psb_reviewer").departments["PSB"] == "reviewer"
    name(rt, users["psb_chief"], "both", "psb_reviewer")  # PSB's own chief may
    assert actor(rt, "psb_reviewer").departments["PSB"] == "supervisor"


def test_a_deputy_of_the_same_rank_may_release_the_absent_colleagues_step(rt, users):
    """A reviewer standing in for a reviewer could complete the colleague's claimed step but not give it back to the
    queue (the inbox offered 取消签收 and the engine refused it: only the holder or a supervisor)."""
    from engine import cases
    from engine.models import Task
    task = opened(start(rt, "four_eyes"))["approve"]
    claim(rt, users["edu_reviewer"], task)
    name(rt, users["edu_chief"], "edu_reviewer", "edu_reviewer2")
    deputy = actor(rt, "edu_reviewer2")
    assert deputy.holds("edu_reviewer") and deputy.departments["EDU"] == "reviewer"
    with rt.db.write() as session:
        cases.release(session, rt, deputy, task)
    with rt.db.read() as session:
        assert session.get(Task, task).assignee is None
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "task_released")).scalar_one()
        assert entry.actor == "edu_reviewer2" and json.loads(entry.details)["previous_assignee"] == "edu_reviewer"
    claim(rt, users["edu_reviewer"], task)
    with pytest.raises(PermissionDenied):  # a colleague who stands in for nobody still may not
        with rt.db.write() as session:
            cases.release(session, rt, users["edu_reviewer2"], task)
