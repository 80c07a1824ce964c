"""委派 (delegate): the holder of a task lets a colleague do the work; what the colleague submits comes
back to the holder, who confirms it (or changes it) and completes the step. Both are recorded, and the
step counts as done by the one who confirmed it."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from . import audit, notices, separation, wallclock
from .errors import Conflict, InvalidInput, Message, catalogue
from .models import Case, Task
from .routing import Actor
from .runtime import Runtime
from .steps import Outcome
from .holding import colleagues, held_open_task, text

MAX_NOTE = 500
MESSAGES = catalogue({
    "delegated_already": "task {task!r} is already delegated by {user}",
    "delegation_raced": "task {task!r} changed just now; nothing was delegated",
})


def _now() -> datetime:
    return wallclock.now()


def delegate(session: Session, rt: Runtime, actor: Actor, task_id: str, to_user: str, note: str = "") -> Task:
    """Let a colleague who may take the task do the work; it comes back to `actor` to confirm."""
    note = text(note, "note", "", MAX_NOTE, required=False)
    task = held_open_task(session, actor, task_id, "delegate")
    if task.delegated_by is not None:
        raise Conflict(Message("delegated_already", task=task.name, user=task.delegated_by))
    if to_user not in {name for name, _ in colleagues(session, task, actor.username)}:
        raise InvalidInput(Message("cannot_take", user=to_user, task=task.name),
                           {"to_user": Message("not_able", role=task.role, department=task.department_code)})
    separation.require(session, rt, actor.username, task.case_id, task.element_id, task.name)  # they will confirm
    now = _now()
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.delegated_by.is_(None),
                                               or_(Task.assignee.is_(None), Task.assignee == task.assignee))
                            .values(assignee=to_user, claimed_at=now, delegated_by=actor.username,
                                    draft=task.draft if _kept(task.draft) else None,
                                    draft_kind=task.draft_kind if _kept(task.draft) else None),
                            execution_options={"synchronize_session": False})
    if moved.rowcount != 1:
        raise Conflict(Message("delegation_raced", task=task.name))
    key = session.execute(select(Case.business_key).where(Case.id == task.case_id)).scalar_one()
    audit.append(session, [audit.Event("task_delegated", actor.username, {"task": task.name, "element": task.element_id,
                                                                          "to": to_user, "note": note},
                                       task.department_code, task.case_id, key, task_id)], now)
    notices.notify(session, [to_user], "delegated", key, task_id,
                   {"step": task.name, "by": actor.display_name or actor.username, "note": note}, now)
    session.expire(task)
    return session.get(Task, task_id)


def _kept(draft: str | None) -> bool:
    """Whether a step's draft is what its holder typed (暂存, or kept when adding a signer): it goes with the step to
    the delegate; a former delegate's answer does not."""
    return bool(draft) and "kept" in json.loads(draft)


def hand_back(session: Session, actor: Actor, task, case_id: int, values: dict) -> Outcome:
    """The delegate's answer (already checked against the form) goes back to the delegator to confirm."""
    now = _now()
    moved = session.execute(update(Task).where(Task.id == task.id, Task.state == "open", Task.assignee == actor.username,
                                               Task.delegated_by == task.delegated_by)
                            .values(assignee=task.delegated_by, delegated_by=None, claimed_at=now,
                                    draft=json.dumps({"by": actor.username, "values": values}, ensure_ascii=False,
                                                     default=str), draft_kind="delegate"),
                            execution_options={"synchronize_session": False})
    if moved.rowcount != 1:
        raise Conflict(Message("task_changed_now", task=task.name))
    audit.append(session, [audit.Event("delegation_returned", actor.username,
                                       {"task": task.name, "element": task.element_id, "to": task.delegated_by,
                                        "data": values}, task.department_code, case_id, task.business_key, task.id)], now)
    notices.notify(session, [task.delegated_by], "delegation_returned", task.business_key, task.id,
                   {"step": task.name, "by": actor.display_name or actor.username}, now)
    return Outcome(case_id, task.business_key, "running", [], [], ["delegation_returned"], None)


def to_confirm():
    """A column expression: the open step holds a delegate's answer for its holder to confirm. It reads
    `draft_kind`, not the draft, whose text holds the form's own field names and values."""
    return and_(Task.draft_kind == "delegate", Task.delegated_by.is_(None), Task.signing.is_(None))


def draft_of(task: Task) -> dict | None:
    """{"by", "values"} of a delegate's answer waiting for confirmation, or of what the holder typed before adding a
    signer ("kept": "signer"), if any; an answer saved for later (暂存) is engine/saving.py's `saved`."""
    if not task.draft or task.state != "open" or task.delegated_by is not None:
        return None
    draft = json.loads(task.draft)
    return None if draft.get("kept") == "self" else draft
