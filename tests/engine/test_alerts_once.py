"""Stagnation alerts are raised once per step and rule, however often the step changes hands (签收, 委派, 转办,
改派, 释放); a step reopened by 退回 is a new step and may be alerted again. An alert of a step that closed is
cleared in the transaction that closes it, and is never shown for a closed step."""
from __future__ import annotations

import json

import time_machine
from sqlalchemy import select

from engine import cases, delegation, sendback, transfers
from engine.models import AuditEntry
from tests.engine.test_alerts import _open, _refresh, _sweep, at, world  # noqa: F401 - the fixture is used
from tests.factories import SYSTEM


def _raised(rt) -> list[tuple[str, str | None]]:
    """(kind, task id) of every stagnation alert in the audit log, in order."""
    with rt.db.read() as session:
        rows = session.execute(select(AuditEntry.details, AuditEntry.task_id)
                               .where(AuditEntry.event == "stagnation_alert").order_by(AuditEntry.seq)).all()
    return [(json.loads(details)["kind"], task_id) for details, task_id in rows]


def _start(rt, key: str) -> str:
    with time_machine.travel(at("2026-10-12", 9), tick=False), rt.db.write() as session:
        out = cases.start(session, rt, SYSTEM, "kpi", {"district": "西湖区"}, business_key=key)
    _refresh(rt)
    return out.opened[0]["id"]


def _at(rt, moment, action) -> None:
    with time_machine.travel(moment, tick=False), rt.db.write() as session:
        action(session)
    _refresh(rt)


def test_changing_hands_raises_a_steps_alert_once(world):  # noqa: F811 - the fixture imported above
    rt, users = world
    review = _start(rt, "H1")
    assert _sweep(rt, at("2026-10-13", 22)) == 1  # half of the review's 3 working days
    # every change of hands, each followed by the worker a minute later: no alert is raised again
    moves = [  # (a delegated step is not released: it goes back to the delegator)
        (at("2026-10-13", 23), lambda s: cases.claim(s, rt, users["edu_reviewer"], review)),
        (at("2026-10-14", 8), lambda s: transfers.transfer(s, rt, users["edu_reviewer"], review, "edu_reviewer2",
                                                            "on leave")),
        (at("2026-10-14", 9), lambda s: cases.release(s, rt, users["edu_reviewer2"], review)),
        (at("2026-10-14", 10), lambda s: cases.claim(s, rt, users["edu_reviewer2"], review)),
        (at("2026-10-15", 8), lambda s: delegation.delegate(s, rt, users["edu_reviewer2"], review, "edu_reviewer")),
        (at("2026-10-15", 9), lambda s: cases.reassign(s, rt, users["edu_chief"], [review], "edu_reviewer",
                                                        "workload")),
    ]
    for moment, action in moves:
        _at(rt, moment, action)
        _sweep(rt, moment.replace(minute=1))
    sla = [task for kind, task in _raised(rt) if kind == "sla"]
    assert sla == [review]
    # the case's own idle alert too: two working days without progress (Wednesday 09:00), and a change of
    # hands is no progress, so it is neither cleared nor raised again
    assert [kind for kind, _ in _raised(rt)].count("idle") == 1
    assert sorted(a["kind"] for a in _open(rt)) == ["idle", "sla"]  # still open, each once


def test_a_step_reopened_by_sending_back_is_alerted_again(world):  # noqa: F811 - the fixture imported above
    rt, users = world
    review = _start(rt, "H2")
    assert _sweep(rt, at("2026-10-13", 22)) == 1
    with time_machine.travel(at("2026-10-14", 8), tick=False), rt.db.write() as session:
        pay = cases.complete(session, rt, users["edu_reviewer"], review, {"decision": "admit"}).opened[0]["id"]
    _refresh(rt)
    with time_machine.travel(at("2026-10-14", 9), tick=False), rt.db.write() as session:
        target = sendback.targets(session, rt, users["psb_reviewer"], pay)[0]
        again = [r["id"] for r in sendback.send_back(session, rt, users["psb_reviewer"], pay, target.task_id,
                                                     "wrong decision").opened]
    _refresh(rt)
    assert len(again) == 1 and again[0] != review
    assert _sweep(rt, at("2026-10-15", 22)) == 1  # half of the new review's 3 working days
    assert [task for kind, task in _raised(rt) if kind == "sla"] == [review, again[0]]
