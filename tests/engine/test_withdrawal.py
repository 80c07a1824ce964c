"""撤回 (withdraw): the person who completed a step takes it back while the next steps are unclaimed;
once one is claimed the answer is a clear refusal; a withdrawal racing a claim leaves exactly one winner."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine import audit, withdrawal
from engine.errors import Conflict, PermissionDenied
from engine.models import AuditEntry, Case, Task
from factories import claim, complete, deploy_fixtures, make_users, opened, start
from test_concurrency import race

ROUNDS = 6


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def take_back(rt, actor, task_id):
    with rt.db.write() as session:
        return withdrawal.withdraw(session, rt, actor, task_id)


def intake_done(rt, users):
    first = start(rt, "send_back", {"signers": ["a"]})
    intake = opened(first)["intake"]
    return intake, complete(rt, users["edu_reviewer"], intake, {"household": "本市户籍"})


def test_the_completer_takes_a_step_back_while_the_next_steps_are_unclaimed(rt, users):
    intake, done = intake_done(rt, users)
    with rt.db.read() as session:
        assert withdrawal.can_withdraw(session, rt, users["edu_reviewer"], intake)
        assert not withdrawal.can_withdraw(session, rt, users["edu_reviewer2"], intake)
    back = take_back(rt, users["edu_reviewer"], intake)
    again = opened(back)["intake"]
    assert sorted(back.closed) == sorted(row["id"] for row in done.opened)
    with rt.db.read() as session:
        row = session.get(Task, again)
        assert (row.state, row.assignee) == ("open", "edu_reviewer")
        assert session.get(Task, intake).state == "completed"  # the first submission stays in the history
        assert json.loads(session.get(Case, done.case_id).state)  # the case is sound
        assert audit.verify(session).ok
        withdrawn = session.execute(select(AuditEntry.details).where(AuditEntry.case_id == done.case_id,
                                                                     AuditEntry.event == "task_cancelled")).scalars()
        assert sorted(json.loads(d)["task"] for d in withdrawn) == sorted(r["name"] for r in done.opened), \
            "each withdrawn step is named in the log"
    redo = complete(rt, users["edu_reviewer"], again, {"household": "外地户籍"})
    assert sorted(opened(redo)) == ["edu_check", "psb_check"]


def test_once_a_next_step_is_claimed_the_step_cannot_be_taken_back(rt, users):
    intake, done = intake_done(rt, users)
    claim(rt, users["psb_reviewer"], opened(done)["psb_check"])
    with pytest.raises(Conflict, match="already claimed by psb_reviewer"):
        take_back(rt, users["edu_reviewer"], intake)


def test_only_the_completer_may_take_it_back_and_only_while_the_case_has_not_moved_on(rt, users):
    intake, done = intake_done(rt, users)
    with pytest.raises(PermissionDenied):
        take_back(rt, users["edu_reviewer2"], intake)
    complete(rt, users["edu_reviewer"], opened(done)["edu_check"], {"edu_finding": "符合"})
    complete(rt, users["psb_reviewer"], opened(done)["psb_check"], {"psb_finding": "属实"})
    with pytest.raises(Conflict, match="moved on"):
        take_back(rt, users["edu_reviewer"], intake)


def test_a_withdrawal_racing_a_claim_has_exactly_one_winner(rt, users):
    for _ in range(ROUNDS):
        intake, done = intake_done(rt, users)
        psb = opened(done)["psb_check"]
        results, errors = race(lambda: take_back(rt, users["edu_reviewer"], intake),
                               lambda: claim(rt, users["psb_reviewer"], psb))
        assert sum(r is not None for r in results) == 1, errors
        assert isinstance(next(e for e in errors if e is not None), Conflict)
        with rt.db.read() as session:
            row = session.get(Task, psb)
            if results[0] is not None:  # the withdrawal won: the claim found the step withdrawn
                assert row.state == "cancelled"
            else:                       # the claim won: the step stays with PSB
                assert (row.state, row.assignee) == ("open", "psb_reviewer")
            opens = session.execute(select(Task.element_id).where(Task.case_id == done.case_id,
                                                                  Task.state == "open")).scalars().all()
            assert sorted(opens) in (["intake"], ["edu_check", "psb_check"])
