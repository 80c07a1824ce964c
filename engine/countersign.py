"""会签 / 或签 / 票签: how many signers of a multi-instance user task must sign before the step is done.

The user-task property `countersign` sets it: `all` (会签, every listed department or person signs; the
default), `any` (或签, the first signature completes the step) or `ratio:0.6` (票签, that share of the
signers, rounded up). When the share is reached, the signers still pending are withdrawn. A modeler's own
completion condition still applies too.

`countersign_record` names a data field that lists the signatures, in the order they were given: for each,
the signer's item of the collection (e.g. the department) and what they entered in the form, so that a
later step sees every department's opinion (the instances' form fields do not overwrite one another).
"""
from __future__ import annotations

import math
import re
from copy import deepcopy

from .lint_messages import M

_RATIO = re.compile(r"ratio:(0(\.\d+)?|1(\.0+)?)")


def problem(value: str, multi_instance: bool, sequential: bool) -> str | None:
    """Why a `countersign` value cannot be used, or None."""
    value = value.strip()
    if value not in ("all", "any") and not (_RATIO.fullmatch(value) and 0 < float(value[6:]) <= 1):
        return M("countersign_value", value=value)
    if not multi_instance or sequential:
        return M("countersign_parallel")
    return None


def needed(rule: str, signers: int) -> int:
    """How many signatures complete the step."""
    if rule == "any":
        return min(1, signers)
    if rule.startswith("ratio:"):
        return max(1, math.ceil(float(rule[6:]) * signers - 1e-9))
    return signers


class CountersignMixin:
    """Completes a parallel multi-instance task once `needed` signers have signed."""

    countersign = "all"
    countersign_record: str | None = None

    def merge_child(self, workflow, child):
        super().merge_child(workflow, child)
        if self.countersign_record:
            from .forms import fields_of  # forms builds on the parser; this module is imported by it
            entry = {}
            if self.input_item is not None and self.input_item.exists(child):
                entry[self.input_item.bpmn_id] = deepcopy(self.input_item.get(child))
            entry.update({f.id: deepcopy(child.data.get(f.id)) for f in fields_of(child.task_spec)})
            child.parent.data.setdefault(self.countersign_record, []).append(entry)

    def check_completion_condition(self, my_task):
        signed = len(my_task.internal_data.get("merged", []))
        signers = len(list(self._instances(my_task)))
        if self.countersign != "all" and signed >= needed(self.countersign, signers):
            return True
        return super().check_completion_condition(my_task)


_CLASSES: dict[type, type] = {}


def apply(spec, rule: str, record: str | None = None) -> None:
    """Make a parsed multi-instance task spec follow `rule` (and list its signatures in `record`)."""
    base = type(spec)
    if not issubclass(base, CountersignMixin):
        if base not in _CLASSES:
            _CLASSES[base] = type(f"Countersign{base.__name__}", (CountersignMixin, base), {})
        spec.__class__ = _CLASSES[base]
    spec.countersign = rule.strip()
    spec.countersign_record = record
