"""Joins that work in loops: a parallel join counts only the branches of its own round, and parallel and inclusive
joins merge only what the branches of their round changed.

SpiffWorkflow's parallel join counts every instance of the join in the task tree whose incoming task completed,
except its own ancestors. In a loop, the instances of an earlier round that did not fire (the branches that arrived
first) are no ancestors of the next round, so they count again: a branch arriving first in a later round passed
the join at once, and the step after the join opened while the other branch was still open. The task tree keeps
the previous round (so a step can be sent back, 退回, to it), and a send-back changes which branch arrives last, so
this showed after a send-back inside a loop. Here an instance counts only if it lies below the previous round's
join (the nearest instance of the same join above it). SpiffWorkflow's inclusive join counted the same way (every
instance of the join in the tree, earlier rounds included); it too counts only its own round here.

Data: each branch carries a copy of the data taken at the split, and SpiffWorkflow let the branch arriving last
overwrite with that copy whatever the other branches had changed of the data that existed before the split: in a
loop, the other branch's answers of this round went back to those of the previous round, and after a send-back
the reopened branch undid the other branch's decisions. Here every branch adds only what it changed since the
split, in the order the branches arrived.
"""
from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway as _SpiffInclusiveGateway
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway as _SpiffParallelGateway
from SpiffWorkflow.util.task import TaskState


def previous_round(join_task):
    """The nearest instance of the same join above `join_task` (the join of the previous round), or None."""
    current = join_task.parent
    while current is not None:
        if current.task_spec is join_task.task_spec:
            return current
        current = current.parent
    return None


def same_round(join_task) -> list:
    """The other instances of `join_task`'s join that belong to its round: below the previous round's join."""
    previous = previous_round(join_task)
    out = []
    for task in join_task.workflow.tasks.values():
        if task is join_task or task.task_spec is not join_task.task_spec:
            continue
        if previous is not None and not task.is_descendant_of(previous):
            continue  # a branch of an earlier round
        out.append(task)
    return out


class ParallelGateway(_SpiffParallelGateway):
    """A parallel gateway whose join counts and merges only the branches of its own round (see the module)."""

    def _check_threshold_unstructured(self, my_task):
        waiting_inputs = set(self.inputs)

        def remove_ancestor(task):
            while task is not None:
                if task.task_spec in waiting_inputs:
                    waiting_inputs.remove(task.task_spec)
                    return
                task = task.parent

        for task in [my_task, *same_round(my_task)]:
            if task.is_descendant_of(my_task):
                remove_ancestor(task)  # predicted beyond this join (a loop): not reached before it fires
            elif my_task.is_descendant_of(task):
                continue
            elif task.parent is not None and task.parent.state == TaskState.COMPLETED \
                    and task.parent.task_spec in waiting_inputs:
                waiting_inputs.remove(task.parent.task_spec)
        return len(waiting_inputs) == 0

    def _run_hook(self, my_task):
        merge(my_task)
        return True


class InclusiveGateway(_SpiffInclusiveGateway):
    """An inclusive gateway whose join counts and merges only the branches of its own round (SpiffWorkflow's counted
    an earlier round's arrival too: the branch arriving first in a later round passed the join at once)."""

    def _check_threshold_unstructured(self, my_task):
        """Fire when no branch of this round is still on its way: none of its join instances waits on an unfinished
        parent, and no live task of the round can still reach an input not yet arrived without passing this join
        (SpiffWorkflow searched backwards from the arrived inputs, through the loop's back edge, and looked for live
        tasks above the first instance of the join only: a branch with a gateway in it, or any later round, let the
        join fire early)."""
        tasks = [my_task, *same_round(my_task)]
        arrived = {t.parent.task_spec for t in tasks if t.parent.state == TaskState.COMPLETED}
        if any(t.parent.has_state(TaskState.DEFINITE_MASK) and t.parent.task_spec not in arrived for t in tasks):
            return False  # a branch of this round is on its way
        waiting = set(self.inputs) - arrived
        if not waiting:
            return True
        previous = previous_round(my_task)
        live = {t.task_spec for t in my_task.workflow.tasks.values()
                if t.has_state(TaskState.READY | TaskState.WAITING) and t.task_spec is not self
                and (previous is None or t.is_descendant_of(previous))}
        return not _reaches(live, waiting, self)

    def _run_hook(self, my_task):  # SpiffWorkflow's, with this module's merge
        merge(my_task)
        matches, defaults = self._get_matching_outputs(my_task)
        if len(matches + defaults) == 0:
            raise WorkflowTaskException("No conditions satisfied on gateway", task=my_task)
        my_task._sync_children(matches or defaults, TaskState.FUTURE)
        for child in my_task.children:
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return True


def _reaches(sources: set, targets: set, join) -> bool:
    """Whether some spec in `targets` follows from a spec in `sources` along the diagram's flows, not through `join`."""
    seen, stack = set(), [s for s in sources]
    while stack:
        spec = stack.pop()
        if spec in targets:
            return True
        if spec in seen or spec is join:
            continue
        seen.add(spec)
        stack.extend(spec.outputs)
    return False


def merge(my_task) -> None:
    """A join's data: what each branch of its round changed since the split, in the order they arrived, the branch
    arriving now last."""
    arrived = sorted((t for t in same_round(my_task) if t.has_state(TaskState.FINISHED_MASK)
                      and not my_task.is_descendant_of(t) and t.parent is not None),
                     key=lambda t: t.last_state_change)
    base = _split_data(my_task, arrived)
    data = deepcopy(base)
    for task in arrived:
        _apply(data, _changes(base, task.parent.data))
        if task.has_state(TaskState.COMPLETED):
            task._drop_children(force=True)  # reset inside a branch: the old continuation goes (as in SpiffWorkflow)
    _apply(data, _changes(base, my_task.parent.data))
    my_task.data = data


def _split_data(my_task, arrived: list) -> dict:
    """The data the branches started from: that of their nearest common ancestor (the split)."""
    if not arrived:
        return {}
    ancestors = {}
    current, depth = my_task.parent, 0
    while current is not None:
        ancestors[current.id] = (depth, current)
        current, depth = current.parent, depth + 1
    split = my_task.parent
    for task in arrived:
        current = task.parent
        while current is not None and current.id not in ancestors:
            current = current.parent
        if current is None:
            return {}
        if ancestors[current.id][0] > ancestors[split.id][0]:
            split = current
    return split.data


def _changes(base: dict, data: dict) -> dict:
    """What `data` changed or added compared with `base` (nested mappings compared key by key)."""
    out = {}
    for key, value in data.items():
        if key not in base:
            out[key] = value
        elif base[key] != value:
            out[key] = _changes(base[key], value) if isinstance(value, dict) and isinstance(base[key], dict) else value
    return out


def _apply(data: dict, changes: dict) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            _apply(data[key], value)
        else:
            data[key] = deepcopy(value)
