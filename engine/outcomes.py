"""What a finished case came to and why, in the words of its BPMN; and which steps ask to be confirmed.

An end event of the main process states the case's outcome when it carries one of these properties:
- `outcome_from`: a data field whose answer names the outcome (the option's or yes/no answer's name in the
  process's forms, e.g. decision → 录取 / 列入候补 / 不予录取); without it the end event's name is the outcome;
- `outcome_reasons`: data fields that say why (e.g. decision_reasons, school_assigned), shown with their labels
  when filled;
- or the milestone properties `outcome` / `outcome_field` (the latter also names the outcome, as `outcome_from`).

A user task with the property `confirm` (a field of its form, e.g. decision) is irreversible: pages check the
form (`cases.check`), then ask the user to confirm the answer chosen in that field before the step is completed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from .bpmnxml import bpmn_find, element_properties
from .errors import Message, catalogue
from .glossary import Glossary

MARKERS = ("outcome_from", "outcome_reasons", "outcome", "outcome_field")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MESSAGES = catalogue({  # what the validator says of these properties (the web layer translates these words)
    "outcome_fields_empty": "{name} is empty; name the data field(s)",
    "outcome_field_name": "{name} {field!r} is not a data field name (letters, digits and _)",
    "confirm_no_field": "confirm {field!r} is not a field of this step's form; name the field whose answer the "
                        "confirmation repeats (e.g. decision)",
    "confirm_not_choice": "confirm {field!r} is a {kind} field; name a choice (enum or yes/no field)",
})


@dataclass(frozen=True)
class OutcomeEnd:
    """An end event that states the case's outcome."""

    element_id: str
    name: str
    named_by: str | None = None  # the data field whose answer names the outcome
    reasons: tuple[str, ...] = ()  # the data fields that say why


@dataclass(frozen=True)
class Stated:
    """A finished case's outcome: its wording, the end event reached, and the reasons as (field, label, value)."""

    text: str
    end: str
    reasons: tuple[tuple[str, str, Any], ...] = ()
    end_id: str = ""  # the end event's element id (its name in another language is looked up by it)


def _fields(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def ends_of(process) -> dict[str, OutcomeEnd]:
    """The outcome end events of one `bpmn:process` element (its sub-processes included), by element id."""
    out = {}
    for node in bpmn_find(process, ".//b:endEvent"):
        props = element_properties(node)
        if not any((props.get(name) or "").strip() for name in MARKERS):
            continue
        named_by = (props.get("outcome_from") or props.get("outcome_field") or "").strip() or None
        out[node.get("id")] = OutcomeEnd(node.get("id"), (node.get("name") or node.get("id")).strip(), named_by,
                                         _fields(props.get("outcome_reasons")))
    return out


def problems(process) -> list[tuple[Any, str]]:
    """Deploy-time checks: the outcome properties name data fields; `confirm` names a field of the step's form."""
    out = []
    for node in bpmn_find(process, ".//b:endEvent"):
        props = element_properties(node)
        for name in ("outcome_from", "outcome_reasons"):
            if name in props and not _fields(props[name]):
                out.append((node, Message("outcome_fields_empty", name=name)))
            out += [(node, Message("outcome_field_name", name=name, field=f))
                    for f in _fields(props.get(name)) if not _FIELD.match(f)]
    for task in bpmn_find(process, ".//b:userTask"):
        props = element_properties(task)
        if "confirm" not in props:
            continue
        wanted = (props.get("confirm") or "").strip()
        kinds = {f.get("id"): f.get("type") or "string" for f in bpmn_find(task, "./b:extensionElements/c:formData/c:formField")}
        if wanted not in kinds:
            out.append((task, Message("confirm_no_field", field=wanted)))
        elif kinds[wanted] not in ("enum", "boolean"):
            out.append((task, Message("confirm_not_choice", field=wanted, kind=kinds[wanted])))
    return out


def stated(ends: dict[str, OutcomeEnd], visited: Iterable[str], data: dict[str, Any], terms: Glossary) -> Stated | None:
    """The outcome of a case that reached one of `ends` (None when it reached none)."""
    passed = set(visited)
    reached = [end for element, end in ends.items() if element in passed]
    if not reached:
        return None
    end = reached[-1]  # an end event a case reaches excludes the others; the last declared wins if not
    text = end.name
    value = data.get(end.named_by) if end.named_by else None
    if value is not None and value != "":
        term = terms.terms.get(end.named_by)
        named = term.reads(value) if term else value
        text = str(named) if named != value else text  # a code without a name leaves the end event's name
    reasons = tuple((key, terms.label(key), data[key]) for key in end.reasons if not _blank(data.get(key)))
    return Stated(text, end.name, reasons, end.element_id)


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


__all__ = ["OutcomeEnd", "Stated", "ends_of", "problems", "stated"]
