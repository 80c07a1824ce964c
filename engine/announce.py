"""Notices the worker derives from the audit log: a step arriving in an inbox (待办到达), a reminder, an
escalation, a stagnation alert (滞留预警).

These are read after the change committed, from a watermark on the audit log (its order is the commit
order: entries take their sequence under the chain's lock), so a notice is never sent for a change that
was rolled back, none is lost, and two workers never announce the same entry (the watermark row is
locked). The operations themselves stay as fast as before: they only append their audit entries.

Who hears: a step that arrives, or is reminded, goes to its assignee or, while unclaimed, to every member
of its department who may take it (a reminder announced when the step is already past its due time says it is
overdue, not due soon: the worker was down, the reminder's timer was set after the due time, or the announcing
lagged); an escalation to the rank above in the department (the overseeing
office for a head's step, see `reported_to`); an alert to the supervisors of the departments it names (the
step's and the overseeing office).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import directory, holding, notices, supervision, wallclock, watermarks
from .errors import StepName
from .models import AuditEntry, Task
from .routing import ROLE_RANK

WATERMARK = "notices"
BATCH = 2000
EVENTS = ("task_ready", "reminder", "escalation", "stagnation_alert")


def refresh(session: Session, now: datetime | None = None) -> int:
    """Announce what the audit log recorded since the last call (one batch); returns the entries read."""
    now = now or wallclock.now()
    mark = watermarks.held(session, WATERMARK)
    rows = session.execute(select(AuditEntry.seq, AuditEntry.event, AuditEntry.case_id, AuditEntry.business_key,
                                  AuditEntry.task_id, AuditEntry.details)
                           .where(AuditEntry.seq > mark.seq).order_by(AuditEntry.seq).limit(BATCH)).all()
    for row in rows:
        if row.event in EVENTS:
            _announce(session, row, now)
    if rows:
        mark.seq, mark.updated_at = rows[-1].seq, now
    return len(rows)


def _open_task(session: Session, row) -> Task | None:
    if row.task_id:
        task = session.get(Task, row.task_id)
    else:  # a reminder or escalation names the step it is attached to
        element = json.loads(row.details).get("task_element")
        task = session.execute(select(Task).where(Task.case_id == row.case_id, Task.element_id == element,
                                                  Task.state == "open").limit(1)).scalar_one_or_none() if element else None
    return task if task is not None and task.state == "open" else None


def _announce(session: Session, row, now: datetime) -> None:
    if row.event == "stagnation_alert":
        details = json.loads(row.details)
        task = session.get(Task, row.task_id) if row.task_id else None
        people = {p for code in details.get("notify", []) for p in holding.holders(session, code, "supervisor", None)}
        notices.notify(session, people, "alert", row.business_key, row.task_id,
                       {"step": StepName.of(task) if task else "", "kind": details.get("kind", ""),
                        "threshold": details.get("threshold", "")}, now)
        return
    task = _open_task(session, row)
    if task is None:  # done or withdrawn before the worker came to it: nothing to say any more
        return
    if row.event == "escalation":
        notices.notify(session, reported_to(session, task), "escalated", row.business_key, task.id, {"step": StepName.of(task)},
                       now)
        return
    kind = "arrived" if row.event == "task_ready" else "overdue" if _overdue(task, now) else "reminded"
    notices.notify(session, holding.holders(session, task.department_code, task.role, task.assignee), kind,
                   row.business_key, task.id, {"step": StepName.of(task)}, now)


def _overdue(task: Task, now: datetime) -> bool:
    """Whether the step is past its due time now (a "due soon" reminder would be wrong)."""
    due = task.due_at
    if due is None:
        return False
    return (due if due.tzinfo else due.replace(tzinfo=timezone.utc)) <= now


def reported_to(session: Session, task: Task) -> list[str]:
    """Who hears of an overdue step: the rank above the one the step needs, in its department (a reviewer's
    step goes to the supervisors, a supervisor's to the heads), or in a unit's parent department when the unit
    has nobody above; a head's step, or one with nobody above, goes to the supervisors of the overseeing
    offices (JOINT by default: 督办)."""
    above = [r for r, n in sorted(ROLE_RANK.items(), key=lambda item: item[1]) if n > ROLE_RANK.get(task.role, 1)]
    people = holding.holders(session, task.department_code, above[0], None) if above else []
    if not people and above:  # a unit (a street office) with nobody above: its department's
        parent = directory.parent_of(session, task.department_code)
        people = holding.holders(session, parent, above[0], None) if parent else []
    if not people:
        for office in supervision.configured_overseers():
            people += holding.holders(session, office, "supervisor", None)
    return sorted(set(people))
