"""User-task forms defined in the BPMN (camunda:formData): checks at deploy, coercion and validation at submit.

SpiffWorkflow reads the fields but enforces nothing; every rule below is ours.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Iterable

import re2

from .errors import InvalidInput
from .expressions import RestrictedEnvironment, check
from .lint_messages import M

FIELD_TYPES = ("string", "long", "double", "boolean", "date", "enum")
CONSTRAINTS = ("required", "readonly", "minlength", "maxlength", "min", "max", "pattern")
MAX_TEXT = 20_000  # characters of a text field whose BPMN gives no maxlength (a request could carry 4 MB)
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@lru_cache(maxsize=512)
def _pattern(text: str) -> Any:
    """A designer's pattern compiled by RE2, which matches in linear time (no catastrophic backtracking)."""
    return re2.compile(text, options=_RE2_OPTIONS)


_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TRUE = {"true", "1", "on", "yes", "y", "是"}
_FALSE = {"false", "0", "off", "no", "n", "否", ""}

# Message templates by code, so an adapter can translate them; params fill the braces.
MESSAGES = {  # msgids of the web layer's translations too: keep the wording in step
    "required": "is required",
    "not_integer": "must be a whole number",
    "not_number": "must be a number",
    "not_boolean": "must be yes or no",
    "not_chosen": "is a decision: choose one answer",
    "not_date": "must be a date (YYYY-MM-DD)",
    "not_option": "must be one of: {options}",
    "too_short": "must be at least {limit} characters",
    "too_long": "must be at most {limit} characters",
    "too_small": "must be at least {limit}",
    "too_large": "must be at most {limit}",
    "pattern": "does not have the expected format",
    "unknown": "is not a field of this form",
    "hidden_characters": "contains control characters, invisible characters or hidden text-direction marks",
    "rule": "{message}",  # a field's own rule (`valid_if`), worded by the process designer (`valid_message`)
}


@dataclass
class FormField:
    """One field as the engine enforces it."""

    id: str
    label: str
    type: str
    default: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return "required" in self.constraints

    @property
    def readonly(self) -> bool:
        return "readonly" in self.constraints

    @property
    def decision(self) -> bool:
        """A yes/no field that must be answered (`required`, or `required_if` when it holds): two explicit answers
        with none chosen beforehand, never a box whose being left unticked says no."""
        return self.type == "boolean" and (self.required or bool(self.properties.get("required_if")))

    @property
    def choices(self) -> list[tuple[str, str | None]]:
        """A boolean field's two answers with the names the designer gave them (`true_label`, `false_label`,
        e.g. 通过 / 不通过), None where the page's own yes / no applies; empty for other types."""
        if self.type != "boolean":
            return []
        return [("true", self.properties.get("true_label") or None), ("false", self.properties.get("false_label") or None)]


def fields_of(task_spec: Any) -> list[FormField]:
    """The form fields of a parsed Camunda user task spec (empty when it has no form)."""
    form = getattr(task_spec, "form", None)
    out = []
    for raw in getattr(form, "fields", None) or []:
        out.append(FormField(
            id=raw.id,
            label=raw.label or raw.id,
            type=raw.type or "string",
            default=raw.default_value or None,
            options=[(o.id, o.name) for o in getattr(raw, "options", [])],
            constraints={v.name: v.config for v in raw.validation},
            properties={p.id: p.value for p in raw.properties},
        ))
    return out


def offered(form: list[FormField], data: dict[str, Any]) -> list[FormField]:
    """The form as this case offers it: a choice whose property `not_option_of` names a data field is offered
    without the option that field's value is (the step's own department among the departments it may ask; a
    `valid_if` refuses it if sent all the same)."""
    out = []
    for f in form:
        own = data.get((f.properties.get("not_option_of") or "").strip()) if f.options else None
        out.append(replace(f, options=[o for o in f.options if o[0] != own]) if isinstance(own, str) else f)
    return out


class _Errors:
    def __init__(self) -> None:
        self.messages: dict[str, str] = {}
        self.codes: dict[str, tuple[str, dict]] = {}

    def add(self, fid: str, code: str, **params: Any) -> None:
        if fid not in self.messages:
            self.messages[fid] = MESSAGES[code].format(**params)
            self.codes[fid] = (code, params)


def validate(form: list[FormField], submitted: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Coerce and check submitted values; return the clean values or raise InvalidInput (one message per field)."""
    errors, clean = _Errors(), {}
    current = current or {}
    known = {f.id for f in form}
    for name in submitted:
        if name not in known:
            errors.add(name, "unknown")
    for f in form:
        if f.readonly:
            continue
        raw = submitted.get(f.id)
        if raw is None or (isinstance(raw, str) and not raw.strip()):  # nothing given, to a yes/no field too
            if f.required:
                errors.add(f.id, "not_chosen" if f.type == "boolean" else "required")
            elif f.type == "boolean":
                clean[f.id] = None if f.decision else False  # an optional flag left unticked is no
            else:
                clean[f.id] = None
            continue
        value = _coerce(f, raw, errors)
        if f.id not in errors.messages:
            _constrain(f, value, errors)
        clean[f.id] = value
    _conditional(form, clean, current, errors)
    if errors.messages:
        exc = InvalidInput("the form has errors; nothing was saved", errors.messages)
        exc.codes = errors.codes
        raise exc
    return clean


def _conditional(form: list[FormField], clean: dict[str, Any], current: dict[str, Any], errors: _Errors) -> None:
    """Fields with the property `required_if` (an expression over the case's data and the form's values, e.g.
    `decision == 'reject'`) are required when it holds; a filled field with `valid_if` (e.g. `paid_amount ==
    amount`) must make it hold, else `valid_message` (with {field} placeholders filled from the data) is its
    error; `valid_message:en` is its words for an English reader (the adapter chooses)."""
    env = None
    for f in form:
        required_if, valid_if = f.properties.get("required_if"), f.properties.get("valid_if")
        if f.id in errors.messages or not (required_if or valid_if):
            continue
        env = env or RestrictedEnvironment({})
        values = {**current, **clean}
        if _blank(clean.get(f.id)):
            if required_if and _holds(env, required_if, values, False):
                errors.add(f.id, "not_chosen" if f.type == "boolean" else "required")
        elif valid_if and not _holds(env, valid_if, values, True):
            worded = {key: _PLACEHOLDER.sub(lambda m: _shown(values.get(m.group(1))), f.properties[prop])
                      for key, prop in (("message", "valid_message"), ("message_en", "valid_message:en"))
                      if f.properties.get(prop)}
            errors.add(f.id, "rule", **{"message": f"must satisfy {valid_if}", **worded})


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")


def _holds(env, condition: str, values: dict[str, Any], unreadable: bool) -> bool:
    try:
        return bool(env.evaluate(condition, values))
    except Exception:  # noqa: BLE001 - a value the condition cannot read: `unreadable` decides
        return unreadable


def ascii_digits(text: str) -> str:
    """Full-width and other decimal digits (and letters, by NFKC) as ASCII: `１１０Ｘ` → `110X`."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch
                   for ch in unicodedata.normalize("NFKC", text))


def _shown(value: Any) -> str:
    return "—" if value is None else str(value)[:100]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _coerce(f: FormField, raw: Any, errors: _Errors) -> Any:
    text = raw.strip() if isinstance(raw, str) else raw
    try:
        if f.type == "long":
            if isinstance(text, bool) or (isinstance(text, float) and not text.is_integer()):
                raise ValueError
            return int(text)
        if f.type == "double":
            if isinstance(text, bool):
                raise ValueError
            number = float(Decimal(str(text)))
            if not math.isfinite(number):
                raise ValueError
            return number
        if f.type == "boolean":
            if isinstance(text, bool):
                return text
            lowered = str(text).lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ValueError
        if f.type == "date":
            return date.fromisoformat(str(text)).isoformat()
        if f.type == "enum":
            ids = [o for o, _ in f.options]
            if str(text) not in ids:
                errors.add(f.id, "not_option", options=", ".join(ids),  # the codes an API client sends
                           named="、".join(label or o for o, label in f.options))  # as a page names them
            return str(text)
        text = str(text) if not isinstance(text, str) else text
        if "pattern" in f.constraints:  # ID numbers, phones, accounts: full-width and other digits become 0-9
            text = ascii_digits(text)
        return text
    except (ValueError, TypeError, InvalidOperation):
        code = {"long": "not_integer", "double": "not_number", "boolean": "not_boolean", "date": "not_date"}[f.type]
        errors.add(f.id, code)
        return raw


# Never meant in a form and able to disguise what a page or a printed receipt shows (NUL, escape sequences, bells,
# right-to-left overrides); tabs and line breaks are text.
CONTROL_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # a character class's ranges (the API refuses them too)
# text-direction overrides and isolates, and characters that show nothing: zero-width space, the direction marks,
# word joiners and invisible operators, the byte-order mark (a name with one is not the name it looks like); zero-width
# joiners stay (emoji and some scripts need them)
HIDDEN = re.compile(f"[{CONTROL_CHARACTERS}\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _constrain(f: FormField, value: Any, errors: _Errors) -> None:
    c = f.constraints
    if isinstance(value, str) and HIDDEN.search(value):
        errors.add(f.id, "hidden_characters")
        return
    if isinstance(value, str) and f.type in ("string", "enum"):
        if "minlength" in c and len(value) < int(c["minlength"]):
            errors.add(f.id, "too_short", limit=c["minlength"])
        limit = int(c["maxlength"]) if "maxlength" in c else MAX_TEXT if f.type == "string" else None
        if limit is not None and len(value) > limit:
            errors.add(f.id, "too_long", limit=str(limit))
        if "pattern" in c and not _pattern(c["pattern"]).fullmatch(value):
            errors.add(f.id, "pattern")
    bound = _bound_parser(f.type)
    if bound is not None:
        if "min" in c and bound(value) < bound(c["min"]):
            errors.add(f.id, "too_small", limit=c["min"])
        if "max" in c and bound(value) > bound(c["max"]):
            errors.add(f.id, "too_large", limit=c["max"])


def _bound_parser(kind: str):
    return {"long": Decimal, "double": Decimal, "date": date.fromisoformat}.get(kind)


# properties of a user task (engine/definitions.py reads them from the task's own camunda:properties): on a form
# field they would be silently ignored
STEP_PROPERTIES = frozenset({"send_back_to", "not_by_performer_of", "confirm", "department", "countersign",
                             "countersign_record", "cc", "shows", "submit_label", "attach"})


def form_problems(task_node, camunda_ns: str, function_names: set[str]) -> list[tuple[Any, str]]:
    """Deploy-time checks of one userTask's camunda:formData; (xml element, message) pairs."""
    ns = {"c": camunda_ns}
    out: list[tuple[Any, str]] = []
    seen: set[str] = set()
    for node in task_node.xpath(".//c:formData/c:formField", namespaces=ns):
        fid = node.get("id") or ""
        where = M("field_where", field=fid) if fid else M("field_where_unnamed")

        def problem(message, node=node, where=where):
            out.append((node, M("field_problem", where=where, problem=message)))
        if not _IDENT.match(fid):
            problem(M("field_id"))
        elif fid in seen:
            problem(M("field_twice"))
        elif fid in function_names:
            problem(M("field_hides", name=fid))
        seen.add(fid)
        kind = node.get("type") or "string"
        if kind not in FIELD_TYPES:
            problem(M("field_type", value=kind, known=", ".join(FIELD_TYPES)))
            continue
        options = [v.get("id") for v in node.xpath("./c:value", namespaces=ns)]
        if kind == "enum" and not options:
            problem(M("field_enum_empty"))
        for message in _constraint_problems(node, ns, kind):
            problem(message)
        for prop in node.xpath("./c:properties/c:property[@id='required_if' or @id='valid_if']", namespaces=ns):
            name = prop.get("id")
            if not (prop.get("value") or "").strip():
                problem(M("field_condition_empty", name=name))
                continue
            reason = check(prop.get("value") or "")
            if reason:
                problem(M("expr_refused", what=M(f"part_{name}"), text=prop.get("value"), reason=reason))
        for prop in node.xpath("./c:properties/c:property[@id='true_label' or @id='false_label']", namespaces=ns):
            if kind != "boolean":
                problem(M("field_answer_kind", name=prop.get("id"), kind=kind))
            elif not (prop.get("value") or "").strip():
                problem(M("field_answer_empty", name=prop.get("id")))
        for prop in node.xpath("./c:properties/c:property", namespaces=ns):
            name = prop.get("id") or prop.get("name")
            if name in STEP_PROPERTIES:
                problem(M("field_step_property", name=name))
        for prop in node.xpath("./c:properties/c:property[@id='not_option_of']", namespaces=ns):
            if kind != "enum" or not _IDENT.match((prop.get("value") or "").strip()):
                problem(M("field_not_option_of"))
        default = node.get("defaultValue")
        if default and kind == "boolean" and "required" in _constraint_names(node, ns):
            problem(M("field_decision_default"))
        if default and kind == "enum" and default not in options:
            problem(M("field_default", value=default))
    return out


def _constraint_names(node, ns: dict) -> set[str]:
    return {c.get("name") for c in node.xpath("./c:validation/c:constraint", namespaces=ns)}


def _constraint_problems(node, ns: dict, kind: str) -> list[str]:
    out = []
    for constraint in node.xpath("./c:validation/c:constraint", namespaces=ns):
        name, config = constraint.get("name"), constraint.get("config")
        if not name:
            out.append(M("constraint_unnamed", known=", ".join(CONSTRAINTS)))
        elif config is None and name not in ("required", "readonly"):
            out.append(M("constraint_no_config", name=name))
        elif name not in CONSTRAINTS:
            out.append(M("constraint_unknown", name=name, known=", ".join(CONSTRAINTS)))
        elif name in ("minlength", "maxlength") and not (config or "").isdecimal():
            out.append(M("constraint_number", name=name, value=config))
        elif name in ("min", "max"):
            parse = _bound_parser(kind)
            try:
                if parse is None:
                    raise ValueError
                parse(config or "")
            except (ValueError, InvalidOperation):
                out.append(M("constraint_bound", name=name, value=config, kind=kind))
        elif name == "pattern":
            try:
                _pattern(config or "")
            except re2.error:
                out.append(M("constraint_pattern", value=config))
    return out


def option_labels(task_specs: Iterable[Any], field_id: str) -> dict[str, str]:
    """The labels of an enum field's values as the process's forms name them (value → label)."""
    out: dict[str, str] = {}
    for spec in task_specs:
        for f in fields_of(spec):
            if f.id == field_id:
                out.update({value: label for value, label in f.options if label})
    return out
