"""Who holds an open task and who may take it: the checks that the task actions (转办, 委派, 抄送, 加签 …)
share, and the department members able to take a step."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .models import Membership, Task, User
from .routing import ROLE_RANK, Actor


def able(session: Session, department: str, role: str) -> list[tuple[str, str]]:
    """(username, display name) of the active members of `department` whose role may take a `role` step."""
    need = ROLE_RANK.get(role, 1)
    rows = session.execute(select(User.username, User.display_name, Membership.role)
                           .join(Membership, Membership.user_id == User.id)
                           .where(Membership.department_code == department, User.active.is_(True))
                           .order_by(User.username)).all()
    return [(name, shown) for name, shown, held in rows if ROLE_RANK.get(held, 0) >= need]


def holders(session: Session, department: str, role: str, assignee: str | None) -> list[str]:
    """Who should hear about an open task: its assignee, or the department members who may take it."""
    return [assignee] if assignee else [name for name, _ in able(session, department, role)]


def colleagues(session: Session, task: Task, exclude: str) -> list[tuple[str, str]]:
    """(username, display name) of the active members who may take the task, but not `exclude`."""
    return [(name, shown) for name, shown in able(session, task.department_code, task.role) if name != exclude]


def held_open_task(session: Session, actor: Actor, task_id: str, verb: str) -> Task:
    """The open task `actor` holds, or may take while it is unclaimed; refused plainly otherwise."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    actor.require(task.department_code, task.role, f"{verb} {task.name!r}")
    if task.state != "open":
        raise Conflict(f"task {task.name!r} is no longer open")
    if task.signing == "signer":
        raise Conflict(f"task {task.name!r} is with {task.assignee} for an added signature (加签); "
                       "wait for it to come back")
    if task.assignee is not None and not actor.holds(task.assignee):
        raise PermissionDenied(f"task {task.name!r} is held by {task.assignee}; only its holder may {verb} it")
    return task


def text(value, field: str, missing: str, limit: int, required: bool = True) -> str:
    """A reason, note or opinion from a form, trimmed; `missing` is the refusal when it is required and empty."""
    value = (value if isinstance(value, str) else "").strip()
    if required and not value:
        raise InvalidInput(missing, {field: "required"})
    if len(value) > limit:
        raise InvalidInput(f"the {field} is longer than {limit} characters", {field: "too long"})
    return value
