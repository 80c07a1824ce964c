"""A process's data dictionary, read from its BPMN: what each data field is called, whose finding it is, how
its values read, and which values are personal data. Pages label, mask and hide case data with it, so that
no page needs to know any particular process.

Where the entries come from:
- every user task's form fields (`camunda:formField`): the label, the options' names, the department of the
  task's lane, and two field properties: `personal` (id | phone | account | name: masked for reviewers) and
  `peer_blind` (true: a 背靠背 finding, see `Glossary.hidden_from`);
- every call activity with a `result_key`: its name and lane (the called process's answers arrive there);
- process properties named `data:<field>` for values no form asks for (what an application brings, what a
  service task or a rule computes): `label; department=PSB; personal=id; options=a:甲|b:乙` and the flags
  `peer_blind`, `department_code` (the value is a department's code, shown by its name) and `case_key` (the value
  is another case's business key, linked to it); `data:<field>:en`
  names it in English (engine/translations.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from .bpmnxml import bpmn_find, element_properties, lane_map
from .lint_messages import M
from .translations import LANGUAGES

PERSONAL_KINDS = ("id", "phone", "account", "name")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_SETTINGS = ("department", "personal", "options")
_FLAGS = ("peer_blind", "department_code", "case_key")


@dataclass(frozen=True)
class Term:
    """One data field as a person reads it."""

    key: str
    label: str
    department: str | None = None  # the department whose step (lane) records it
    options: tuple[tuple[str, str], ...] = ()
    personal: str | None = None
    peer_blind: bool = False
    department_code: bool = False  # its value is a department's code, shown as the department's name
    case_key: bool = False  # its value is another case's business key, shown as a link to that case

    def reads(self, value: Any) -> Any:
        """An option's name for its code (each element of a list), else the value itself."""
        names = dict(self.options)
        if isinstance(value, bool):  # a yes/no field's answers as its form names them (true_label / false_label)
            return names.get("true" if value else "false", value)
        if isinstance(value, list):
            return [names.get(v, v) if isinstance(v, str) else v for v in value]
        return names.get(value, value) if isinstance(value, str) else value


@dataclass
class Glossary:
    """The terms of one process (or of a case: its process and those it calls), in the order they are declared."""

    terms: dict[str, Term] = field(default_factory=dict)
    owner: str | None = None  # the process's owner department, which decides and so sees every finding

    def add(self, term: Term) -> None:
        known = self.terms.get(term.key)
        if known is None:
            self.terms[term.key] = term
        elif term.options:  # the same field in another form: keep the first label, gather every option's name
            merged = dict(term.options) | dict(known.options)
            self.terms[term.key] = replace(known, options=tuple(merged.items()))

    def merged(self, other: "Glossary") -> "Glossary":
        out = Glossary(dict(self.terms), self.owner or other.owner)
        for term in other.terms.values():
            out.add(term)
        return out

    def label(self, key: str) -> str:
        term = self.terms.get(key)
        return term.label if term else key

    def personal(self, key: str) -> str | None:
        term = self.terms.get(key)
        return term.personal if term else None

    def peers(self) -> set[str]:
        """Departments that record 背靠背 findings of their own."""
        return {t.department for t in self.terms.values() if t.peer_blind and t.department}

    def hidden_from(self, key: str, departments: Iterable[str], auditor: bool) -> bool:
        """A 背靠背 finding of another department, which a peer reviewer may not see. Its own department, the
        owner department, departments that record no such findings themselves (those who decide on them, the
        joint office) and auditors see it."""
        term = self.terms.get(key)
        if term is None or not term.peer_blind or auditor or term.department is None:
            return False
        mine = set(departments)
        if term.department in mine or (self.owner and self.owner in mine):
            return False
        return bool(mine & self.peers())


def read(process, resolve_lane) -> Glossary:
    """The glossary of one `bpmn:process` element; `resolve_lane` maps a lane name to a department code."""
    out = Glossary()
    for key, text in _declarations(process):
        term, _ = _declared(key, text)
        out.add(term)
    lanes = lane_map(process)
    for node in bpmn_find(process, ".//b:userTask | .//b:callActivity"):
        lane = lanes.get(node.get("id"))
        props = element_properties(node)
        department = resolve_lane(lane) if lane and "department" not in props else None
        if node.tag.endswith("callActivity"):
            if props.get("result_key"):
                out.add(Term(props["result_key"].strip(), node.get("name") or node.get("id"), department,
                             peer_blind=(props.get("peer_blind") or "").strip().lower() == "true"))
            continue
        for f in bpmn_find(node, "./b:extensionElements/c:formData/c:formField"):
            fprops = {p.get("id") or p.get("name"): p.get("value", "") for p in bpmn_find(f, "./c:properties/c:property")}
            options = tuple((v.get("id"), v.get("name") or v.get("id")) for v in bpmn_find(f, "./c:value"))
            if f.get("type") == "boolean":
                options = tuple((answer, fprops[f"{answer}_label"].strip()) for answer in ("true", "false")
                                if (fprops.get(f"{answer}_label") or "").strip())
            personal = (fprops.get("personal") or "").strip() or None
            out.add(Term(f.get("id"), f.get("label") or f.get("id"), department, options,
                         personal if personal in PERSONAL_KINDS else None,
                         (fprops.get("peer_blind") or "").strip().lower() == "true"))
    return out


def problems(process, is_department) -> list[str]:
    """What is wrong with a process's `data:` declarations, each naming the property."""
    out = []
    for key, text in _declarations(process):
        where = M("data_where", key=key)
        if not _KEY.match(key):
            out.append(M("field_problem", where=where, problem=M("data_key", key=key)))
            continue
        term, errors = _declared(key, text)
        out += [M("field_problem", where=where, problem=e) for e in errors]
        if term.department and is_department is not None and not is_department(term.department):
            out.append(M("field_problem", where=where, problem=M("data_department", value=term.department)))
    for node in bpmn_find(process, ".//c:formField"):
        for p in bpmn_find(node, "./c:properties/c:property"):
            if (p.get("id") or p.get("name")) == "personal" and p.get("value", "").strip() not in PERSONAL_KINDS:
                out.append(M("field_personal", field=node.get("id"), value=p.get("value"), known=", ".join(PERSONAL_KINDS)))
    return out


def _declarations(process) -> list[tuple[str, str]]:
    """The `data:<field>` properties (not their translations, `data:<field>:en`: engine/translations.py)."""
    return [(name[5:].strip(), value) for name, value in element_properties(process).items()
            if name.startswith("data:") and not (name.count(":") == 2 and name.rpartition(":")[2] in LANGUAGES)]


def _declared(key: str, text: str) -> tuple[Term, list[str]]:
    parts = [p.strip() for p in text.split(";")]
    label, errors, settings, flags = parts[0] or key, [], {}, set()
    for part in parts[1:]:
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep:
            flags.add(name)
        elif name in _SETTINGS:
            settings[name] = value.strip()
        else:
            errors.append(M("data_setting", name=name, known=", ".join(_SETTINGS)))
    for flag in flags - set(_FLAGS):
        errors.append(M("data_flag", name=flag, known=", ".join(_FLAGS)))
    personal = settings.get("personal") or None
    if personal is not None and personal not in PERSONAL_KINDS:
        errors.append(M("data_personal", value=personal, known=", ".join(PERSONAL_KINDS)))
        personal = None
    options = []
    for item in (settings.get("options") or "").split("|"):
        if item.strip():
            code, sep, name = item.partition(":")
            if not sep or not code.strip():
                errors.append(M("data_option", value=item.strip()))
            else:
                options.append((code.strip(), name.strip() or code.strip()))
    return Term(key, label, settings.get("department") or None, tuple(options), personal,
                "peer_blind" in flags, "department_code" in flags, "case_key" in flags), errors


__all__ = ["Glossary", "Term", "PERSONAL_KINDS", "read", "problems"]
