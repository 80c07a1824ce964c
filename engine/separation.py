"""不相容岗位 (separation of duties): a designer marks that a step must not be done by the person who did
another step of the same case (decide / sign_off, draft_answer / sign_answer, approve / disburse …).

The user-task property `not_by_performer_of` lists the element ids (comma separated; checked at deploy).
The engine refuses the claim, the completion and a reassignment or transfer to such a person, on every
path (web pages, REST API, command line), whoever acts for whom.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Message, PermissionDenied, StepName, catalogue

MESSAGES = catalogue({"incompatible": "{user} did {done!r} in this case and so may not do {task!r} (incompatible duties, "
                                      "不相容岗位)"})
from .models import Case, Task
from .runtime import Runtime


def excluded_steps(session: Session, rt: Runtime, case_id: int, element_id: str,
                   definition_id: int | None = None) -> frozenset[str]:
    """The steps whose performers may not do this step (give the case's definition id when it is known)."""
    if definition_id is None:
        definition_id = session.execute(select(Case.definition_id).where(Case.id == case_id)).scalar_one()
    model = rt.model(session, definition_id)
    found: set[str] = set()
    for (_, element), others in model.not_by_performer_of.items():
        if element == element_id:
            found |= others
    return frozenset(found)


def conflict(session: Session, rt: Runtime, username: str, case_id: int, element_id: str,
             definition_id: int | None = None) -> str | None:
    """The name of the incompatible step `username` did in this case (as the case's version names it), or None."""
    if definition_id is None:
        definition_id = session.execute(select(Case.definition_id).where(Case.id == case_id)).scalar_one()
    excluded = excluded_steps(session, rt, case_id, element_id, definition_id)
    if not excluded:
        return None
    row = session.execute(select(Task.name, Task.process_key, Task.element_id).where(
        Task.case_id == case_id, Task.element_id.in_(excluded), Task.state == "completed",
        Task.completed_by == username).limit(1)).first()
    return StepName(*row, definition_id) if row is not None else None


def require(session: Session, rt: Runtime, username: str, case_id: int, element_id: str, name: str,
            definition_id: int | None = None) -> None:
    """Refuse when `username` did a step this one (`name`, best a StepName: named in the reader's language) must be
    kept apart from."""
    done = conflict(session, rt, username, case_id, element_id, definition_id)
    if done is not None:
        raise PermissionDenied(Message("incompatible", user=username, done=done, task=name))
