"""Who is at the window (窗口): the owner department's staff serve a case's applicant there and record what the
applicant brings for the case as a whole (撤回申请, 好差评: Actor.at_window); the counter (receipts, notices,
corrections, scanned materials) serves the applicant also at the windows of the departments that take the
process's applications (窗口受理, named by the process's plugin): Actor.window names the one the actor serves at."""
from __future__ import annotations

from engine.routing import Actor

CLERK = Actor("clerk", departments={"STREET": "reviewer"})
BOTH = Actor("both", departments={"STREET": "reviewer", "EDU": "supervisor"})


def test_the_owners_staff_are_at_its_window():
    assert BOTH.at_window("EDU") and BOTH.window("EDU") == "EDU"
    assert BOTH.window("EDU", ("STREET",)) == "EDU", "the owner's window first"


def test_a_department_that_takes_the_application_serves_at_the_counter_but_does_not_answer_for_the_case():
    assert CLERK.window("EDU", ("STREET", "EDU")) == "STREET"
    assert not CLERK.at_window("EDU"), "withdrawal and rating stay with the owner's window"


def test_nobody_else_is_at_a_window():
    assert CLERK.window("EDU") is None and CLERK.window("EDU", ("PSB",)) is None
    assert CLERK.window(None) is None and not CLERK.at_window(None)
    assert CLERK.window(None, ("STREET",)) == "STREET"
    assert Actor.system("portal").window("STREET", ("STREET",)) is None
