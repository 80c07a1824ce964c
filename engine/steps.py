"""The shared step of every engine operation: run the workflow, diff its tasks, route, persist.

An operation (start, complete, fire timers, send a message) changes the workflow in an `action`; `advance`
then runs the engine under the operation's evaluation budget, works out which tasks opened and closed,
routes the new ones to departments and writes case, tasks and audit events in the caller's transaction.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from . import audit, budget, clock, health, lookup, sql, wallclock
from .definitions import ProcessModel
from .errors import Conflict, EngineError, Message
from .functions import operation_time
from .models import Task
from .routing import Actor
from .runtime import Runtime
from .specs import MAX_ENGINE_STEPS
from .store import prune

_DONE = TaskState.COMPLETED


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


class Operation:
    """State shared by the steps of one operation on one case."""

    def __init__(self, session: Session, rt: Runtime, actor: Actor, case_key: str, now: datetime) -> None:
        self.session, self.rt, self.actor, self.case_key, self.now = session, rt, actor, case_key, now
        self.events: list[audit.Event] = []
        self.service_events: list[tuple[str, dict]] = []
        self.case_id: int | None = None
        self.completed: tuple[str, dict] | None = None
        self.audit_head: tuple[int, str] | None = None
        self.visited: str = ""
        self.sent_back: dict[str, dict] = {}  # reopened task id → who sent it back and why
        self.found: frozenset[tuple[str, Any]] = frozenset()  # the case's searchable values when it was loaded
        self.before: tuple[str, Any] | None = None  # the case row's status and next timer when loaded, if known

    def record(self, event: str, details: dict | None = None, department: str | None = None,
               task_id: str | None = None, actor: str | None = None) -> None:
        principal = None if actor else self.actor.on_behalf(department)
        if principal:  # "A acting for B" (代理)
            details = {**(details or {}), "acting_for": principal}
        self.events.append(audit.Event(event, actor or self.actor.username, details or {}, department,
                                       self.case_id, self.case_key, task_id))


def open_case(session: Session, rt: Runtime, actor: Actor, case, now: datetime | None = None):
    """A case made ready for one operation: its process model, the Operation bound to it and its workflow.

    `case` is a row or reference with id, business_key, definition_id, state and visited (audit_head if known).
    """
    rt.refresh_calendar(session)
    model = rt.model(session, case.definition_id)
    op = Operation(session, rt, actor, case.business_key, now or wallclock.now())
    op.case_id, op.visited, op.audit_head = case.id, case.visited, getattr(case, "audit_head", None)
    op.before = (case.status, case.next_due_at) if hasattr(case, "next_due_at") else None
    wf = rt.serializer.loads(case.state, model.spec, model.subprocess_specs, rt.script_engine(op))
    op.found = lookup.searchable(rt.search_fields, current_data(wf))
    return model, op, wf


def find_task(wf: BpmnWorkflow, task_id: str, state: TaskState):
    """The workflow's task of that id if it is in `state`, else None (a stale or malformed id)."""
    try:
        task = wf.get_task_from_id(UUID(task_id))
    except (TaskNotFoundException, ValueError):
        return None
    return task if task is not None and task.state == state else None


def advance(op: Operation, wf: BpmnWorkflow, model: ProcessModel, case_version: int, action) -> Outcome:
    kind = op.events[0].event if op.events else "timers"
    with health.Timer(kind), operation_time(op.now), budget.operation():
        return _advance_now(op, wf, model, case_version, action)


def _forget_dropped_events(wf: BpmnWorkflow) -> None:
    """SpiffWorkflow keeps waiting events (an SLA timer on a step) registered after a reset (退回, 撤回) dropped
    their task, and would then refresh a task without a parent; only the tasks still in the tree stay."""
    registered = wf.event_manager.tasks
    for task_id, task in list(registered.items()):
        if task.workflow.tasks.get(task_id) is not task:
            del registered[task_id]


def _advance_now(op: Operation, wf: BpmnWorkflow, model: ProcessModel, case_version: int, action) -> Outcome:
    began = time.time() - 0.001
    before_ready = {tid: t.task_spec.bpmn_name or t.task_spec.bpmn_id for tid, t in _ready_tasks(wf).items()}
    waiting = _waiting_timers(wf)
    cycles = {tid: _cycle_state(task) for tid, (_, _, task) in waiting.items()}
    error = None
    try:
        action()
        _forget_dropped_events(wf)
        ran = _bounded()
        wf.do_engine_steps(did_complete_task=ran)
        while _interrupt(wf, model):
            wf.do_engine_steps(did_complete_task=ran)
    except (SQLAlchemyError, *sql.IntegrityError) :
        raise  # the database failed, not the process: the operation is rolled back as a whole
    except Exception as exc:  # noqa: BLE001 - what the process content raised; the case records it
        error = _failure_message(exc)
    fired = [(pid, _timer_element(task) or eid, tid) for tid, (pid, eid, task) in waiting.items()
             for _ in range(_times_fired(task, cycles[tid]))]
    op.visited = _visited(op.visited, wf, began)
    _milestones(op, wf, model, began)
    if model.stops_clock:  # 补正: stop or restart the SLA clock
        clock.track(op, model, all_tasks(wf), _waiting_timers(wf))
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
    _persist(op, wf, model, case_version, status, error, rows, {tid: before_ready[tid] for tid in cancelled}, completed_id)
    return Outcome(op.case_id, op.case_key, status, rows, cancelled, [e.event for e in op.events], error)


def _bounded():
    """Counts the elements the engine runs in one operation; past MAX_ENGINE_STEPS the case fails naming the element it
    was at (a standard loop whose condition stays true ran for ever: the expression budget counts only the time of
    evaluations, and each round's evaluation takes microseconds)."""
    ran = 0

    def count(task) -> None:
        nonlocal ran
        ran += 1
        if ran > MAX_ENGINE_STEPS:
            raise WorkflowTaskException(Message("run_too_many_steps", limit=MAX_ENGINE_STEPS), task=task)
    return count


def _interrupt(wf: BpmnWorkflow, model: ProcessModel) -> bool:
    """An interrupting event sub-process that has caught its event stops the rest of its (sub-)process, as
    BPMN says; SpiffWorkflow 3 would run it alongside. True when something was cancelled."""
    if not model.interrupting:
        return False
    cancelled = False
    for task in list(all_tasks(wf)):
        if getattr(task.task_spec, "bpmn_id", None) not in model.interrupting or task.has_state(TaskState.PREDICTED_MASK):
            continue
        sub = wf.subprocesses.get(task.id)
        if sub is None and task.state != _DONE:
            continue
        if sub is not None and not any(t.state == _DONE and isinstance(t.task_spec, CatchingEvent)
                                       for t in sub.get_tasks() if t.parent is not None and t.parent.parent is None):
            continue  # still waiting for its start event
        keep = {task.id, *(a.id for a in _ancestors(task))}
        for other in task.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
            if other.id in keep or other.task_spec is task.workflow.spec.end or other.parent is None:
                continue
            if other.task_spec.name == "End" or other.state == TaskState.CANCELLED:
                continue
            other.cancel()
            cancelled = True
    if cancelled:
        wf.is_completed()  # the event sub-process may have been the last thing left: the case is done
    return cancelled


def _ancestors(task):
    while task.parent is not None:
        task = task.parent
        yield task


def _visited(before: str, wf: BpmnWorkflow, since: float) -> str:
    """The elements the case has passed, adding those completed in this step (history is pruned later)."""
    seen = set(before.split()) if before else set()
    for task in all_tasks(wf):
        element = getattr(task.task_spec, "bpmn_id", None)
        if element and task.state == _DONE and task.last_state_change >= since:
            seen.add(element)
    return " ".join(sorted(seen))


def _milestones(op: Operation, wf: BpmnWorkflow, model: ProcessModel, since: float) -> None:
    """Record each milestone element completed in this step, with its outcome and the case's area and
    category as they stand (the figures are computed from these events). A milestone of a called process that
    names an addressee (a 函询 called from a step) is that inquiry's, not the case's: it carries the called
    process's own fields and `inquiry`, the call it belongs to."""
    if not model.milestones:
        return
    reached = sorted((task for task in all_tasks(wf) if task.state == _DONE and task.last_state_change >= since
                      and (task.workflow.spec.name, getattr(task.task_spec, "bpmn_id", None)) in model.milestones),
                     key=lambda task: task.last_state_change)
    for task in reached:
        info = model.milestones[(task.workflow.spec.name, task.task_spec.bpmn_id)]
        details = {"milestone": info.milestone, "element": info.element_id}
        outcome = info.outcome or (task.data.get(info.outcome_field) if info.outcome_field else None)
        if outcome is not None and outcome != "":
            details["outcome"] = str(outcome)[:64]
        fields = model.kpi_fields
        called = model.called_kpi_fields.get(task.workflow.spec.name)
        if called and "addressee" in called:
            fields, details["inquiry"] = called, str(getattr(task.workflow, "parent_task_id", ""))
        for name, data_field in fields.items():
            value = task.data.get(data_field)
            if value is not None and value != "":
                details[name] = str(value)[:64]
        op.record("milestone", details, actor="system:engine")


def _plain(exc: BaseException) -> str:
    """An exception's text, never computed from a large value (its text is made outside any budget)."""
    if not all(isinstance(a, (str, int, float, bool, type(None))) and len(str(a)) < 2000 for a in exc.args):
        return type(exc).__name__
    return str(exc).split("\n")[0][:500]


def _failure_message(exc: Exception) -> str:
    task = getattr(exc, "task", None)
    element = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    inner = exc.__cause__ or exc.__context__
    text = _plain(exc)
    if inner is not None and _plain(inner) and _plain(inner) not in text:
        text = f"{text}: {type(inner).__name__}: {_plain(inner)}"
    return f"{element}: {text}" if element else text


def all_tasks(wf: BpmnWorkflow):
    yield from wf.tasks.values()
    for sub in wf.subprocesses.values():
        yield from sub.tasks.values()


def _ready_tasks(wf: BpmnWorkflow) -> dict[str, Any]:
    return {str(t.id): t for t in all_tasks(wf) if t.state == TaskState.READY and t.task_spec.manual}


def _has_timer(definition) -> bool:
    if isinstance(definition, TimerEventDefinition):
        return True
    return isinstance(definition, MultipleEventDefinition) and any(
        isinstance(d, TimerEventDefinition) for d in definition.event_definitions)


def _waiting_timers(wf: BpmnWorkflow) -> dict[str, tuple[str, str, Any]]:
    """Waiting timer events, including event-based gateways that wait for a timer among other events."""
    out = {}
    for task in all_tasks(wf):
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
    if after is not None and "fired" in after:  # counted by the cycle itself (rounds missed fire once)
        fired = after["fired"] - before.get("fired", 0)
        return fired if fired >= 0 else after["fired"]  # reset (退回) and fired again in this step
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
    for task in all_tasks(wf):
        if task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
            return "running"
    return "stuck"


def _inbox_row(op: Operation, wf: BpmnWorkflow, model: ProcessModel, task) -> dict[str, Any]:
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
                             "due": due.isoformat() if due else None, **op.sent_back.get(row["id"], {})},
              department, row["id"], actor="system:engine")
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


def _timer_fired(op: Operation, model: ProcessModel, pid: str, eid: str) -> None:
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


def _persist(op: Operation, wf: BpmnWorkflow, model: ProcessModel, case_version: int, status: str, error: str | None,
             rows: list[dict], cancelled: dict[str, str], completed_id: str | None) -> None:
    """Write the step: the case's state, the tasks closed (`cancelled`: id → name) and opened, the audit entries."""
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
    for tid, name in cancelled.items():
        op.record("task_cancelled", {"task": name}, None, tid, actor="system:engine")
    gone, found = lookup.changes(op.case_id, lookup.searchable(op.rt.search_fields, current_data(wf)), op.found,
                                 case_version == 0)
    postgres = session.get_bind().dialect.name == "postgresql"
    if gone or not postgres:  # PostgreSQL writes new lookup rows with the rest, in one statement
        lookup.write(session, op.case_id, gone, found)
        found = []
    if postgres:
        _write_postgres(op, case, closing, rows, found)
        return
    if sql.execute(session, _case_update(op, case), case).rowcount != 1:
        raise Conflict.coded("case_moved_on", key=op.case_key)
    if closing:
        sql.execute(session, "close_task", closing)
    if rows:
        sql.execute(session, "insert_task", rows)
    audit.append(session, op.events, op.now, op.audit_head)


def _case_update(op: Operation, case: dict) -> str:
    """The SQLite statement that writes the case row: only what changed among its indexed columns."""
    if op.before is None or case["status"] != "running" or op.before[0] != "running":
        return "update_case"
    return "update_case_running" if sql.same_moment(op.before[1], case["next_due_at"]) else "update_case_running_due"


def _write_postgres(op: Operation, case: dict, closing: list[dict], rows: list[dict], found: list[dict]) -> None:
    """One round trip for all writes (with the case's new lookup rows); the audit append falls back to the
    locking path if the head moved."""
    audit_rows, head = [], None
    if op.audit_head is not None and op.events:
        expected, prev = op.audit_head
        audit_rows, new_seq, new_hash = audit.chain(op.events, op.now, expected, prev)
        head = (expected, new_seq, new_hash)
    updated, written = sql.persist_postgres(op.session, case, closing, rows, audit_rows, head, found)
    if updated != 1:
        raise Conflict.coded("case_moved_on", key=op.case_key)
    if not written:
        audit.append(op.session, op.events, op.now)


def current_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The case data as it stands: the workflow's data once completed, else that of the last task run."""
    return wf.data if wf.completed else (wf.last_task.data if wf.last_task is not None else wf.task_tree.data)


def _summary(rt: Runtime, wf: BpmnWorkflow) -> dict[str, Any]:
    data = current_data(wf)
    return {k: data[k] for k in rt.summary_fields if k in data}
