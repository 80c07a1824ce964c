"""督办 (supervision): the overseeing office (the joint-review office, JOINT) opens a supervision item on a
case with an overdue step, with a reason and its own deadline in working days; the departments holding
the overdue steps are notified; the item stays on the case until the office closes it with a note.
Who oversees is configuration (the `overseers` department codes), not a process's business."""
from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, holding, notices, wallclock
from .calendar import WorkCalendar
from .errors import Conflict, InvalidInput, Message, NotFound, PermissionDenied, StepName, catalogue
from .models import Case, SupervisionItem, Task
from .routing import Actor, standard_departments

MAX_TEXT = 1000
MESSAGES = catalogue({
    "supervise_only": "only {departments} open supervision items (督办)",
    "field_required": "is required",
    "field_too_long": "must be at most {limit} characters",
    "supervise_days": "between 1 and 30 working days",
    "supervise_refused": "the supervision item cannot be opened",
    "no_case": "no case {key}",
    "supervise_not_late": "case {key} has no overdue step; supervision is for overdue cases",
    "supervise_twice": "case {key} is already under supervision",
    "supervise_close_only": "only {departments} close supervision items",
    "supervise_note": "closing a supervision item needs a note",
    "supervise_missing": "no supervision item #{item}",
    "supervise_closed": "this supervision item is already closed",
})


def _now() -> datetime:
    return wallclock.now()


def may_supervise(actor: Actor, overseers: tuple[str, ...]) -> bool:
    return any(actor.rank_in(code) > 0 for code in overseers)


def overdue_steps(session: Session, case_id: int, now: datetime) -> list[Task]:
    return list(session.execute(select(Task).where(Task.case_id == case_id, Task.state == "open",
                                                   Task.due_at < now)).scalars())


def configured_overseers() -> tuple[str, ...]:
    """The departments that oversee every case (see every department's figures, open 督办 items, are told of
    stagnation alerts): JOINTREVIEW_OVERSEERS, comma separated; by default the standard departments marked as
    overseeing (the joint-review office, JOINT)."""
    given = os.environ.get("JOINTREVIEW_OVERSEERS")
    if given is None:
        return tuple(d.code for d in standard_departments() if d.oversees)
    return tuple(c.strip() for c in given.split(",") if c.strip())


def open_item(session: Session, actor: Actor, overseers: tuple[str, ...], cal: WorkCalendar, business_key: str,
              reason: str, days: int, now: datetime | None = None) -> SupervisionItem:
    """Open a supervision item on an overdue case; its deadline is `days` working days from now."""
    now = now or _now()
    if not may_supervise(actor, overseers):
        raise PermissionDenied(Message("supervise_only", departments=list(overseers)))
    reason = (reason or "").strip()
    problems = {}
    if not reason:
        problems["reason"] = Message("field_required")
    elif len(reason) > MAX_TEXT:
        problems["reason"] = Message("field_too_long", limit=MAX_TEXT)
    elif holding.HIDDEN.search(reason):
        problems["reason"] = Message("field_hidden")
    if not 1 <= days <= 30:
        problems["days"] = Message("supervise_days")
    if problems:
        raise InvalidInput(Message("supervise_refused"), problems)
    case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
    if case is None:
        raise NotFound(Message("no_case", key=business_key))
    late = overdue_steps(session, case.id, now)
    if case.status != "running" or not late:
        raise Conflict(Message("supervise_not_late", key=business_key))
    if session.execute(select(SupervisionItem.id).where(SupervisionItem.case_id == case.id,
                                                        SupervisionItem.closed_at.is_(None))).first():
        raise Conflict(Message("supervise_twice", key=business_key))
    item = SupervisionItem(case_id=case.id, opened_by=actor.username, reason=reason,
                           due_at=cal.add_workdays(now, days), created_at=now)
    session.add(item)
    session.flush()
    audit.append(session, [audit.Event("supervision_opened", actor.username,
                                       {"reason": reason, "due": item.due_at.isoformat(), "steps": [t.name for t in late]},
                                       None, case.id, business_key)], now)
    for task in late:
        people = holding.holders(session, task.department_code, "supervisor", None)
        if task.assignee:
            people.append(task.assignee)
        notices.notify(session, people, "supervised", business_key, task.id,
                       {"step": StepName.of(task), "by": actor.display_name or actor.username, "reason": reason}, now)
    return item


def close_item(session: Session, actor: Actor, overseers: tuple[str, ...], item_id: int, note: str) -> None:
    if not may_supervise(actor, overseers):
        raise PermissionDenied(Message("supervise_close_only", departments=list(overseers)))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(Message("supervise_note"), {"note": Message("field_required")})
    holding.visible(note, "note")
    item = session.get(SupervisionItem, item_id)
    if item is None:
        raise NotFound(Message("supervise_missing", item=item_id))
    done = session.execute(update(SupervisionItem).where(SupervisionItem.id == item_id, SupervisionItem.closed_at.is_(None))
                           .values(closed_at=_now(), closed_by=actor.username, closing_note=note[:MAX_TEXT]),
                           execution_options={"synchronize_session": False}).rowcount
    if done != 1:
        raise Conflict(Message("supervise_closed"))
    key = session.execute(select(Case.business_key).where(Case.id == item.case_id)).scalar_one()
    audit.append(session, [audit.Event("supervision_closed", actor.username, {"note": note}, None, item.case_id, key)],
                 _now())


def of_case(session: Session, case_id: int) -> list[SupervisionItem]:
    return list(session.execute(select(SupervisionItem).where(SupervisionItem.case_id == case_id)
                                .order_by(SupervisionItem.created_at)).scalars())


def open_items(session: Session) -> list[tuple[SupervisionItem, str]]:
    """Open items with their business keys, soonest deadline first."""
    return list(session.execute(select(SupervisionItem, Case.business_key).join(Case, Case.id == SupervisionItem.case_id)
                                .where(SupervisionItem.closed_at.is_(None)).order_by(SupervisionItem.due_at)).all())
