"""转办 (transfer): the holder of a task hands it to a colleague of the same department who may take it,
with a reason; the colleague is notified and the record shows both names."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from . import audit, notices, separation, wallclock
from .holding import colleagues, held_open_task, named, not_its_signer, text
from .errors import Conflict, InvalidInput, Message, StepName, catalogue
from .models import Case, Task
from .routing import Actor
from .runtime import Runtime

MAX_REASON = 500
MESSAGES = catalogue({
    "transfer_reason": "a transfer needs a reason",
    "transfer_to_self": "a task is transferred to someone else",
    "transfer_is_yourself": "is yourself",
    "transfer_raced": "task {task!r} changed just now (claimed or completed); nothing was transferred",
})


def transfer(session: Session, rt: Runtime, actor: Actor, task_id: str, to_user: str, reason: str,
             now: datetime | None = None) -> Task:
    """Hand an open task one holds (or may take, while unclaimed) to a colleague who may take it."""
    now = now or wallclock.now()
    reason = text(reason, "reason", Message("transfer_reason"), MAX_REASON)
    task = held_open_task(session, actor, task_id, "transfer")
    if task.delegated_by is not None:
        raise Conflict(Message("task_delegated", task=StepName.of(task), user=task.delegated_by))
    if to_user == actor.username:
        raise InvalidInput(Message("transfer_to_self"), {"to_user": Message("transfer_is_yourself")})
    if to_user not in {name for name, _ in colleagues(session, task, actor.username)}:
        raise InvalidInput(Message("cannot_take", user=named(to_user), task=StepName.of(task)),
                           {"to_user": Message("not_able", role=task.role, department=task.department_code)})
    not_its_signer(session, task, to_user)
    separation.require(session, rt, to_user, task.case_id, task.element_id, StepName.of(task))
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open",
                                               or_(Task.assignee.is_(None), Task.assignee == actor.username))
                            .values(assignee=to_user, claimed_at=now), execution_options={"synchronize_session": False})
    if moved.rowcount != 1:
        raise Conflict(Message("transfer_raced", task=StepName.of(task)))
    key = session.execute(select(Case.business_key).where(Case.id == task.case_id)).scalar_one()
    audit.append(session, [audit.Event("task_transferred", actor.username,
                                       {"task": task.name, "element": task.element_id, "from": actor.username,
                                        "to": to_user, "reason": reason}, task.department_code, task.case_id, key,
                                       task_id)], now)
    notices.notify(session, [to_user], "transferred", key, task_id,
                   {"step": StepName.of(task), "by": actor.display_name or actor.username, "reason": reason}, now)
    session.expire(task)
    return session.get(Task, task_id)
