"""部门函询 for other departments' systems (the REST API): send a formal inquiry, the letter drafted and sent in one
step, or answer one addressed to the caller's department, its 拟写答复 step claimed and completed in one go. What the
API adapter needs to know of bpmn/formal_inquiry.bpmn (its key and the two steps) lives here."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.models import Case, Department, Task
from engine.routing import Actor
from engine.runtime import Runtime

from .intake import INTAKES, about_case, start_data

PROCESS = "formal_inquiry"
DRAFT_STEP = "draft_inquiry"  # the asking department's letter
ANSWER_STEP = "draft_answer"  # the asked department's answer


def send(session: Session, rt: Runtime, actor: Actor, department: str | None, target: str, case_ref: str | None,
         letter: dict[str, Any]) -> tuple[cases.Outcome, cases.Outcome]:
    """Start an inquiry from `department` to `target` about the case `case_ref` and send `letter` (subject, questions,
    reply_days); returns the start's and the sending's outcomes. InvalidInput names every bad field."""
    if target == department:
        raise InvalidInput("an inquiry goes to another department", {"target_department": "is your own department"})
    try:
        data = start_data(INTAKES[PROCESS], {"target_department": target, "case_ref": case_ref}, [], department or "")
    except InvalidInput as exc:
        raise InvalidInput("the inquiry has errors; nothing was sent", exc.fields) from None
    if session.get(Department, target) is None:
        raise InvalidInput("the inquiry has errors; nothing was sent", {"target_department": f"no department {target}"})
    data |= about_case(session, rt, data)
    started = cases.start(session, rt, actor, PROCESS, data)
    draft = next((r for r in started.opened if r["element_id"] == DRAFT_STEP), None)
    if draft is None:
        raise Conflict(f"the deployed {PROCESS} process has no draft step to fill in")
    cases.claim(session, rt, actor, draft["id"])
    return started, cases.complete(session, rt, actor, draft["id"], letter)


def answer(session: Session, rt: Runtime, actor: Actor, department: str | None, business_key: str,
           values: dict[str, Any]) -> tuple[str, cases.Outcome]:
    """Answer the inquiry `business_key` as `department`, the one asked; returns the answered step's id and the outcome.
    NotFound for no such inquiry, Conflict when it waits for no answer, PermissionDenied for another department."""
    case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
    if case is None or case.process_key != PROCESS:
        raise NotFound(f"no inquiry {business_key}")
    task = session.execute(select(Task).where(Task.case_id == case.id, Task.state == "open",
                                              Task.element_id == ANSWER_STEP)).scalars().first()
    if task is None:
        raise Conflict(f"inquiry {business_key} is not waiting for an answer")
    if actor.rank_in(task.department_code) == 0:
        raise PermissionDenied(f"inquiry {business_key} is addressed to {task.department_code}, not {department}")
    if task.assignee is None:
        cases.claim(session, rt, actor, task.id)
    return task.id, cases.complete(session, rt, actor, task.id, values)
