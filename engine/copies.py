"""抄送 (cc): a case copied to people or departments for information. A step can copy by design (the
user-task property `cc`: department codes, comma separated, copied when the step is completed), or its
holder adds people or departments. Those copied see the case read-only in their "抄送我的" list; opening
it is recorded (the case view in the audit log, and the copy marked read)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, notices, wallclock
from .holding import held_open_task, text
from .errors import InvalidInput, Message, StepName, catalogue
from .models import Case, CaseCopy, Department, Membership, Task, User
from .routing import Actor

MAX_NOTE = 500
MESSAGES = catalogue({
    "cc_targets": "copies go to departments or active users",
    "cc_unknown": "not a department or an active user: {names}",
    "cc_none": "name at least one department or person to copy to",
    "field_required": "is required",
})


def _now() -> datetime:
    return wallclock.now()


def recipients(session: Session, targets: list[str]) -> tuple[list[str], list[str]]:
    """(usernames, unknown targets) for department codes and user names."""
    codes = set(session.execute(select(Department.code).where(Department.code.in_(targets))).scalars())
    users = set(session.execute(select(User.username).where(User.username.in_(targets), User.active.is_(True))).scalars())
    members = set(session.execute(select(User.username).join(Membership, Membership.user_id == User.id)
                                  .where(Membership.department_code.in_(codes), User.active.is_(True))).scalars())
    return sorted(users | members), [t for t in targets if t not in codes and t not in users]


def copy(session: Session, by: str, case: Case, task: Task | None, targets: list[str], note: str = "",
         now: datetime | None = None) -> int:
    """Copy a case to people and departments; returns how many people got a new copy."""
    now = now or _now()
    people, unknown = recipients(session, targets)
    if unknown:
        raise InvalidInput(Message("cc_targets"), {"to": Message("cc_unknown", names=", ".join(unknown))})
    have = set(session.execute(select(CaseCopy.username).where(CaseCopy.case_id == case.id)).scalars())
    fresh = [p for p in people if p not in have and p != by]
    step = task.name if task is not None else ""
    session.add_all([CaseCopy(case_id=case.id, task_id=task.id if task else None, from_step=step, username=p,
                              added_by=by, note=note, created_at=now) for p in fresh])
    audit.append(session, [audit.Event("case_copied", by, {"task": step, "to": sorted(targets), "note": note},
                                       task.department_code if task else None, case.id, case.business_key,
                                       task.id if task else None)], now)
    named = StepName.of(task, case.definition_id) if task is not None else ""
    notices.notify(session, fresh, "copied", case.business_key, None, {"step": named, "by": by, "note": note}, now)
    return len(fresh)


def add(session: Session, actor: Actor, task_id: str, targets: list[str], note: str = "") -> int:
    """The holder of an open task copies the case to people or departments."""
    note = text(note, "note", "", MAX_NOTE, required=False)
    targets = sorted({t.strip() for t in targets if t and t.strip()})
    if not targets:
        raise InvalidInput(Message("cc_none"), {"to": Message("field_required")})
    task = held_open_task(session, actor, task_id, "copy")
    return copy(session, actor.username, session.get(Case, task.case_id), task, targets, note)


def on_completed(session: Session, model, case_id: int, task_id: str, process_id: str, element_id: str) -> int:
    """Copies a step makes by design (its `cc` property) when it is completed."""
    targets = model.cc.get((process_id, element_id))
    if not targets:
        return 0
    task = session.get(Task, task_id)
    return copy(session, "system:engine", session.get(Case, case_id), task, sorted(targets))


def copied_to(session: Session, username: str, case_id: int) -> bool:
    return session.execute(select(CaseCopy.id).where(CaseCopy.case_id == case_id, CaseCopy.username == username)
                           .limit(1)).first() is not None


def mine(session: Session, username: str, limit: int = 100) -> list[tuple[CaseCopy, str]]:
    """(copy, business key) for the user, unread first, newest first."""
    return list(session.execute(select(CaseCopy, Case.business_key).join(Case, Case.id == CaseCopy.case_id)
                                .where(CaseCopy.username == username)
                                .order_by(CaseCopy.read_at.is_not(None), CaseCopy.created_at.desc()).limit(limit)).all())


def mark_read(session: Session, username: str, case_id: int, now: datetime | None = None) -> int:
    return session.execute(update(CaseCopy).where(CaseCopy.case_id == case_id, CaseCopy.username == username,
                                                  CaseCopy.read_at.is_(None)).values(read_at=now or _now()),
                           execution_options={"synchronize_session": False}).rowcount
