"""Case state: state-only JSON (the spec comes from the deployed version) and task-tree pruning.

A dump holds only the running state. The parsed spec is shared by all cases of a process version and
kept out of every row. Finished history is pruned from the task tree after each step: the audit log
keeps the history, and the tree stays small however long a rework loop runs (SpiffWorkflow hides tasks
deeper than 1,000 levels and its joins scan every task).
"""
from __future__ import annotations

import json
from copy import deepcopy
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG  # noqa: F401 - imported for its side effects
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_FORMAT
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from .errors import EngineError
from .specs import ClockedCycle, ClockedTimeDate

STATE_FORMAT = 1
_JOINS = (ParallelGateway, InclusiveGateway)  # BPMN gateways that count the branches arriving at them
_LIVE = TaskState.NOT_FINISHED_MASK


class _StateConverter(BpmnWorkflowConverter):
    """Workflow converter that leaves the specs out and takes them back from the caller."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateSerializer:
    """Dumps and loads the running state of a workflow as compact JSON."""

    def __init__(self) -> None:
        config = deepcopy(CAMUNDA_CONFIG)
        config[BpmnWorkflow] = _StateConverter
        config[ClockedTimeDate] = config[ClockedCycle] = TimerConditionalEventDefinitionConverter
        self.registry = BpmnWorkflowSerializer.configure(config)
        self._encoder = create_encoder(self.registry, None)

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """The state of `workflow` as JSON text."""
        dct = self.registry.convert(workflow)
        dct["format"] = STATE_FORMAT
        dct["spiff_format"] = SPIFF_FORMAT
        return json.dumps(dct, cls=self._encoder, separators=(",", ":"), ensure_ascii=False)

    def loads(self, text: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
        """Rebuild a workflow from its state and the shared parsed specs."""
        dct = json.loads(text)
        if dct.pop("format", None) != STATE_FORMAT or dct.pop("spiff_format", None) != SPIFF_FORMAT:
            raise EngineError("the stored case state has an unknown format; run `jointreview init-db` to migrate")
        for tree in [dct, *dct.get("subprocesses", {}).values()]:
            tree["tasks"] = parents_first(tree["tasks"])
        workflow = self.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow


def parents_first(tasks: dict[str, dict]) -> dict[str, dict]:
    """Stored tasks in an order that restores every parent before its children. A task's data is stored as its changes
    to its parent's data, so a child restored first loses what it inherited; states written before a send-back (退回)
    kept a reopened step's place in the tree stored them so."""
    seen: set[str] = set()
    for tid, task in tasks.items():
        if task.get("parent") is not None and task["parent"] not in seen:
            break
        seen.add(tid)
    else:
        return tasks  # the usual case: already in order
    ordered: dict[str, dict] = {}
    stack = [tid for tid, t in tasks.items() if t.get("parent") not in tasks][::-1]
    while stack:
        tid = stack.pop()
        if tid in ordered or tid not in tasks:
            continue
        ordered[tid] = tasks[tid]
        stack.extend(reversed(tasks[tid].get("children") or []))
    ordered.update((tid, t) for tid, t in tasks.items() if tid not in ordered)
    return ordered


def prune(workflow: BpmnWorkflow) -> int:
    """Drop finished history above the lowest common ancestor of all live tasks; returns tasks removed.

    Everything the engine still needs hangs below that ancestor: waiting joins count as live, so branches
    whose tokens a join still needs are kept, and a live ancestor keeps its (finished) parent, from which it
    inherits its data when it runs. A parallel join that fired keeps the branches that arrived at it (it counts
    them again when a step before it is sent back). The path back to the latest completion of every user task
    above it is kept too (with the parent it inherited its data from), so a task can be sent back (退回) to any
    earlier step; in a rework loop that is one round, so the tree stays flat. Completed subprocesses whose
    calling task is dropped go too.
    """
    removed = _prune_one(workflow)
    for subprocess in list(workflow.subprocesses.values()):
        removed += _prune_one(subprocess)
    return removed


def _prune_one(workflow) -> int:
    live = [t for t in workflow.tasks.values() if t.state & _LIVE]
    if not live or getattr(workflow, "completed", False):
        return 0
    ancestor = _common_ancestor(live)
    if ancestor is not None and ancestor.state & _LIVE:
        ancestor = ancestor.parent  # a live task still inherits its data from its parent when it runs
    ancestor = _join_horizon(_send_back_horizon(ancestor))
    while ancestor is not None and ancestor.parent is not None and isinstance(ancestor.task_spec, _JOINS):
        ancestor = ancestor.parent  # a join reads the parents of all its instances: none may be the root
    if ancestor is None or ancestor.parent is None:
        return 0
    keep = {t.id for t in _descendants(ancestor)}
    dropped = [tid for tid in workflow.tasks if tid not in keep]
    top = workflow.top_workflow if hasattr(workflow, "top_workflow") else workflow
    for tid in dropped:
        _drop_subprocess(top, tid)
        del workflow.tasks[tid]
    ancestor._parent = None
    workflow.task_tree = ancestor
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None
    return len(dropped)


def _send_back_horizon(task):
    """The parent of the highest user task above `task` that is the latest completion of its step."""
    seen, horizon, current = set(), task, task
    while current is not None:
        if isinstance(current.task_spec, UserTask) and current.task_spec.bpmn_id not in seen:
            seen.add(current.task_spec.bpmn_id)
            horizon = current.parent if current.parent is not None else current
        current = current.parent
    return horizon


def _join_horizon(horizon):
    """Raised above the split of every parallel join kept below it that still counts (waiting or ahead, or the one that
    fired last): a join counts the branches that arrived at it by their join tasks, and must find them again to fire
    anew when a step before it was sent back (退回). The split keeps its parent: an inclusive gateway's next round
    reads it."""
    if horizon is None:
        return None
    instances: dict[object, list] = {}
    for task in horizon.workflow.tasks.values():
        if isinstance(task.task_spec, _JOINS):
            instances.setdefault(task.task_spec, []).append(task)
    joins = [tasks for tasks in instances.values() if len(tasks) > 1]  # a join some branch arrived at besides one
    while joins:
        kept = {t.id for t in _descendants(horizon)}
        raised = horizon
        for tasks in joins:
            for task in _counting(t for t in tasks if t.id in kept):
                split = _split_of(task, tasks)
                if split is not None and split.id not in kept:
                    raised = _common_ancestor([raised, split.parent or split])
        if raised is horizon or raised is None:
            break
        horizon = raised
    return horizon


def _counting(kept):
    """The join tasks that may still fire: those not finished, and the one that fired last (a step before it can be
    sent back); joins of earlier rounds of a loop count no more (and checking them made pruning quadratic)."""
    kept = [t for t in kept if not t.has_state(TaskState.CANCELLED)]
    fired = [t for t in kept if t.has_state(TaskState.COMPLETED)]
    last = [max(fired, key=lambda t: t.last_state_change)] if fired else []
    return [t for t in kept if not t.has_state(TaskState.COMPLETED)] + last


def _split_of(join, instances: list):
    """The nearest common ancestor of a join task and the other branches' join tasks of the same round (those
    whose common ancestor with it lies deepest: earlier rounds of a loop branched off higher up)."""
    own = {t.id: depth for depth, t in enumerate(_path(join))}
    best, deepest = None, -1
    for other in instances:
        if other is join or other.id in own:  # the same task, or an earlier round this one descends from
            continue
        current = other
        while current is not None and current.id not in own:
            current = current.parent
        if current is None or current is other:
            continue
        if own[current.id] > deepest and current is not join:  # `other` descends from `join`: a later round
            best, deepest = current, own[current.id]
    return best


def _drop_subprocess(top: BpmnWorkflow, task_id: UUID) -> None:
    subprocess = top.subprocesses.pop(task_id, None)
    if subprocess is None:
        return
    for tid in list(subprocess.tasks):
        _drop_subprocess(top, tid)


def _common_ancestor(tasks):
    path = _path(tasks[0])
    for task in tasks[1:]:
        ids = {t.id for t in _path(task)}
        path = [t for t in path if t.id in ids]
        if not path:
            return None
    return path[-1]


def _path(task) -> list:
    out = []
    while task is not None:
        out.append(task)
        task = task.parent
    out.reverse()
    return out


def _descendants(task):
    stack = [task]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
