"""Stop-the-clock (补正): while a case waits on the applicant, its SLA clock stops.

A designer marks the element where the case waits (`stops_clock` = `applicant` on an intermediate catch event,
an event-based gateway, a receive task or a call activity; checked at deploy). Rules:
- The clock stops when the case starts waiting there and runs again when it stops waiting (the materials came,
  the deadline passed, the case was withdrawn). Each period is kept (case_pauses) and recorded in the audit log
  (`clock_stopped`, `clock_resumed` with the working days it lasted).
- While stopped, reminder and escalation timers (boundary timers with an `sla` property) do not fire: each is
  held when the clock stops (or when it starts during the stop) and, when the clock runs again, is due later
  by the working days it was held. The open steps' due dates move the same way (by the working days since the
  stop, or since the step arrived if it arrived during the stop). Other timers (the applicant's own deadline)
  run on.
- The figures leave stopped time out by default (handling time, step times, stagnation alerts) and give the
  handling time with it too; `running_days` and `add_running` are the arithmetic for that.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .calendar import WorkCalendar, aware
from .lint_messages import M, kind
from .models import Task
from .models_office import CasePause

REASONS = ("applicant", "department")
WAITING_ELEMENTS = ("intermediateCatchEvent", "eventBasedGateway", "receiveTask", "callActivity")
HELD = "9999-12-31T00:00:00+00:00"  # a held timer's due moment while the clock is stopped

Period = tuple[datetime, datetime | None]  # (stopped, resumed or None while stopped)


def problem(value: str, element: str) -> str | None:
    """Why a `stops_clock` property cannot be used here, or None."""
    if value.strip() not in REASONS:
        return M("stops_clock_reason", value=value.strip(), known=", ".join(REASONS))
    if value.strip() == "department" and element != "callActivity":
        return M("stops_clock_department")
    if element not in WAITING_ELEMENTS:
        return M("stops_clock_element", known=[kind(k) for k in WAITING_ELEMENTS], kind=kind(element))
    return None



def _parse(value: str) -> datetime:
    return aware(datetime.fromisoformat(value))


def track(op, model, tasks: Iterable, timers: dict) -> None:
    """After an operation ran a case: stop or restart its clock, hold or release its SLA timers and move the
    open steps' due dates. `tasks` are the workflow's tasks, `timers` its waiting timers (id → (process,
    element, task)) as steps.py lists them."""
    if not model.stops_clock or op.case_id is None:
        return
    waits = {(task.workflow.spec.name, task.task_spec.bpmn_id): task for task in tasks
             if task.state in (TaskState.WAITING, TaskState.STARTED)
             and (task.workflow.spec.name, task.task_spec.bpmn_id) in model.stops_clock}
    if "department" in model.stops_clock.values():
        _department_waits(op, model, {w: t for w, t in waits.items() if model.stops_clock[w] == "department"})
    waiting = next((w for w in waits if model.stops_clock[w] == "applicant"), None)
    session: Session = op.session
    pause = standing(session, op.case_id)
    if waiting is None and pause is None:
        return
    if pause is None:
        pause = CasePause(case_id=op.case_id, element_id=waiting[1], reason=model.stops_clock[waiting],
                          stopped_at=op.now, held="{}")
        session.add(pause)
        op.record("clock_stopped", {"element": waiting[1], "reason": pause.reason})
    held = json.loads(pause.held or "{}")
    if waiting is not None:
        for tid, (pid, eid, task) in timers.items():
            info = model.timers.get((pid, eid))
            value = task.internal_data.get("event_value")
            if info is None or not info.sla or not isinstance(value, str) or value == HELD:
                continue
            held[tid] = {"due": value, "since": op.now.isoformat()}
            task.internal_data["event_value"] = HELD
        pause.held = json.dumps(held)
        session.flush()
        return
    cal: WorkCalendar = op.rt.calendar
    stopped = aware(pause.stopped_at)
    for tid, entry in held.items():
        task = timers.get(tid, (None, None, None))[2]
        if task is not None and task.internal_data.get("event_value") == HELD:
            task.internal_data["event_value"] = _later(cal, _parse(entry["due"]), _parse(entry["since"]), op.now).isoformat()
    for row in session.execute(select(Task.id, Task.due_at, Task.created_at).where(
            Task.case_id == op.case_id, Task.state == "open", Task.due_at.is_not(None))).all():
        moved = _later(cal, aware(row.due_at), max(stopped, aware(row.created_at)), op.now)
        session.execute(update(Task).where(Task.id == row.id).values(due_at=moved),
                        execution_options={"synchronize_session": False})
    days = round(cal.workdays_between(stopped, op.now), 4)
    pause.resumed_at, pause.days, pause.held = op.now, days, None
    op.record("clock_resumed", {"element": pause.element_id, "reason": pause.reason, "days": days})
    session.flush()


def _department_waits(op, model, waiting: dict) -> None:
    """A department waiting on another's reply (a 函询 it opened): the period is kept per waiting element with
    the department that waits (the call activity's lane), and counted in the node assessment as waiting on
    another department. The case's own clock runs on: the applicant still waits on the administration."""
    session: Session = op.session
    open_now = {p.element_id: p for p in session.execute(select(CasePause).where(
        CasePause.case_id == op.case_id, CasePause.reason == "department", CasePause.resumed_at.is_(None))).scalars()}
    for (pid, eid), task in sorted(waiting.items(), key=lambda item: item[0]):
        if eid not in open_now:
            department = model.clock_owner.get((pid, eid))
            if (pid, eid) in model.clock_owner_expr:  # a lane routed by data: the department named in the data
                try:
                    department = str(task.workflow.script_engine.evaluate(task, model.clock_owner_expr[(pid, eid)])
                                     or "") or None
                except SpiffWorkflowException:  # not in the data: the wait is kept without a department
                    department = None
            session.add(CasePause(case_id=op.case_id, element_id=eid, reason="department", department=department,
                                  stopped_at=op.now))
            op.record("department_wait_started", {"element": eid, "department": department})
    still = {eid for _, eid in waiting}
    for eid, pause in open_now.items():
        if eid not in still:
            days = round(op.rt.calendar.workdays_between(aware(pause.stopped_at), op.now), 4)
            pause.resumed_at, pause.days = op.now, days
            op.record("department_wait_ended", {"element": eid, "department": pause.department, "days": days})
    session.flush()


def waited(session: Session, start: datetime, end: datetime, case_ids=None) -> dict[str, float]:
    """Working days each department waited on other departments' replies, for waits that ended in [start, end)
    (`case_ids`: a subquery narrowing them to some cases, e.g. one process's)."""
    stmt = (select(CasePause.department, func.sum(CasePause.days)).where(
        CasePause.reason == "department", CasePause.resumed_at >= start, CasePause.resumed_at < end,
        CasePause.department.is_not(None)).group_by(CasePause.department))
    if case_ids is not None:
        stmt = stmt.where(CasePause.case_id.in_(case_ids))
    return {code: round(days or 0.0, 2) for code, days in session.execute(stmt).all()}


def of_case(session: Session, case_id: int) -> list[CasePause]:
    """The periods a case's clock stood, in order (the last may still be standing)."""
    return list(session.execute(select(CasePause).where(CasePause.case_id == case_id)
                                .order_by(CasePause.stopped_at)).scalars())


def standing(session: Session, case_id: int) -> CasePause | None:
    """The period in which the case's clock stands now (waiting on the applicant), if it does."""
    return session.execute(select(CasePause).where(CasePause.case_id == case_id, CasePause.reason == "applicant",
                                                   CasePause.resumed_at.is_(None))).scalar_one_or_none()


def _later(cal: WorkCalendar, due: datetime, since: datetime, now: datetime) -> datetime:
    """`due`, moved on by the working days from `since` to `now` (the time the clock stood)."""
    days = cal.workdays_between(since, now) if now > since else 0.0
    return cal.add_workdays(due, days) if days > 0 else due


def periods(history: Iterable[tuple[datetime, str, dict]]) -> list[Period]:
    """The stopped periods of a case from its history (moment, event, details), in order."""
    out: list[Period] = []
    for at, event, _ in history:
        if event == "clock_stopped" and (not out or out[-1][1] is not None):
            out.append((at, None))
        elif event == "clock_resumed" and out and out[-1][1] is None:
            out[-1] = (out[-1][0], at)
    return out


def stopped_days(cal: WorkCalendar, stops: list[Period], start: datetime, end: datetime) -> float:
    """Working days of [start, end) during which the clock stood."""
    total = 0.0
    for s, e in stops:
        lo, hi = max(s, start), min(e or end, end)
        if hi > lo:
            total += cal.workdays_between(lo, hi)
    return total


def running_days(cal: WorkCalendar, stops: list[Period], start: datetime | None, end: datetime | None) -> float | None:
    """Working days from start to end with the stopped time left out (None when either is missing)."""
    if start is None or end is None:
        return None
    return round(max(cal.workdays_between(start, end) - stopped_days(cal, stops, start, end), 0.0), 4)


def add_running(cal: WorkCalendar, stops: list[Period], start: datetime, days: float) -> datetime | None:
    """The moment `days` working days of running clock after `start` (None while it depends on a stop that has
    not ended yet)."""
    cursor, left = start, days
    for s, e in stops:
        if (e is not None and e <= cursor):
            continue
        reached = cal.add_workdays(cursor, left)
        if reached <= s:
            return reached
        if s > cursor:
            left -= cal.workdays_between(cursor, s)
        if e is None:
            return None
        cursor = max(cursor, e)
    return cal.add_workdays(cursor, left)

