"""Running cases: start, claim, release, reassign, complete and fire timers.

Each public function is one engine operation. It runs inside the caller's write session (one
transaction, committed once by the caller) and appends its audit events to that same transaction.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from . import audit, forms, sql
from .definitions import ProcessModel
from .expressions import data_problem
from .functions import operation_time
from .errors import Conflict, EngineError, InvalidInput, NotFound, PermissionDenied
from .models import Case, Membership, Task, User
from .routing import ROLE_RANK, Actor
from .runtime import Runtime
from .store import prune

_DONE = TaskState.COMPLETED
_NO_SYNC = {"synchronize_session": False}


@dataclass
class Outcome:
    """What an operation did to a case."""

    case_id: int
    business_key: str
    status: str
    opened: list[dict[str, Any]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    error: str | None = None


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
    audit_head: tuple[int, str] | None = None


class _Op:
    """State shared by the steps of one operation on one case."""

    def __init__(self, session: Session, rt: Runtime, actor: Actor, case_key: str, now: datetime) -> None:
        self.session, self.rt, self.actor, self.case_key, self.now = session, rt, actor, case_key, now
        self.events: list[audit.Event] = []
        self.service_events: list[tuple[str, dict]] = []
        self.case_id: int | None = None
        self.completed: tuple[str, dict] | None = None
        self.audit_head: tuple[int, str] | None = None
        self.visited: str = ""

    def record(self, event: str, details: dict | None = None, department: str | None = None,
               task_id: str | None = None, actor: str | None = None) -> None:
        self.events.append(audit.Event(event, actor or self.actor.username, details or {}, department,
                                       self.case_id, self.case_key, task_id))


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- start -----------------------------------------------------------------------------------------

def start(session: Session, rt: Runtime, actor: Actor, process_key: str, data: dict[str, Any] | None = None,
          business_key: str | None = None, key_prefix: str | None = None) -> Outcome:
    """Start a case of the newest version of a process, run it until it waits, and store it."""
    if data is not None and not isinstance(data, dict):
        raise InvalidInput("initial data must be a JSON object")
    data = dict(data or {})
    _check_data_keys(rt, data)
    definition = sql.execute(session, "latest_definition", {"process_key": process_key}).first()
    if definition is None:
        raise NotFound(f"no process {process_key!r} is deployed")
    definition_id, version, head_seq, head_hash = definition
    model = rt.model(session, definition_id)
    now = _now()
    if business_key is not None and not _KEY.fullmatch(business_key):
        raise InvalidInput("invalid business key", {"business_key": "use 1 to 64 letters, digits, - or _"})
    prefix = key_prefix or model.key_prefix or _prefix(process_key)
    key = business_key or next_business_key(session, prefix, now)
    case_id = _insert_case(session, key, definition_id, process_key, actor, now)
    while case_id is None and business_key is None:  # a key someone gave by hand: take the next number
        key = next_business_key(session, prefix, now)
        case_id = _insert_case(session, key, definition_id, process_key, actor, now)
    if case_id is None:
        raise Conflict(f"a case with business key {key} already exists")
    op = _Op(session, rt, actor, key, now)
    op.case_id = case_id
    op.audit_head = (head_seq, head_hash) if head_seq is not None else None
    wf = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=rt.script_engine(op))
    wf.data.update(data)
    wf.task_tree.data.update(data)
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update(data)
    op.record("case_started", {"process": process_key, "version": version, "data": data})
    return _advance(op, wf, model, case_version=0, action=lambda: None)


_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _insert_case(session: Session, key: str, definition_id: int, process_key: str, actor: Actor,
                 now: datetime) -> int | None:
    """Insert the case row; None when the business key is taken (no error, so the transaction goes on)."""
    row = sql.execute(session, "insert_case", {"business_key": key, "definition_id": definition_id,
                                               "process_key": process_key, "started_by": actor.username,
                                               "now": now}).first()
    return row[0] if row else None


def next_business_key(session: Session, prefix: str, now: datetime) -> str:
    """The next key such as ADM-2026-000123 (one counter per prefix and year, safe under concurrency)."""
    scope = f"{prefix}-{now.astimezone(timezone.utc).year}"
    value = sql.execute(session, "next_key", {"prefix": scope}).scalar_one()
    return f"{scope}-{value:06d}"


def _prefix(process_key: str) -> str:
    letters = "".join(ch for ch in process_key.upper() if ch.isalpha())
    return letters[:3] or "CASE"


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
    row = sql.execute(session, "task", {"id": task_id}).first()
    if row is None:
        raise NotFound(f"no task {task_id}")
    return TaskRef(*row)


def _task_and_case(session: Session, task_id: str) -> tuple[TaskRef, CaseRef]:
    """The task and its case, the case row locked for this transaction (PostgreSQL; SQLite holds the write lock)."""
    row = sql.execute(session, "task_and_case", {"id": task_id}, lock=True).first()
    if row is None:
        raise NotFound(f"no task {task_id}")
    task = TaskRef(*row[:8], business_key=row[8])
    case = CaseRef(row[1], row[8], *row[9:14])
    case.audit_head = (row[14], row[15]) if row[14] is not None else None
    return task, case


def _require_open(task: TaskRef) -> None:
    if task.state != "open":
        raise Conflict(f"task {task.name!r} of {task.business_key} is already {task.state}")


def claim(session: Session, rt: Runtime, actor: Actor, task_id: str) -> TaskRef:
    """Take an open, unclaimed task of one's department; exactly one of two racing claims wins."""
    task = _task_ref(session, task_id)
    actor.require(task.department_code, task.role, f"claim {task.name!r}")
    _require_open(task)
    if task.assignee == actor.username:
        return task
    now = _now()
    result = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.assignee.is_(None))
                             .values(assignee=actor.username, claimed_at=now), execution_options=_NO_SYNC)
    if result.rowcount != 1:
        holder = session.execute(select(Task.assignee, Task.state).where(Task.id == task_id)).first()
        raise Conflict(f"task {task.name!r} was just claimed by {holder.assignee}" if holder.state == "open"
                       else f"task {task.name!r} is already {holder.state}")
    _audit_task(session, actor, task, "task_claimed", {}, now)
    task.assignee = actor.username
    return task


def release(session: Session, rt: Runtime, actor: Actor, task_id: str) -> TaskRef:
    """Give a claimed task back to the department queue (its assignee or a supervisor may)."""
    task = _task_ref(session, task_id)
    _require_open(task)
    if task.assignee is None:
        raise Conflict(f"task {task.name!r} is not claimed")
    if task.assignee != actor.username and actor.rank_in(task.department_code) < ROLE_RANK["supervisor"]:
        raise PermissionDenied(f"only {task.assignee} or a supervisor of {task.department_code} may release this task")
    now = _now()
    result = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.assignee == task.assignee)
                             .values(assignee=None, claimed_at=None), execution_options=_NO_SYNC)
    if result.rowcount != 1:
        raise Conflict(f"task {task.name!r} changed while releasing it; reload and try again")
    _audit_task(session, actor, task, "task_released", {"previous_assignee": task.assignee}, now)
    task.assignee = None
    return task


def reassign(session: Session, rt: Runtime, actor: Actor, task_ids: list[str], to_user: str, reason: str) -> list[TaskRef]:
    """A supervisor hands one or many open tasks of their department to a member, with the reason recorded."""
    if not reason or not reason.strip():
        raise InvalidInput("a reason is required to reassign", {"reason": "is required"})
    target = session.execute(select(User).where(User.username == to_user, User.active.is_(True))).scalar_one_or_none()
    if target is None:
        raise NotFound(f"no active user {to_user!r}")
    memberships = dict(session.execute(select(Membership.department_code, Membership.role)
                                       .where(Membership.user_id == target.id)).all())
    now, out = _now(), []
    for task_id in task_ids:
        task = _task_ref(session, task_id)
        _require_open(task)
        if actor.rank_in(task.department_code) < ROLE_RANK["supervisor"]:
            raise PermissionDenied(f"only a supervisor of {task.department_code} may reassign {task.name!r}")
        if ROLE_RANK.get(memberships.get(task.department_code, ""), 0) < ROLE_RANK.get(task.role, 1):
            raise InvalidInput(f"{to_user} cannot take {task.name!r}", {"to_user": f"is not a {task.role} of {task.department_code}"})
        moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open")
                                .values(assignee=to_user, claimed_at=now), execution_options=_NO_SYNC)
        if moved.rowcount != 1:
            raise Conflict(f"task {task.name!r} was completed or cancelled just now; nothing was reassigned")
        _audit_task(session, actor, task, "task_reassigned",
                    {"from": task.assignee, "to": to_user, "reason": reason.strip()}, now)
        task.assignee = to_user
        out.append(task)
    return out


def _audit_task(session: Session, actor: Actor, task: TaskRef, event: str, details: dict, now: datetime) -> None:
    details = {"task": task.name, "element": task.element_id, **details}
    audit.append(session, [audit.Event(event, actor.username, details, task.department_code, task.case_id,
                                       task.business_key, task.id)], now)


def complete(session: Session, rt: Runtime, actor: Actor, task_id: str, values: dict[str, Any]) -> Outcome:
    """Validate the form, complete the task and run the case on until it waits."""
    task, case = _task_and_case(session, task_id)
    actor.require(task.department_code, task.role, f"complete {task.name!r}")
    _require_open(task)
    if task.assignee not in (None, actor.username):
        raise Conflict(f"task {task.name!r} is claimed by {task.assignee}")
    if case.status != "running":
        raise Conflict(f"case {case.business_key} is {case.status}; its tasks cannot be completed")
    if not isinstance(values, dict):
        raise InvalidInput("submitted values must be a JSON object")
    model = rt.model(session, case.definition_id)
    now = _now()
    op = _Op(session, rt, actor, case.business_key, now)
    op.case_id = case.id
    wf = rt.serializer.loads(case.state, model.spec, model.subprocess_specs, rt.script_engine(op))
    try:
        spiff_task = wf.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        spiff_task = None
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise Conflict(f"task {task.name!r} is no longer waiting for input: someone else completed it just now")
    clean = forms.validate(forms.fields_of(spiff_task.task_spec), values, spiff_task.data)

    def action() -> None:
        spiff_task.data.update(clean)
        spiff_task.run()

    op.record("task_completed", {"task": task.name, "element": task.element_id, "data": clean},
              task.department_code, task_id)
    op.completed = (task_id, clean)
    op.audit_head = case.audit_head
    op.visited = case.visited
    return _advance(op, wf, model, case.version, action)


def fire_timers(session: Session, rt: Runtime, case_id: int, actor: Actor | None = None) -> Outcome:
    """Fire the due timers of one case (the caller has claimed the case row)."""
    row = sql.execute(session, "case_by_id", {"id": case_id}, lock=True).first()
    if row is None:
        raise NotFound(f"no case #{case_id}")
    case = CaseRef(*row)
    model = rt.model(session, case.definition_id)
    op = _Op(session, rt, actor or Actor.system("worker"), case.business_key, _now())
    op.case_id = case.id
    op.visited = case.visited
    wf = rt.serializer.loads(case.state, model.spec, model.subprocess_specs, rt.script_engine(op))
    return _advance(op, wf, model, case.version, wf.refresh_timers)


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
        raise NotFound(f"no case {business_key}")
    case = CaseRef(*sql.execute(session, "case_by_id", {"id": row[0]}, lock=True).first())
    if case.status != "running":
        raise Conflict(f"case {business_key} is {case.status}; it takes no messages")
    model = rt.model(session, case.definition_id)
    op = _Op(session, rt, actor, case.business_key, _now())
    op.case_id = case.id
    op.visited = case.visited
    wf = rt.serializer.loads(case.state, model.spec, model.subprocess_specs, rt.script_engine(op))
    waiting = waiting_messages(wf)
    if message not in waiting:
        expected = ", ".join(sorted(waiting)) or "no message"
        raise Conflict(f"case {business_key} is not waiting for {message!r} (it waits for {expected})")
    event = BpmnEvent(CamundaMessage(message), {"payload": dict(payload or {}), "result_var": _data_key(message)})
    op.record("message_received", {"message": message, "data": payload or {}})
    return _advance(op, wf, model, case.version, lambda: wf.send_event(event))


def waiting_messages(wf: BpmnWorkflow) -> set[str]:
    """Names of the messages the case waits for (catch events, boundary events, event-based gateways)."""
    names = set()
    for task in _all_tasks(wf):
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        for d in getattr(definition, "event_definitions", None) or [definition]:
            if isinstance(d, MessageEventDefinition):
                names.add(d.name)
    return names


def _data_key(message: str) -> str:
    key = "".join(ch if ch.isalnum() else "_" for ch in message).strip("_")
    return key if key[:1].isalpha() else f"message_{key}"


NOTES = {"comment_added": "a comment on the case", "case_viewed": "someone opened the case",
         "data_revealed": "a masked personal field was shown"}


def note(session: Session, actor: Actor, business_key: str, event: str, details: dict[str, Any]) -> None:
    """Record something that happened around a case without changing it (comment, view, reveal)."""
    if event not in NOTES:
        raise EngineError(f"unknown case note {event!r}")
    if event == "comment_added":
        text = str(details.get("text") or "").strip()
        if not text:
            raise InvalidInput("the comment is empty", {"text": "is required"})
        if len(text) > 2000:
            raise InvalidInput("the comment is too long", {"text": "must be at most 2000 characters"})
        details = {**details, "text": text}
    row = session.execute(select(Case.id).where(Case.business_key == business_key)).first()
    if row is None:
        raise NotFound(f"no case {business_key}")
    department = next(iter(sorted(actor.departments)), None)
    audit.append(session, [audit.Event(event, actor.username, details, department, row[0], business_key)], _now())


def load(session: Session, rt: Runtime, case: Case) -> BpmnWorkflow:
    """The running workflow of a case, for reading (nothing is stored)."""
    model = rt.model(session, case.definition_id)
    op = _Op(session, rt, Actor.system("reader"), case.business_key, _now())
    return rt.serializer.loads(case.state, model.spec, model.subprocess_specs, rt.script_engine(op))


# --- the shared step: run, diff, route, persist ----------------------------------------------------

def _advance(op: _Op, wf: BpmnWorkflow, model: ProcessModel, case_version: int, action) -> Outcome:
    with operation_time(op.now):
        return _advance_now(op, wf, model, case_version, action)


def _advance_now(op: _Op, wf: BpmnWorkflow, model: ProcessModel, case_version: int, action) -> Outcome:
    began = time.time() - 0.001
    before_ready = _ready_ids(wf)
    waiting = _waiting_timers(wf)
    cycles = {tid: _cycle_state(task) for tid, (_, _, task) in waiting.items()}
    error = None
    try:
        action()
        wf.do_engine_steps()
    except (SQLAlchemyError, *sql.IntegrityError) :
        raise  # the database failed, not the process: the operation is rolled back as a whole
    except Exception as exc:  # noqa: BLE001 - what the process content raised; the case records it
        error = _failure_message(exc)
    fired = [(pid, _timer_element(task) or eid, tid) for tid, (pid, eid, task) in waiting.items()
             for _ in range(_times_fired(task, cycles[tid]))]
    op.visited = _visited(op.visited, wf, began)
    prune(wf)
    ready = _ready_tasks(wf)
    opened = [t for tid, t in ready.items() if tid not in before_ready]
    completed_id = op.completed[0] if op.completed else None
    cancelled = [tid for tid in before_ready if tid not in ready and tid != completed_id]
    for event, details in op.service_events:
        op.record(event, details)
    rows = []
    for task in opened:
        try:
            rows.append(_inbox_row(op, wf, model, task))
        except EngineError as exc:
            error = error or exc.message
    for pid, eid, _ in fired:
        _timer_fired(op, model, pid, eid)
    status = "failed" if error else _status(wf, ready)
    _persist(op, wf, model, case_version, status, error, rows, cancelled, completed_id)
    return Outcome(op.case_id, op.case_key, status, rows, cancelled, [e.event for e in op.events], error)


def _visited(before: str, wf: BpmnWorkflow, since: float) -> str:
    """The elements the case has passed, adding those completed in this step (history is pruned later)."""
    seen = set(before.split()) if before else set()
    for task in _all_tasks(wf):
        element = getattr(task.task_spec, "bpmn_id", None)
        if element and task.state == _DONE and task.last_state_change >= since:
            seen.add(element)
    return " ".join(sorted(seen))


def _failure_message(exc: Exception) -> str:
    task = getattr(exc, "task", None)
    element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    inner = exc.__cause__ or exc.__context__
    text = str(exc).split("\n")[0]
    if inner is not None and str(inner) and str(inner) not in text:
        text = f"{text}: {type(inner).__name__}: {inner}"
    return f"{element}: {text}" if element else text


def _all_tasks(wf: BpmnWorkflow):
    yield from wf.tasks.values()
    for sub in wf.subprocesses.values():
        yield from sub.tasks.values()


def _ready_ids(wf: BpmnWorkflow) -> set[str]:
    return set(_ready_tasks(wf))


def _ready_tasks(wf: BpmnWorkflow) -> dict[str, Any]:
    return {str(t.id): t for t in _all_tasks(wf) if t.state == TaskState.READY and t.task_spec.manual}


def _has_timer(definition) -> bool:
    if isinstance(definition, TimerEventDefinition):
        return True
    return isinstance(definition, MultipleEventDefinition) and any(
        isinstance(d, TimerEventDefinition) for d in definition.event_definitions)


def _waiting_timers(wf: BpmnWorkflow) -> dict[str, tuple[str, str, Any]]:
    """Waiting timer events, including event-based gateways that wait for a timer among other events."""
    out = {}
    for task in _all_tasks(wf):
        if task.state == TaskState.WAITING and _has_timer(getattr(task.task_spec, "event_definition", None)):
            out[str(task.id)] = (task.workflow.spec.name, task.task_spec.bpmn_id, task)
    return out


def _timer_element(task) -> str | None:
    """The timer event that fired: the task itself, or for an event-based gateway the timer branch taken."""
    definition = task.task_spec.event_definition
    if isinstance(definition, TimerEventDefinition):
        return task.task_spec.bpmn_id
    # An event-based gateway keeps its branches' event definitions, in the order of its outputs, and
    # keeps only the branch that was taken as a child.
    taken = {child.task_spec for child in task.children if not child.state & TaskState.PREDICTED_MASK}
    for branch, event in zip(task.task_spec.outputs, definition.event_definitions):
        if isinstance(event, TimerEventDefinition) and branch in taken:
            return branch.bpmn_id
    return None


def _cycle_state(task) -> dict | None:
    value = task.internal_data.get("event_value")
    return dict(value) if isinstance(value, dict) else None


def _times_fired(task, before: dict | None) -> int:
    """How often a waiting timer fired in this step: once when it completed; for a cycle, once per period
    its next due time moved on (R/… cycles never run out, so the count of cycles left cannot tell)."""
    if before is None:
        return 1 if task.state == _DONE and _timer_element(task) else 0
    after = _cycle_state(task)
    if after is None or not after.get("next") or not before.get("next"):
        return 1 if before.get("cycles", 0) != 0 and task.state == _DONE else 0
    moved = datetime.fromisoformat(after["next"]) - datetime.fromisoformat(before["next"])
    return max(round(moved.total_seconds() / (before.get("duration") or 1)), 0)


def _next_due(wf: BpmnWorkflow) -> datetime | None:
    due = None
    for _, _, task in _waiting_timers(wf).values():
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):
            value = value.get("next") if value.get("cycles", 0) != 0 else None
        if not value:
            continue
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        due = moment if due is None or moment < due else due
    return due


def _status(wf: BpmnWorkflow, ready: dict) -> str:
    if wf.completed:
        return "completed"
    if ready:
        return "running"
    for task in _all_tasks(wf):
        if task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
            return "running"
    return "stuck"


def _inbox_row(op: _Op, wf: BpmnWorkflow, model: ProcessModel, task) -> dict[str, Any]:
    pid, eid = task.workflow.spec.name, task.task_spec.bpmn_id
    info = model.user_tasks.get((pid, eid))
    if info is None:
        raise EngineError(f"{eid}: user task has no routing information")
    department = info.department
    if info.department_expr:
        try:
            department = str(wf.script_engine.evaluate(task, info.department_expr) or "")
        except SpiffWorkflowException as exc:
            raise EngineError(f"{eid}: department expression {info.department_expr!r} failed: {_failure_message(exc)}") from exc
        if not op.rt.is_department(op.session, department):
            raise EngineError(f"{eid}: department expression {info.department_expr!r} gave {department!r}, which is no department")
    if not department:
        raise EngineError(f"{eid}: lane {info.lane!r} matches no department any more; add it back or as an alias")
    due = _moment(wf, task, info.due_expr)
    row = dict(id=str(task.id), case_id=op.case_id, process_key=model.process_key, element_id=eid, name=info.name,
               lane=info.lane, department_code=department, role=info.role, state="open", assignee=None,
               priority=info.priority, created_at=op.now, due_at=due, follow_up_at=_moment(wf, task, info.follow_up_expr))
    op.record("task_ready", {"task": info.name, "element": eid, "role": info.role,
                             "due": due.isoformat() if due else None}, department, row["id"], actor="system:engine")
    return row


def _moment(wf: BpmnWorkflow, task, expr: str | None) -> datetime | None:
    if not expr:
        return None
    try:
        value = wf.script_engine.evaluate(task, expr)
    except SpiffWorkflowException as exc:
        raise EngineError(f"{task.task_spec.bpmn_id}: due date {expr!r} failed: {_failure_message(exc)}") from exc
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _timer_fired(op: _Op, model: ProcessModel, pid: str, eid: str) -> None:
    info = model.timers.get((pid, eid))
    kind = info.sla if info and info.sla else "timer_fired"
    details = {"timer": info.name if info else eid, "element": eid}
    department = None
    if info and info.attached_to:
        attached = model.user_tasks.get((pid, info.attached_to))
        department = attached.department if attached else None
        details["task_element"] = info.attached_to
        if info.sla:
            column = Task.reminded_at if info.sla == "reminder" else Task.escalated_at
            op.session.execute(update(Task).where(Task.case_id == op.case_id, Task.element_id == info.attached_to,
                                                  Task.state == "open").values({column.key: op.now}))
            details["notify"] = "assignee" if info.sla == "reminder" else "supervisor"
    op.record(kind, details, department)


def _persist(op: _Op, wf: BpmnWorkflow, model: ProcessModel, case_version: int, status: str, error: str | None,
             rows: list[dict], cancelled: list[str], completed_id: str | None) -> None:
    session = op.session
    if status in ("completed", "stuck", "failed"):
        op.record(f"case_{status}", {"error": error} if error else {})
    try:
        state = op.rt.serializer.dumps(wf)
    except (TypeError, ValueError) as exc:
        raise EngineError(f"case {op.case_key}: its data cannot be stored ({exc}); nothing was changed") from None
    case = {"id": op.case_id, "version": case_version, "new_version": case_version + 1,
            "state": state, "status": status, "error": error, "now": op.now,
            "next_due_at": None if status != "running" else _next_due(wf),
            "summary": json.dumps(_summary(op.rt, wf), ensure_ascii=False),
            "ended_at": op.now if status == "completed" else None, "visited": op.visited}
    closing = [{"id": tid, "state": "cancelled", "now": op.now, "completed_by": None, "data": None} for tid in cancelled]
    if completed_id:
        _, clean = op.completed
        closing.append({"id": completed_id, "state": "completed", "now": op.now, "completed_by": op.actor.username,
                        "data": json.dumps(clean, ensure_ascii=False, default=str)})
    for tid in cancelled:
        op.record("task_cancelled", {}, None, tid, actor="system:engine")
    if session.get_bind().dialect.name == "postgresql":
        _write_postgres(op, case, closing, rows)
        return
    if sql.execute(session, "update_case", case).rowcount != 1:
        raise Conflict(_MOVED_ON.format(op.case_key))
    if closing:
        sql.execute(session, "close_task", closing)
    if rows:
        sql.execute(session, "insert_task", rows)
    audit.append(session, op.events, op.now)


_MOVED_ON = "case {} was changed by someone else at the same moment; reload and try again"


def _write_postgres(op: _Op, case: dict, closing: list[dict], rows: list[dict]) -> None:
    """One round trip for all writes; the audit append falls back to the locking path if the head moved."""
    audit_rows, head = [], None
    if op.audit_head is not None and op.events:
        expected, prev = op.audit_head
        audit_rows, new_seq, new_hash = audit.chain(op.events, op.now, expected, prev)
        head = (expected, new_seq, new_hash)
    updated, written = sql.persist_postgres(op.session, case, closing, rows, audit_rows, head)
    if updated != 1:
        raise Conflict(_MOVED_ON.format(op.case_key))
    if not written:
        audit.append(op.session, op.events, op.now)


def current_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The case data as it stands: the workflow's data once completed, else that of the last task run."""
    return wf.data if wf.completed else (wf.last_task.data if wf.last_task is not None else wf.task_tree.data)


def _summary(rt: Runtime, wf: BpmnWorkflow) -> dict[str, Any]:
    data = current_data(wf)
    return {k: data[k] for k in rt.summary_fields if k in data}
