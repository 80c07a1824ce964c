"""Who holds an open task and who may take it: the checks that the task actions (转办, 委派, 抄送, 加签 …)
share, and the department members able to take a step."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Conflict, InvalidInput, Message, NotFound, PermissionDenied, StepName, catalogue
from .forms import HIDDEN, MAX_TEXT
from .models import Membership, Task, TaskSigner, User
from .routing import ROLE_RANK, Actor, may_take

MESSAGES = catalogue({  # refusals of working on a step someone holds (transfer, delegate, sign, take back)
    "no_task": "no task {task}",
    "task_not_open": "task {task!r} is no longer open",
    "task_with_signer": "task {task!r} is with {user} for an added signature (加签); wait for it to come back",
    "task_held": "task {task!r} is held by {user}; only its holder may do this",
    "task_delegated": "task {task!r} was delegated by {user}; submit it back to them first",
    "task_changed_now": "task {task!r} changed just now; reload it",
    "cannot_take": "{user} cannot take {task!r}",
    "cannot_sign": "{user} cannot sign {task!r}",
    "not_able": "is not an active {role} of {department}",
    "field_required": "is required",
    "field_too_long": "must be at most {limit} characters",
    "text_too_long": "the text is longer than {limit} characters",
    "text_hidden": "the text contains control characters, invisible characters or hidden text-direction marks",
    "field_hidden": "contains control characters, invisible characters or hidden text-direction marks",
    "draft_too_many": "at most {limit} fields",
    "to_sign_it": "{user} is to sign {task!r} after its holder (加签); remove them as a signer first (减签)",
})
MAX_VALUE = MAX_TEXT  # characters of one field of an unfinished answer: as many as a submitted one takes
MAX_FIELDS = 200
LONGEST_USERNAME = 64  # users.username


def named(username: str) -> str:
    """A user name as a refusal repeats it: one longer than any user's is shortened (a crafted one filled the message,
    and the session cookie a refusal travels in to the next page)."""
    return username if len(username) <= LONGEST_USERNAME else username[:LONGEST_USERNAME] + "…"


def able(session: Session, department: str, role: str) -> list[tuple[str, str]]:
    """(username, display name) of the active members of `department` whose role may take a `role` step, those of the
    lowest such rank first (a step is handed to a peer before a chief: the first one is what forms offer)."""
    rows = session.execute(select(User.username, User.display_name, Membership.role)
                           .join(Membership, Membership.user_id == User.id)
                           .where(Membership.department_code == department, User.active.is_(True))
                           .order_by(User.username)).all()
    able_rows = [(ROLE_RANK.get(held, 0), name, shown) for name, shown, held in rows if may_take(held, role)]
    return [(name, shown) for _, name, shown in sorted(able_rows, key=lambda r: (r[0], r[1]))]


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
        raise NotFound(Message("no_task", task=task_id))
    actor.require(task.department_code, task.role, verb, StepName.of(task))
    if task.state != "open":
        raise Conflict(Message("task_not_open", task=StepName.of(task)))
    if task.signing == "signer":
        raise Conflict(Message("task_with_signer", task=StepName.of(task), user=task.assignee))
    if task.assignee is not None and not actor.holds(task.assignee):
        raise PermissionDenied(Message("task_held", task=StepName.of(task), user=task.assignee))
    return task


def not_its_signer(session: Session, task, to_user: str) -> None:
    """Refuse to hand a step to one of its pending signers: they would sign their own answer (a signer is someone
    other than the holder). Only a step with signers (its `signing` set) is looked up."""
    if task.signing and session.execute(select(TaskSigner.id).where(
            TaskSigner.task_id == task.id, TaskSigner.state == "pending", TaskSigner.username == to_user).limit(1)).first():
        raise Conflict(Message("to_sign_it", user=to_user, task=StepName.of(task)))


def text(value, field: str, missing: str, limit: int, required: bool = True) -> str:
    """A reason, note or opinion from a form, trimmed; `missing` is the refusal when it is required and empty."""
    value = (value if isinstance(value, str) else "").strip()
    if required and not value:
        raise InvalidInput(missing, {field: Message("field_required")})
    if len(value) > limit:
        raise InvalidInput(Message("text_too_long", limit=limit), {field: Message("field_too_long", limit=limit)})
    visible(value, field)
    return value


def visible(value: str, field: str) -> None:
    """Refuse what a reader would not see as written: control characters, invisible characters and text-direction
    overrides (a reason or note is shown to others, on their pages and in their mail), as the forms do."""
    if HIDDEN.search(value):
        raise InvalidInput(Message("text_hidden"), {field: Message("field_hidden")})


def unfinished(values: dict) -> dict[str, str]:
    """An unfinished answer (field id → text as typed) as kept on a step, by 暂存 (engine/saving.py) or for a signer
    added before the holder to read: its size and hidden characters checked (others read it); the step's own checks
    wait for its submission."""
    if len(values) > MAX_FIELDS:
        raise InvalidInput(Message("draft_too_many", limit=MAX_FIELDS))
    values = {str(field): value if isinstance(value, str) else str(value) for field, value in values.items()}
    for field, value in values.items():
        if len(value) > MAX_VALUE:
            raise InvalidInput(Message("text_too_long", limit=MAX_VALUE), {field: Message("field_too_long", limit=MAX_VALUE)})
        visible(value, field)
    return values


# what a draft holds, from the "kept" key of one kept before `draft_kind` (migration 0034): none, a delegate's answer
_KEPT = {"self": "self", "signer": "signer", "returned": "returned"}


def draft(task: Task) -> tuple[str, dict] | None:
    """(kind, {"by", "values", and "at" as a moment where it has one}) of the draft an open step holds, its kind as
    `draft_kind` says (models.Task). A draft kept before that column named its kind in a "kept" key of its own: the
    key is left out, and read only for a draft whose column is empty (0034 filled the column from it), so no draft
    kept before is lost."""
    if not task.draft or task.state != "open":
        return None
    kept = json.loads(task.draft)
    kind = task.draft_kind or _KEPT.get(kept.get("kept"), "delegate")
    kept = {k: v for k, v in kept.items() if k != "kept"}
    if isinstance(kept.get("at"), str):
        kept["at"] = datetime.fromisoformat(kept["at"])
    return kind, kept
