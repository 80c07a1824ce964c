"""暂存: the holder of a step keeps what they typed in its form without submitting it. It comes back in the form
the next time the step is opened, by them or by whoever takes the step over (the page says who typed it and when),
and it goes when the step is done. A saved answer is unfinished: only its size and hidden characters are checked
here; the step's own checks come when it is submitted.

An unclaimed step is claimed by the one who saves it (they are working on it). The audit log records that a
draft was saved and which fields it holds, not what they hold.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, wallclock
from .cases import claim
from .errors import Conflict, InvalidInput, Message, StepName, catalogue
from .holding import draft, held_open_task, unfinished
from .models import Case, Task
from .routing import Actor
from .runtime import Runtime

MESSAGES = catalogue({
    "draft_nothing": "nothing typed to save",
    "draft_raced": "task {task!r} changed just now; nothing was saved",
})


def save(session: Session, rt: Runtime, actor: Actor, task_id: str, values: dict[str, str]) -> datetime:
    """Keep `values` (field id → text as typed) as the step's saved answer; the moment it was saved."""
    task = held_open_task(session, actor, task_id, "save")
    values = unfinished(values)
    if not typed(values):
        raise InvalidInput(Message("draft_nothing"))
    if task.assignee is None:
        claim(session, rt, actor, task_id)
    now = wallclock.now()
    kept = json.dumps({"by": actor.username, "at": now.isoformat(), "values": values}, ensure_ascii=False)
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open",
                                               Task.assignee == (task.assignee or actor.username))
                            .values(draft=kept, draft_kind="self"), execution_options={"synchronize_session": False})
    if moved.rowcount != 1:
        raise Conflict(Message("draft_raced", task=StepName.of(task)))
    key = session.execute(select(Case.business_key).where(Case.id == task.case_id)).scalar_one()
    audit.append(session, [audit.Event("task_draft_saved", actor.username,
                                       {"task": task.name, "element": task.element_id, "fields": sorted(values)},
                                       task.department_code, task.case_id, key, task_id)], now)
    return now


def typed(values: dict[str, str]) -> bool:
    """Whether anything was typed in a form (a box left unticked is nothing typed)."""
    return any(v.strip() and v != "false" for v in values.values())


def saved(task: Task) -> dict | None:
    """{"by", "at", "values"} of the answer saved on an open step (暂存), if any."""
    kept = draft(task)
    return kept[1] if kept and kept[0] == "self" else None
