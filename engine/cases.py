"""Running cases: start, claim, release, reassign, complete and fire timers.

Each public function is one engine operation. It runs inside the caller's write session (one
transaction, committed once by the caller) and appends its audit events to that same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.util.task import TaskState

from . import attachments, audit, copies, delegation, forms, holding, numbering, separation, signers, sql, wallclock
from .calendar import aware
from .clock import HELD
from .expressions import data_problem
from .errors import Conflict, EngineError, InvalidInput, Message, NotFound, PermissionDenied, StepName, catalogue
from .models import Case, Membership, Task, User
from .routing import ROLE_RANK, Actor, may_take
from .runtime import Runtime
from .numbering import BUSINESS_KEY  # noqa: F401 - part of the API (web/privacy.py)
from .steps import Operation, Outcome, advance, all_tasks, current_data, find_task, open_case  # noqa: F401 - current_data is part of the API

MAX_REASON = 500  # characters of a reassignment's reason, as of a transfer's
_NO_SYNC = {"synchronize_session": False}
MESSAGES = catalogue({
    "reassign_reason": "a reason is required to reassign",
    "reassign_no_step": "a selected step does not exist or is not of your departments",
    "reassign_raced": "task {task!r} changed just now; nothing was reassigned",
    "field_required": "is required",
    "no_active_user": "no active user {user!r}",
    "cannot_take": "{user} cannot take {task!r}",
    "not_a_role_of": "is not a {role} of {department}",
    "no_task": "no task {task}",
    "no_case": "no case {key}",
    "task_with_signer_locked": "task {task!r} is with {user} for an added signature (加签) and cannot be done by anyone "
                               "until it comes back; a supervisor may remove the signer (减签)",
    "comment_empty": "the comment is empty",
    "comment_too_long": "the comment is too long",
    "field_too_long": "must be at most {limit} characters",
    "case_no_messages": "case {key} is {status}; it takes no messages",
    "case_not_waiting": "case {key} is not waiting for {message!r} (it waits for {expected})",
    "release_delegated": "task {task!r} was delegated by {user} and cannot be released to the department queue: "
                         "what the delegate submits goes back to {user}",
})


@dataclass
class TaskRef:
    """The inbox row an action works on (read with plain SQL on the hot path)."""

    id: str
    case_id: int
    name: str
    element_id: str
    department_code: str
    role: str
    state: str
    assignee: str | None
    business_key: str
    delegated_by: str | None = None
    signing: str | None = None
    draft_kind: str | None = None
    process_key: str = ""  # with definition_id, what names the step in a message (StepName.of)
    definition_id: int | None = None


@dataclass
class CaseRef:
    """The case row a completion works on."""

    id: int
    business_key: str
    definition_id: int
    status: str
    state: str
    version: int
    visited: str = ""
    next_due_at: datetime | str | None = None  # as read: a datetime, or SQLite's text
    audit_head: tuple[int, str] | None = None


def _now() -> datetime:
    return wallclock.now()


# --- start -----------------------------------------------------------------------------------------

def start(session: Session, rt: Runtime, actor: Actor, process_key: str, data: dict[str, Any] | None = None,
          business_key: str | None = None, key_prefix: str | None = None) -> Outcome:
    """Start a case of the newest version of a process, run it until it waits, and store it."""
    if data is not None and not isinstance(data, dict):
        raise InvalidInput("initial data must be a JSON object")
    data = dict(data or {})
    _check_data_keys(rt, data)
    rt.refresh_calendar(session)
    now = _now()
    new = numbering.insert(session, rt, actor, process_key, business_key, key_prefix, now)
    case_id, key, model, version = new.case_id, new.key, new.model, new.version
    op = Operation(session, rt, actor, key, now)
    op.case_id, op.before = case_id, ("running", None)
    op.audit_head = new.audit_head
    wf = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=rt.script_engine(op))
    wf.data.update(data)
    wf.task_tree.data.update(data)
    for task in wf.tasks.values():  # a new workflow has no sub-processes yet (get_tasks walks the tree: slower)
        if task.state == TaskState.READY:
            task.data.update(data)
    op.record("case_started", {"process": process_key, "version": version, "data": data})
    return advance(op, wf, model, case_version=0, action=lambda: None)


def _check_data_keys(rt: Runtime, data: dict[str, Any], what: str = "the initial data") -> None:
    bad = {str(k): "names must start with a letter and not hide a function or the reserved name 'typename'"
           for k in data if not isinstance(k, str) or not k[:1].isalpha() or k in rt.functions or k == "typename"}
    for key, value in data.items():
        problem = data_problem(value)
        if problem and str(key) not in bad:
            bad[str(key)] = f"cannot be stored: it is {problem}"
    if bad:
        raise InvalidInput(f"{what} has invalid names or values", bad)


# --- human task actions ----------------------------------------------------------------------------

def _task_ref(session: Session, task_id: str) -> TaskRef:
    ref = _task_ref_or_none(session, task_id)
    if ref is None:
        raise NotFound(Message("no_task", task=task_id))
    return ref


def _task_and_case(session: Session, task_id: str, lock: bool = True) -> tuple[TaskRef, CaseRef]:
    """The task and its case, the case row locked for this transaction unless only read (PostgreSQL; SQLite holds
    the write lock)."""
    row = sql.execute(session, "task_and_case", {"id": task_id}, lock=lock).first()
    if row is None:
        raise NotFound(Message("no_task", task=task_id))
    task = TaskRef(*row[:8], business_key=row[8], delegated_by=row[16], signing=row[17], draft_kind=row[19],
                   process_key=row[20], definition_id=row[9])
    case = CaseRef(row[1], row[8], *row[9:14], next_due_at=row[18])
    case.audit_head = (row[14], row[15]) if row[14] is not None else None
    return task, case


def _closed(task: TaskRef, state: str) -> Conflict:
    """The refusal for a task that is no longer open (completed, withdrawn, sent back)."""
    if state in ("completed", "cancelled", "sent_back"):
        return Conflict.coded(f"task_closed_{state}", task=StepName.of(task), key=task.business_key)
    return Conflict(Message("task_closed_other", task=StepName.of(task), key=task.business_key, state=state))


def _require_open(task: TaskRef, verb: str | None = None) -> None:
    """Refuse a task that is closed, or (when `verb`, e.g. "completed", is given) one that is with an added signer."""
    if task.state != "open":
        raise _closed(task, task.state)
    if verb and task.signing == "signer":
        raise Conflict(Message("task_with_signer_locked", task=StepName.of(task), user=task.assignee))


def claim(session: Session, rt: Runtime, actor: Actor, task_id: str) -> TaskRef:
    """Take an open, unclaimed task of one's department; exactly one of two racing claims wins."""
    task = _task_ref(session, task_id)
    actor.require(task.department_code, task.role, "claim", StepName.of(task))
    _require_open(task)
    if task.assignee == actor.username:
        return task
    separation.require(session, rt, actor.username, task.case_id, task.element_id, StepName.of(task))
    delegation.not_its_author(session, actor, task)  # a delegate's answer in the queue: another confirms it
    holding.not_its_signer(session, task, actor.username)  # released with signers after its holder: none takes it
    now = _now()
    result = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.assignee.is_(None))
                             .values(assignee=actor.username, claimed_at=now), execution_options=_NO_SYNC)
    if result.rowcount != 1:
        holder = session.execute(select(Task.assignee, Task.state).where(Task.id == task_id)).first()
        raise Conflict.coded("task_taken", task=StepName.of(task), user=holder.assignee) if holder.state == "open" \
            else _closed(task, holder.state)
    _audit_task(session, actor, task, "task_claimed", {}, now)
    task.assignee = actor.username
    return task


def release(session: Session, rt: Runtime, actor: Actor, task_id: str) -> TaskRef:
    """Give a claimed task back to the department queue (who holds it, their deputy too, or a supervisor may)."""
    task = _task_ref(session, task_id)
    actor.require(task.department_code, "reviewer", "release", StepName.of(task))  # an outsider learns nothing more
    _require_open(task, "released")
    if task.assignee is None:
        raise Conflict.coded("task_not_claimed", task=StepName.of(task))
    if task.delegated_by is not None:  # 委派: released, the step would keep its mark and go back to the delegator
        raise Conflict(Message("release_delegated", task=StepName.of(task), user=task.delegated_by))
    if not actor.holds(task.assignee) and actor.rank_in(task.department_code) < ROLE_RANK["supervisor"]:
        raise PermissionDenied.coded("release_not_allowed", user=task.assignee, department=task.department_code)
    now = _now()
    result = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.assignee == task.assignee)
                             .values(assignee=None, claimed_at=None), execution_options=_NO_SYNC)
    if result.rowcount != 1:
        raise Conflict.coded("task_changed", task=StepName.of(task))
    _audit_task(session, actor, task, "task_released", {"previous_assignee": task.assignee}, now)
    task.assignee = None
    return task


def reassign(session: Session, rt: Runtime, actor: Actor, task_ids: list[str], to_user: str, reason: str) -> list[TaskRef]:
    """A supervisor hands one or many open tasks of their department to a member, with the reason recorded; all or
    nothing (the first step that may not be moved refuses the batch)."""
    reason, memberships = _reassignment(session, to_user, reason)
    return [_reassign_one(session, rt, actor, task_id, to_user, memberships, reason) for task_id in task_ids]


@dataclass
class Unmoved:
    """A step a batch reassignment left where it was, and why."""

    task_id: str
    task: TaskRef | None  # None: no such step
    error: EngineError


def reassign_each(session: Session, rt: Runtime, actor: Actor, task_ids: list[str], to_user: str,
                  reason: str) -> tuple[list[TaskRef], list[Unmoved]]:
    """`reassign` step by step, as the team page's batch does: each step that may go to `to_user` moves, each other
    one stays and says why (a missing reason or an unknown member still refuses the whole batch). A refused step
    changed nothing: every check comes before its one write."""
    reason, memberships = _reassignment(session, to_user, reason)
    moved, unmoved = [], []
    for task_id in task_ids:
        try:
            moved.append(_reassign_one(session, rt, actor, task_id, to_user, memberships, reason))
        except NotFound as exc:  # no such step, or one outside the actor's departments: nothing said about it
            unmoved.append(Unmoved(task_id, None, exc))
        except EngineError as exc:
            unmoved.append(Unmoved(task_id, _task_ref_or_none(session, task_id), exc))
    return moved, unmoved


def _task_ref_or_none(session: Session, task_id: str) -> TaskRef | None:
    row = sql.execute(session, "task", {"id": task_id}).first()
    return TaskRef(*row) if row is not None else None


def _reassignment(session: Session, to_user: str, reason: str) -> tuple[str, dict[str, str]]:
    """The trimmed reason and the departments (code → role) of the member a batch goes to; refused plainly."""
    reason = holding.text(reason, "reason", Message("reassign_reason"), MAX_REASON)
    target = session.execute(select(User).where(User.username == to_user, User.active.is_(True))).scalar_one_or_none()
    if target is None:
        raise NotFound(Message("no_active_user", user=holding.named(to_user)))
    return reason, dict(session.execute(select(Membership.department_code, Membership.role)
                                                .where(Membership.user_id == target.id)).all())


def _reassign_one(session: Session, rt: Runtime, actor: Actor, task_id: str, to_user: str,
                  memberships: dict[str, str], reason: str) -> TaskRef:
    task = _task_ref_or_none(session, task_id)
    if task is None or actor.rank_in(task.department_code) == 0:  # an outsider learns neither its case nor its state
        raise NotFound(Message("reassign_no_step"))
    if actor.rank_in(task.department_code) < ROLE_RANK["supervisor"]:
        raise PermissionDenied.coded("reassign_not_allowed", department=task.department_code, task=StepName.of(task))
    _require_open(task, "reassigned")
    if not may_take(memberships.get(task.department_code), task.role):
        raise InvalidInput(Message("cannot_take", user=holding.named(to_user), task=StepName.of(task)),
                           {"to_user": Message("not_a_role_of", role=task.role, department=task.department_code)})
    holding.not_its_signer(session, task, to_user)
    separation.require(session, rt, to_user, task.case_id, task.element_id, StepName.of(task))
    now = _now()
    ended, recorded = delegation.ended(session, task)  # 改派 gives the step outright: a 委派 of it ends
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", *delegation.unchanged(task))
                            .values(assignee=to_user, claimed_at=now, **ended), execution_options=_NO_SYNC)
    if moved.rowcount != 1:  # done or withdrawn meanwhile, or its delegate answered (委派) at the same moment
        state = session.execute(select(Task.state).where(Task.id == task_id)).scalar()
        raise Conflict(Message("reassign_raced", task=StepName.of(task))) if state == "open" else \
            Conflict.coded("task_gone", task=StepName.of(task))
    _audit_task(session, actor, task, "task_reassigned",
                {"from": task.assignee, "to": to_user, "reason": reason, **recorded}, now)
    task.assignee = to_user
    return task


def _audit_task(session: Session, actor: Actor, task: TaskRef, event: str, details: dict, now: datetime) -> None:
    details = {"task": task.name, "element": task.element_id, **details}
    if actor.on_behalf(task.department_code):
        details["acting_for"] = actor.on_behalf(task.department_code)
    audit.append(session, [audit.Event(event, actor.username, details, task.department_code, task.case_id,
                                       task.business_key, task.id)], now)


def complete(session: Session, rt: Runtime, actor: Actor, task_id: str, values: dict[str, Any]) -> Outcome:
    """Validate the form, complete the task and run the case on until it waits."""
    task, case, model, op, wf, spiff_task, clean = _submission(session, rt, actor, task_id, values)
    if task.delegated_by is not None:  # 委派: back to be confirmed, also when a deputy (代理) of the delegate sent it
        return delegation.hand_back(session, actor, task, case.id, clean)
    held = signers.submitted(session, actor, task, case.id, clean) if task.signing else None
    if held is not None:  # 加签: the signers after sign the answer first
        return held
    return finish(session, task, case, model, op, wf, spiff_task, clean)


def check(session: Session, rt: Runtime, actor: Actor, task_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """What `complete` would accept, checked the same way but changing and locking nothing (before a confirmation is asked):
    the values as they would be stored; raises what `complete` would raise."""
    return _submission(session, rt, actor, task_id, values, lock=False)[-1]


def _submission(session: Session, rt: Runtime, actor: Actor, task_id: str, values: dict[str, Any], lock: bool = True):
    task, case = _task_and_case(session, task_id, lock)
    actor.require(task.department_code, task.role, "complete", StepName.of(task))
    _require_open(task, "completed")
    if task.assignee is not None and not actor.holds(task.assignee):
        raise Conflict.coded("task_claimed_by", task=StepName.of(task), user=task.assignee)
    if case.status != "running":
        raise Conflict.coded("case_not_running", key=case.business_key)
    separation.require(session, rt, actor.username, task.case_id, task.element_id, StepName.of(task),
                       case.definition_id)
    delegation.not_its_author(session, actor, task)
    if not isinstance(values, dict):
        raise InvalidInput("submitted values must be a JSON object")
    model, op, wf = open_case(session, rt, actor, case, _now())
    spiff_task = find_task(wf, task_id, TaskState.READY)
    if spiff_task is None:
        raise Conflict.coded("task_done_just_now", task=StepName.of(task))
    clean = forms.validate(forms.fields_of(spiff_task.task_spec), values, spiff_task.data)
    kept = model.attach.get((model.process_of(task.element_id), task.element_id))
    if kept:  # the documents kept at this step go with its answer, under the field the step names
        clean[kept] = attachments.listed(session, task_id)
    return task, case, model, op, wf, spiff_task, clean


def finish(session: Session, task: TaskRef, case: CaseRef, model, op: Operation, wf: BpmnWorkflow, spiff_task,
           clean: dict[str, Any]) -> Outcome:
    """Complete a ready task with checked values as `op.actor` and run the case on until it waits."""
    task_id = task.id

    def action() -> None:
        spiff_task.data.update(clean)
        spiff_task.run()

    op.record("task_completed", {"task": task.name, "element": task.element_id, "data": clean},
              task.department_code, task_id)
    op.completed = (task_id, clean)
    outcome = advance(op, wf, model, case.version, action)
    if model.cc and outcome.error is None:
        copies.on_completed(session, model, case.id, task_id, spiff_task.workflow.spec.name, task.element_id)
    return outcome


def fire_timers(session: Session, rt: Runtime, case_id: int, actor: Actor | None = None) -> Outcome:
    """Fire the due timers of one case (the caller has claimed the case row)."""
    row = sql.execute(session, "case_by_id", {"id": case_id}, lock=True).first()
    if row is None:
        raise NotFound(f"no case #{case_id}")
    case = CaseRef(*row)
    model, op, wf = open_case(session, rt, actor or Actor.system("worker"), case, _now())
    return advance(op, wf, model, case.version, wf.refresh_timers)


def send_message(session: Session, rt: Runtime, actor: Actor, business_key: str, message: str,
                 payload: dict[str, Any] | None = None) -> Outcome:
    """Deliver a message (e.g. an appeal or resubmitted materials) to the case waiting for it.

    The payload lands in the case data under the message name. A case that is not waiting for the
    message refuses it with a conflict and nothing changes.
    """
    if payload is not None and not isinstance(payload, dict):
        raise InvalidInput("a message payload must be a JSON object")
    if payload:
        _check_data_keys(rt, payload, "the message payload")
    row = session.execute(select(Case.id).where(Case.business_key == business_key)).first()
    if row is None:
        raise NotFound(Message("no_case", key=business_key))
    case = CaseRef(*sql.execute(session, "case_by_id", {"id": row[0]}, lock=True).first())
    if case.status != "running":
        raise Conflict(Message("case_no_messages", key=business_key, status=case.status))
    model, op, wf = open_case(session, rt, actor, case, _now())
    if message not in accepted_messages(wf):
        expected = ", ".join(sorted(waiting_messages(wf))) or "no message"
        raise Conflict(Message("case_not_waiting", key=business_key, message=message, expected=expected))
    event = BpmnEvent(CamundaMessage(message), {"payload": dict(payload or {}), "result_var": _data_key(message)})
    op.record("message_received", {"message": message, "data": payload or {}})
    return advance(op, wf, model, case.version, lambda: wf.send_event(event))


def waiting_messages(wf: BpmnWorkflow) -> set[str]:
    """Names of the messages the case waits for (catch events, boundary events, event-based gateways)."""
    names = set()
    for task in all_tasks(wf):
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        for d in getattr(definition, "event_definitions", None) or [definition]:
            if isinstance(d, MessageEventDefinition):
                names.add(d.name)
    return names


def message_deadline(wf: BpmnWorkflow, message: str) -> datetime | None:
    """Until when the case waits for `message`: the due moment of the timer racing it at an event-based gateway
    (e.g. 补正 within 10 working days); None when no timer races it."""
    for task in all_tasks(wf):
        definition = getattr(task.task_spec, "event_definition", None)
        branches = getattr(definition, "event_definitions", None) or []
        value = task.internal_data.get("event_value")
        if task.state != TaskState.WAITING or not isinstance(value, str) or value == HELD:
            continue
        if any(isinstance(d, MessageEventDefinition) and d.name == message for d in branches):
            return aware(datetime.fromisoformat(value))
    return None


def accepted_messages(wf: BpmnWorkflow) -> set[str]:
    """The messages the case takes now: those it waits for, and those that start an event sub-process
    (an applicant's withdrawal, for example), which it does not wait for but takes at any time."""
    names = waiting_messages(wf)
    for name in getattr(wf.spec.start, "trigger_specs", ()):
        spec = wf.subprocess_specs.get(name)
        for event in getattr(spec, "bpmn_start_events", ()):
            if isinstance(event.event_definition, MessageEventDefinition):
                names.add(event.event_definition.name)
    return names


def _data_key(message: str) -> str:
    key = "".join(ch if ch.isalnum() else "_" for ch in message).strip("_")
    return key if key[:1].isalpha() else f"message_{key}"


NOTES = {"comment_added": "a comment on the case", "case_viewed": "someone opened the case",
         "data_revealed": "a masked personal field was shown", "data_read": "personal data was shown in full",
         "document_printed": "a paper for the applicant was printed (receipt, notice)"}


def note(session: Session, actor: Actor, business_key: str, event: str, details: dict[str, Any]) -> None:
    """Record something that happened around a case without changing it (comment, view, reveal)."""
    if event not in NOTES:
        raise EngineError(f"unknown case note {event!r}")
    if event == "comment_added":
        text = str(details.get("text") or "").strip()
        if not text:
            raise InvalidInput(Message("comment_empty"), {"text": Message("field_required")})
        if len(text) > 2000:
            raise InvalidInput(Message("comment_too_long"), {"text": Message("field_too_long", limit=2000)})
        holding.visible(text, "text")
        details = {**details, "text": text}
    row = session.execute(select(Case.id).where(Case.business_key == business_key)).first()
    if row is None:
        raise NotFound(Message("no_case", key=business_key))
    department = next(iter(sorted(actor.departments)), None)
    audit.append(session, [audit.Event(event, actor.username, details, department, row[0], business_key)], _now())


def load(session: Session, rt: Runtime, case: Case) -> BpmnWorkflow:
    """The running workflow of a case, for reading (nothing is stored)."""
    return open_case(session, rt, Actor.system("reader"), case, _now())[2]
