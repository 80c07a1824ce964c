"""Racing users on one task: exactly one wins, the other gets a clear conflict, the case stays sound."""
import threading

import pytest
from sqlalchemy import func, select

from engine import audit
from engine.errors import Conflict
from engine.models import AuditEntry, Case, Task
from factories import claim, complete, deploy_fixtures, make_users, start

ROUNDS = 8


def race(*calls):
    """Run the calls at the same moment in threads; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "two_lane.bpmn")
    return make_users(rt)


def test_two_users_completing_one_task_at_once(rt, users):
    a, b = users["edu_reviewer"], users["edu_reviewer2"]
    for _ in range(ROUNDS):
        task_id = start(rt, "two_lane").opened[0]["id"]
        values = {"complete": "true", "months": "12"}
        results, errors = race(lambda: complete(rt, a, task_id, values), lambda: complete(rt, b, task_id, values))
        assert sum(r is not None for r in results) == 1, errors
        loser = next(e for e in errors if e is not None)
        assert isinstance(loser, Conflict), repr(loser)
    with rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(Task).where(Task.element_id == "verify")).scalar() == ROUNDS
        assert session.execute(select(func.count()).select_from(Case).where(Case.status != "running")).scalar() == 0
        assert session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.event == "task_completed")).scalar() == ROUNDS
        assert audit.verify(session).ok


def test_two_users_claiming_one_task_at_once(rt, users):
    a, b = users["edu_reviewer"], users["edu_reviewer2"]
    for _ in range(ROUNDS):
        task_id = start(rt, "two_lane").opened[0]["id"]
        results, errors = race(lambda: claim(rt, a, task_id), lambda: claim(rt, b, task_id))
        assert sum(r is not None for r in results) == 1, errors
        assert isinstance(next(e for e in errors if e is not None), Conflict)
        with rt.db.read() as session:
            assert session.get(Task, task_id).assignee in ("edu_reviewer", "edu_reviewer2")


def test_claim_racing_complete_leaves_one_consistent_outcome(rt, users):
    a, b = users["edu_reviewer"], users["edu_reviewer2"]
    for _ in range(ROUNDS):
        task_id = start(rt, "two_lane").opened[0]["id"]
        results, errors = race(lambda: claim(rt, a, task_id),
                               lambda: complete(rt, b, task_id, {"complete": "true", "months": "1"}))
        with rt.db.read() as session:
            task = session.get(Task, task_id)
            if results[1] is not None:  # the completion won: done by b, and the claim was refused
                assert task.state == "completed" and task.completed_by == "edu_reviewer2" == task.assignee
                assert isinstance(errors[0], Conflict), repr(errors[0])
            else:  # the claim won: the completion was refused and the task waits for a
                assert isinstance(errors[1], Conflict) and task.state == "open" and task.assignee == "edu_reviewer"
    with rt.db.read() as session:
        assert audit.verify(session).ok
