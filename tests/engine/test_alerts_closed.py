"""A step's stagnation alert goes with the step: the case page, right after the step is submitted (before the worker
brings the facts up to date), no longer shows it, a pending one is never raised, and the pages never show the alert of
a closed step. Closing a step writes nothing more for it (a completion pays nothing for alerts it rarely has)."""
from __future__ import annotations

import time_machine
from sqlalchemy import select

from engine import alerts, cases
from engine.models import AlertWatch
from tests.engine.test_alerts import _open, _sweep, at, world  # noqa: F401 - the fixture is used
from tests.engine.test_alerts_once import _raised, _start


def test_completing_a_step_clears_its_alert_at_once(world):  # noqa: F811 - the fixture imported above
    """The case page, right after the step is submitted (before the worker brings the facts up to date), shows
    no alert of the step that closed."""
    rt, users = world
    review = _start(rt, "H3")
    assert _sweep(rt, at("2026-10-13", 22)) == 1
    with time_machine.travel(at("2026-10-14", 8), tick=False), rt.db.write() as session:
        cases.complete(session, rt, users["edu_reviewer"], review, {"decision": "admit"})
    with rt.db.read() as session:  # no refresh of the facts in between
        case_id = session.execute(select(AlertWatch.case_id)).scalars().first()
        shown = alerts.open_alerts(session, case_id=case_id)
    assert [a for a in shown if a["kind"] == "sla"] == []


def test_a_pending_watch_of_a_closed_step_is_never_raised(world):  # noqa: F811 - the fixture imported above
    """A step completed before its alert's moment: the worker does not raise it, even before the facts are
    brought up to date."""
    rt, users = world
    review = _start(rt, "H4")
    with time_machine.travel(at("2026-10-12", 10), tick=False), rt.db.write() as session:
        cases.complete(session, rt, users["edu_reviewer"], review, {"decision": "reject"})
    assert _sweep(rt, at("2026-10-13", 22)) == 0
    assert _raised(rt) == []
    with rt.db.read() as session:
        assert session.execute(select(AlertWatch).where(AlertWatch.task_id == review)).first() is None  # dropped


def test_an_alert_of_a_closed_step_is_not_shown(world):  # noqa: F811 - the fixture imported above
    """However the alert of a closed step was left uncleared (a database upgraded with such rows), the pages
    that list alerts do not show it: it would describe a step that is done."""
    rt, users = world
    review = _start(rt, "H5")
    assert _sweep(rt, at("2026-10-13", 22)) == 1
    with time_machine.travel(at("2026-10-14", 8), tick=False), rt.db.write() as session:
        cases.complete(session, rt, users["edu_reviewer"], review, {"decision": "reject"})
    with rt.db.write() as session:
        for watch in session.execute(select(AlertWatch)).scalars():
            watch.cleared_at = None
    assert [a for a in _open(rt) if a["kind"] == "sla"] == []
