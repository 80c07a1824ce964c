"""撤回 (withdraw): the person who completed a step takes it back while the next step is still unclaimed;
and an applicant withdraws an application (撤回申请) until it is decided.

The next steps are the open tasks whose most recent earlier step is the one taken back. Once any of
them is claimed, the answer is a clear refusal (ask that step to send the case back instead, 退回).
Withdrawing and claiming race safely: the next steps are marked in one conditional update, so of a
withdrawal and a claim exactly one wins. The step opens again as a new inbox row claimed by the person
who took it back, with what they submitted filled in; the next steps are withdrawn.
"""
from __future__ import annotations

import json
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from . import holding
from .cases import _task_and_case, send_message
from .errors import Conflict, Message, NotFound, PermissionDenied, StepName, catalogue
from .models import AuditEntry, Case, Task
from .routing import Actor
from .runtime import Runtime
from .sendback import _path, _rekey
from .steps import Outcome, advance, find_task, open_case

_HOLD = "system:withdrawing"  # marks the next steps while a withdrawal takes them back
MESSAGES = catalogue({
    "take_back_open": "task {task!r} is not completed; only a completed step can be taken back",
    "take_back_not_yours": "only {user}, who completed {task!r}, may take it back",
    "take_back_case_over": "case {key} is {status}; nothing can be taken back",
    "take_back_moved_on": "{key} has moved on from {task!r}; ask the step it is at to send it back",
    "take_back_claimed": "{task!r} was already claimed by {user}; it can no longer be taken back (ask that step to send "
                         "it back)",
    "take_back_raced": "a step after {task!r} was claimed just now; it can no longer be taken back",
    "withdraw_reason": "a withdrawal needs a reason",
    "no_case": "no case {key}",
    "withdraw_not_offered": "{process} cannot be withdrawn by the applicant",
    "withdraw_window": "only staff of {department} record a withdrawal brought to the window",
    "withdraw_case_over": "case {key} is {status}; it can no longer be withdrawn",
    "withdraw_decided": "case {key} is already decided; it can no longer be withdrawn (an appeal is still possible)",
})


def _next_steps(session: Session, wf, case_id: int, task_id: str) -> tuple[list[Task], str | None]:
    """The open tasks that the given step led to, and the join to reset when it led there through one."""
    rows = list(session.execute(select(Task).where(Task.case_id == case_id, Task.state == "open")).scalars())
    found, join = [], None
    for row in rows:
        try:
            spiff = wf.get_task_from_id(UUID(row.id))
        except (TaskNotFoundException, ValueError):
            continue
        path = _path(spiff)
        if path and str(path[0][0].id) == task_id:
            found.append(row)
            join = join or (str(path[0][1].id) if path[0][1] is not None else None)
    return found, join


def _load(session: Session, rt: Runtime, actor: Actor, task_id: str):
    task, case = _task_and_case(session, task_id)
    row = session.get(Task, task_id)
    if task.state != "completed":
        raise Conflict(Message("take_back_open", task=StepName.of(task)))
    if row.completed_by != actor.username:
        raise PermissionDenied(Message("take_back_not_yours", user=row.completed_by, task=StepName.of(task)))
    if case.status != "running":
        raise Conflict(Message("take_back_case_over", key=case.business_key, status=case.status))
    model, op, wf = open_case(session, rt, actor, case)
    step = find_task(wf, task_id, TaskState.COMPLETED)
    if step is None:
        raise Conflict(Message("take_back_moved_on", key=case.business_key, task=StepName.of(task)))
    return task, case, row, model, op, wf, step


def can_withdraw(session: Session, rt: Runtime, actor: Actor, task_id: str) -> bool:
    """Whether `actor` may take this completed step back now (for offering the button)."""
    try:
        task, case, _, _, _, wf, _ = _load(session, rt, actor, task_id)
    except (Conflict, PermissionDenied, NotFound):
        return False
    following, _ = _next_steps(session, wf, case.id, task_id)
    return bool(following) and all(t.assignee is None for t in following)


def withdraw(session: Session, rt: Runtime, actor: Actor, task_id: str) -> Outcome:
    """Take a completed step back while the steps it led to are unclaimed."""
    task, case, row, model, op, wf, step = _load(session, rt, actor, task_id)
    following, join = _next_steps(session, wf, case.id, task_id)
    if not following:
        raise Conflict(Message("take_back_moved_on", key=case.business_key, task=StepName.of(task)))
    claimed = [t for t in following if t.assignee is not None]
    if claimed:
        raise Conflict(Message("take_back_claimed", task=StepName.of(claimed[0]), user=claimed[0].assignee))
    held = session.execute(update(Task).where(Task.id.in_([t.id for t in following]), Task.state == "open",
                                              Task.assignee.is_(None)).values(assignee=_HOLD),
                           execution_options={"synchronize_session": False}).rowcount
    if held != len(following):
        raise Conflict(Message("take_back_raced", task=StepName.of(task)))
    reopened = str(uuid4())
    submitted = json.loads(row.data or "{}")

    def action() -> None:
        wf.reset_from_task_id(step.id)
        if join is not None:
            wf.reset_from_task_id(UUID(join))  # what followed the join waits for this branch again
        again = wf.get_task_from_id(step.id)
        again.data.update(submitted)  # filled in as it was sent; it counts again only when sent again
        _rekey(again, UUID(reopened))

    op.record("task_withdrawn", {"task": task.name, "element": task.element_id, "reopened": reopened,
                                 "next": [t.name for t in following]}, task.department_code, task_id)
    outcome = advance(op, wf, model, case.version, action)
    if any(r["id"] == reopened for r in outcome.opened):
        session.execute(update(Task).where(Task.id == reopened).values(assignee=actor.username, claimed_at=op.now),
                        execution_options={"synchronize_session": False})
    return outcome


def reached(session: Session, case_id: int, milestone: str) -> bool:
    """Whether the case has reached a milestone (recorded in its history)."""
    rows = session.execute(select(AuditEntry.details).where(AuditEntry.case_id == case_id,
                                                            AuditEntry.event == "milestone")).scalars()
    return any(json.loads(details).get("milestone") == milestone for details in rows)


def withdraw_application(session: Session, rt: Runtime, actor: Actor, business_key: str, reason: str,
                         channel: str) -> Outcome:
    """The applicant withdraws the application (through the portal, or in person at the window): an
    interrupting event of the process ends the case as withdrawn, every open step is withdrawn. Refused
    once the case is decided (the process property `withdrawable_until`, a milestone)."""
    reason = holding.text(reason, "reason", Message("withdraw_reason"), 500)
    case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
    if case is None:
        raise NotFound(Message("no_case", key=business_key))
    model = rt.model(session, case.definition_id)
    if model.withdraw_message is None:
        raise Conflict(Message("withdraw_not_offered", process=case.process_key))
    if channel == "window" and not actor.at_window(model.owner_department):
        raise PermissionDenied(Message("withdraw_window", department=model.owner_department or "—"))
    if case.status != "running":
        raise Conflict(Message("withdraw_case_over", key=business_key, status=case.status))
    if reached(session, case.id, model.withdrawable_until):
        raise Conflict(Message("withdraw_decided", key=business_key))
    return send_message(session, rt, actor, business_key, model.withdraw_message,
                        {"reason": reason, "channel": channel})
