"""退回 (send back): the holder of an open task returns the case to an earlier step, with a reason.

Rules (what "an earlier step of the path the case actually took" means):

- The targets are the user tasks on the path that led to this task: its ancestors in the task tree,
  the latest completion of each step. In a (sub-)process that is every earlier step of this run of it;
  through an embedded sub-process the path goes on into the enclosing process, so a step inside a
  sub-process can go back to a step before the sub-process (the sub-process starts anew). A called
  process (call activity: a 函询 another department answers) stops there: its steps do not see the
  calling case's steps and who did them, unless its designer names them in `send_back_to`.
- Parallel branches: a step in one branch can go back to an earlier step of its own branch (the other
  branches go on untouched) or to a step before the split (every branch starts anew); a step of a
  sibling branch is not on its path and is not offered.
- Multi-instance (会签): an instance can go back to a step before the multi-instance task, and a later
  step can go back to the multi-instance step as a whole; either way all its instances start anew
  (sibling instances are not on an instance's path).
- A designer may limit the targets of a step with the property `send_back_to` (element ids, comma
  separated; checked at deploy); without it every earlier step is a target.

The target step opens again with the reason shown and its form filled with the answer it gave, to be
corrected, for whoever completed it (原经办人: claimed for them, if they may still take it; else in the
department's queue); the data submitted after it no longer counts (the case data is what it was when
the target was first reached, with that answer) but stays in the case history, and the steps in between are
withdrawn.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from . import holding, notices, separation
from .cases import _require_open, _task_and_case
from .errors import Conflict, Message, NotFound, PermissionDenied, StepName, catalogue
from .models import AuditEntry, Task
from .routing import Actor
from .runtime import Runtime
from .steps import Outcome, advance, find_task, open_case

MAX_REASON = 1000
MESSAGES = catalogue({
    "send_back_claimed": "task {task!r} is claimed by {user}",
    "send_back_delegated": "task {task!r} was delegated by {user}; only they may send it back",
    "send_back_case_over": "case {key} is {status}; its tasks cannot be sent back",
    "send_back_done": "task {task!r} is no longer waiting for input",
    "send_back_reason": "a send-back needs a reason",
    "send_back_where": "{task!r} cannot be sent back to that step; it can go back to: {steps}",
    "send_back_nowhere": "{task!r} cannot be sent back: there is no earlier step to go back to",
})


@dataclass(frozen=True)
class Target:
    """An earlier step a task can be sent back to."""

    task_id: str          # the step's completed task (a user task, or a multi-instance step as a whole)
    element_id: str
    name: str
    department_code: str
    completed_by: str | None
    closed_at: datetime | None
    join_id: str | None = None  # the join on the direct path that must wait for the target's branch again


def _path(spiff_task, outward: bool = False) -> list[tuple[object, object]]:
    """(user task, join to reset or None) for every step on the path that led to `spiff_task`, the latest
    completion of each step, nearest first. The path goes up out of embedded sub-processes and, at a join,
    into every branch that arrived there; a step found in a branch the engine did not continue from
    comes with the join on the direct path, which must wait for that branch again. It stops at a call
    activity unless `outward`: a called process (a 函询 answered by another department) does not show the
    calling case's steps and who did them, unless its designer named them as targets (send_back_to)."""
    found: dict[str, tuple[object, object]] = {}
    stack = [(spiff_task.parent, None)]
    visited: set = set()
    while stack:
        current, via = stack.pop()
        while current is not None and current.id not in visited:
            visited.add(current.id)
            if _is_step(current) and current.state == TaskState.COMPLETED:
                best = found.get(current.task_spec.bpmn_id)
                if best is None or best[0].last_state_change < current.last_state_change:
                    found[current.task_spec.bpmn_id] = (current, via)
            if isinstance(current.task_spec, Join):
                for other in current.workflow.tasks.values():
                    if other.task_spec is current.task_spec and other is not current and other.id not in visited \
                            and other.has_state(TaskState.FINISHED_MASK) \
                            and other.last_state_change <= current.last_state_change:
                        stack.append((other.parent, via or current))
            parent = current.parent
            if parent is None and current.workflow.parent_task_id is not None:
                parent = current.workflow.top_workflow.get_task_from_id(current.workflow.parent_task_id)
                if _calls_another_process(parent.task_spec) and not outward:
                    parent = None
            current = parent
    return sorted(found.values(), key=lambda pair: -pair[0].last_state_change)


def _calls_another_process(spec) -> bool:
    """A call activity (its sub-workflow is another process), not an embedded sub-process (SpiffWorkflow runs both
    as sub-workflows; an embedded one's workflow is named by its own element id)."""
    return isinstance(spec, CallActivity) and getattr(spec, "spec", None) != spec.bpmn_id


def _is_step(task) -> bool:
    """A user task, or a multi-instance user task (会签) as a whole."""
    spec = task.task_spec
    if isinstance(spec, UserTask):
        return True
    return isinstance(spec, MultiInstanceTask) and isinstance(task.workflow.spec.task_specs.get(spec.task_spec), UserTask)


def _rows_of(task) -> list[str]:
    """The inbox rows of a step: the task itself, or the instances of a multi-instance step."""
    if isinstance(task.task_spec, MultiInstanceTask):
        return [str(c.id) for c in task.children if c.task_spec.name == task.task_spec.task_spec]
    return [str(task.id)]


def _load(session: Session, rt: Runtime, actor: Actor, task_id: str):
    task, case = _task_and_case(session, task_id)
    actor.require(task.department_code, task.role, "send back", StepName.of(task))
    _require_open(task, "sent back")
    if task.assignee is not None and not actor.holds(task.assignee):
        raise Conflict(Message("send_back_claimed", task=StepName.of(task), user=task.assignee))
    if task.delegated_by is not None:
        raise Conflict(Message("send_back_delegated", task=StepName.of(task), user=task.delegated_by))
    if case.status != "running":
        raise Conflict(Message("send_back_case_over", key=case.business_key, status=case.status))
    model, op, wf = open_case(session, rt, actor, case)
    spiff_task = find_task(wf, task_id, TaskState.READY)
    if spiff_task is None:
        raise Conflict(Message("send_back_done", task=StepName.of(task)))
    return task, case, model, op, wf, spiff_task


def targets(session: Session, rt: Runtime, actor: Actor, task_id: str) -> list[Target]:
    """The earlier steps this task may be sent back to, nearest first."""
    task, _, model, _, _, spiff_task = _load(session, rt, actor, task_id)
    return _targets(session, model, task, spiff_task)


def _targets(session: Session, model, task, spiff_task) -> list[Target]:
    allowed = model.send_back_to.get((spiff_task.workflow.spec.name, task.element_id))
    found = [(t, via) for t, via in _path(spiff_task, allowed is not None) if allowed is None
             or t.task_spec.bpmn_id in allowed]
    if not found:
        return []
    ids = [i for t, _ in found for i in _rows_of(t)]
    rows = {r.id: r for r in session.execute(select(Task).where(Task.id.in_(ids))).scalars()}
    out = []
    for t, via in found:
        done = sorted((rows[i] for i in _rows_of(t) if i in rows and rows[i].state == "completed"),
                      key=lambda r: r.closed_at)
        if done:
            row = done[-1]
            out.append(Target(str(t.id), row.element_id, row.name, row.department_code, row.completed_by, row.closed_at,
                              str(via.id) if via is not None else None))
    return out


def send_back(session: Session, rt: Runtime, actor: Actor, task_id: str, target_task_id: str, reason: str) -> Outcome:
    """Send an open task back to an earlier step (see the module's rules); the reason is required."""
    reason = holding.text(reason, "reason", Message("send_back_reason"), MAX_REASON)
    task, case, model, op, wf, spiff_task = _load(session, rt, actor, task_id)
    options = {t.task_id: t for t in _targets(session, model, task, spiff_task)}
    target = options.get(str(target_task_id))
    if target is None:
        steps = [StepName(t.name, task.process_key, t.element_id, case.definition_id) for t in options.values()]
        raise NotFound(Message("send_back_where", task=StepName.of(task), steps=steps) if options
                       else Message("send_back_nowhere", task=StepName.of(task)))
    reopened = str(uuid4())
    op.sent_back = {reopened: {"sent_back_by": actor.username, "sent_back_from": task.name, "reason": reason}}
    earlier = session.execute(select(Task.data, Task.role).where(Task.id == target.task_id)).first()  # none: a 会签
    answered, role = earlier if earlier is not None else (None, None)

    def action() -> None:
        wf.reset_from_task_id(UUID(target.task_id))
        if target.join_id is not None:
            wf.reset_from_task_id(UUID(target.join_id))  # drops what followed the join; it waits for the branch
        step = wf.get_task_from_id(UUID(target.task_id))
        if isinstance(step.task_spec, UserTask):
            _rekey(step, UUID(reopened))  # a multi-instance step makes new instances by itself
            step.data.update(json.loads(answered or "{}"))  # its form shows the answer it gave, to be corrected

    back_to = _handler(session, rt, case, target, role)
    op.record("task_sent_back", {"task": task.name, "element": task.element_id, "to_task": target.name,
                                 "to_element": target.element_id, "to_department": target.department_code,
                                 "to_user": back_to, "reason": reason, "reopened": reopened},
              task.department_code, task_id)
    outcome = advance(op, wf, model, case.version, action)
    for row in outcome.opened:
        if row["id"] == reopened:
            if back_to is not None:  # back to whoever did it (原经办人), claimed for them
                session.execute(update(Task).where(Task.id == reopened, Task.assignee.is_(None))
                                .values(assignee=back_to, claimed_at=op.now), execution_options={"synchronize_session": False})
                row["assignee"] = back_to
            notices.notify(session, holding.holders(session, row["department_code"], row["role"], back_to), "sent_back",
                           case.business_key, reopened,
                           {"step": StepName(row["name"], row["process_key"], row["element_id"], case.definition_id),
                            "from_step": StepName.of(task, case.definition_id),
                            "by": actor.display_name or actor.username, "reason": reason})
    if task_id in outcome.closed:  # the row of the task sent back says so (the others in between were withdrawn)
        session.execute(update(Task).where(Task.id == task_id).values(state="sent_back", completed_by=actor.username),
                        execution_options={"synchronize_session": False})
    return outcome


def _handler(session: Session, rt: Runtime, case, target: Target, role: str | None) -> str | None:
    """Who completed the step before, if they may still take it (an active member of its department with `role`,
    not kept from it by 不相容岗位): a step sent back returns to its handler; else it goes to the department's queue."""
    if target.completed_by is None or role is None:  # a 会签 step as a whole opens its instances anew for all
        return None
    if target.completed_by not in {name for name, _ in holding.able(session, target.department_code, role)}:
        return None
    try:
        separation.require(session, rt, target.completed_by, case.id, target.element_id, target.name, case.definition_id)
    except PermissionDenied:
        return None
    return target.completed_by


def _rekey(task, new_id: UUID) -> None:
    """Give a reset task a new id: the step opens again as a new inbox row and the old row stays history."""
    old_id = task.id
    tasks = task.workflow.tasks
    order = [(new_id if tid == old_id else tid, t) for tid, t in tasks.items()]
    tasks.clear()  # in place and in the same order: a task is stored as its changes to its parent's data, so a
    tasks.update(order)  # parent must be restored before its children (a step moved last lost its successors' data)
    task.id = new_id
    parent = task.parent
    if parent is not None:
        parent._children = [new_id if c == old_id else c for c in parent._children]
    for child in task.children:
        child._parent = new_id
    if task.workflow.last_task is task:
        task.workflow.last_task = task


def reopened_reason(session: Session, case_id: int, task_id: str) -> dict | None:
    """Who sent this task back, from which step and why, when a send-back opened it."""
    row = session.execute(select(AuditEntry.details).where(AuditEntry.case_id == case_id, AuditEntry.task_id == task_id,
                                                            AuditEntry.event == "task_ready")).first()
    details = json.loads(row[0]) if row is not None else {}
    return {k: details[k] for k in ("sent_back_by", "sent_back_from", "reason")} if "reason" in details else None


def reopened_among(session: Session, tasks: list[tuple[int, str]]) -> dict[str, dict]:
    """`reopened_reason` for some tasks (case id, task id) in one query on the audit log's case index (an inbox
    page): task id → who sent it back, from which step and why; tasks no send-back opened are left out."""
    if not tasks:
        return {}
    rows = session.execute(select(AuditEntry.task_id, AuditEntry.details).where(
        AuditEntry.case_id.in_(sorted({case_id for case_id, _ in tasks})), AuditEntry.event == "task_ready",
        AuditEntry.task_id.in_(sorted({task_id for _, task_id in tasks}))))
    out = {}
    for task_id, raw in rows:
        details = json.loads(raw or "{}")
        if "reason" in details:
            out[task_id] = {k: details[k] for k in ("sent_back_by", "sent_back_from", "reason")}
    return out


__all__ = ["Target", "targets", "send_back", "reopened_reason", "reopened_among"]
