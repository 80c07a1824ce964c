"""The in-app notification centre: messages to people about their work (a step sent back to them, a task
urged, …), written in the same transaction as the change, read and marked read by their owner.

A notice holds a kind and the parameters of its words (step, who, reason), so the web layer words it in
the reader's language; a step given as a StepName keeps, beside its Chinese name, what identifies it
(`<param>_of`: process key, element id, the case's version) so that it is named in the reader's language too. A step for a department goes to its assignee or, while unclaimed, to every
member of the department whose role may take it.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import mail, wallclock
from .errors import StepName
from .models import Case, Notification

MAX_DETAIL = 500  # characters of any one parameter (a reason, a note) kept in a notice


def _now() -> datetime:
    return wallclock.now()


def notify(session: Session, usernames: Iterable[str], kind: str, business_key: str | None, task_id: str | None,
           details: dict, now: datetime | None = None) -> int:
    """Leave a notice for each user (once each); returns how many were written."""
    now = now or _now()
    details = _identified(session, business_key, details)
    text = json.dumps({k: (v[:MAX_DETAIL] if isinstance(v, str) else v) for k, v in details.items()}, ensure_ascii=False)
    names = sorted(set(u for u in usernames if u and not u.startswith("system:")))
    rows = [Notification(username=u, kind=kind, business_key=business_key, task_id=task_id, details=text, created_at=now)
            for u in names]
    session.add_all(rows)
    if rows:
        session.flush()
        mail.enqueue(session, rows, now)  # in the same transaction: a mail goes only if the change stays
    return len(names)


def _identified(session: Session, business_key: str | None, details: dict) -> dict:
    """The details with what identifies each step given as a StepName (`step_of` beside `step`: its process key,
    element id and version, the case's when the name does not say)."""
    steps = {k: v for k, v in details.items() if isinstance(v, StepName)}
    if not steps:
        return details
    version = None
    if business_key and any(v.definition_id is None for v in steps.values()):
        version = session.execute(select(Case.definition_id).where(Case.business_key == business_key)).scalar()
    return {**details, **{f"{k}_of": [v.process_key, v.element_id, v.definition_id if v.definition_id is not None
                                      else version] for k, v in steps.items()}}


def unread(session: Session, username: str) -> int:
    return session.execute(select(func.count()).select_from(Notification)
                           .where(Notification.username == username, Notification.read_at.is_(None))).scalar_one()


def recent(session: Session, username: str, limit: int = 50) -> list[Notification]:
    """The user's notices, unread first, newest first."""
    return list(session.execute(select(Notification).where(Notification.username == username)
                                .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                                          Notification.id.desc()).limit(limit)).scalars())


def mark_read(session: Session, username: str, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's notices read (all unread ones when no ids are given); only their own."""
    query = update(Notification).where(Notification.username == username, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    return session.execute(query.values(read_at=now or _now()), execution_options={"synchronize_session": False}).rowcount
