"""An audit entry's details as an auditor reads them: each recorded value under a label in the user's language,
people by name, departments by name, steps and options by the names their process gives them, moments as
2026-12-01 14:30, and nothing raw (no None, no True, no [...], no ISO strings). The CSV export keeps the record
as written."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from engine.definitions import ProcessModel
from engine.models import AuditEntry, Case, ProcessDefinition

from . import localized
from .context import runtime
from .i18n import department_name, role_label
from .names import EMPTY, colon, due, listed, person, semicolon, value_text

# What each recorded key is called; keys not listed are shown under their own name (tests/web/test_language.py
# meets every key the demo's entries use).
LABELS = {
    "task": _l("Step"), "to_task": _l("To step"), "role": _l("Role"), "due": _l("Due"), "until": _l("Until"),
    "milestone": _l("Milestone"), "outcome": _l("Outcome"), "area": _l("Area"), "category": _l("Category"),
    "addressee": _l("Addressee"), "basis": _l("Shown to"), "decision": _l("Rule table"), "name": _l("Name"),
    "file": _l("File"), "files": _l("Files"), "hit_policy": _l("Hit policy"), "version": _l("Version"),
    "from_version": _l("From version"), "to_version": _l("To version"), "note": _l("Note"), "reason": _l("Reason"),
    "reasons": _l("Reasons"), "text": _l("Text"), "timer": _l("Timer"), "notify": _l("Notified"),
    "kind": _l("Kind"), "rule": _l("Rule"), "threshold": _l("Threshold"), "days": _l("Working days"),
    "department": _l("Department"), "departments": _l("Departments"), "to_department": _l("To department"),
    "parent": _l("Parent department"), "unit": _l("Unit"), "district": _l("District"), "covers": _l("Covers"),
    "user": _l("User"), "to": _l("To"), "from": _l("From"), "principal": _l("Absent person"), "deputy": _l("Deputy"),
    "signer": _l("Signer"), "opinion": _l("Opinion"), "score": _l("Score"), "channel": _l("Channel"),
    "follow_up": _l("Follow-up"), "hold": _l("Hold"), "notice": _l("Notice number"), "topic": _l("Service"),
    "flags": _l("Flags"), "message": _l("Message"), "process": _l("Process"), "process_key": _l("Process"),
    "deployment": _l("Deployment"), "field": _l("Field"), "fields": _l("Fields"), "token": _l("Token"),
    "memberships": _l("Departments and roles"), "roles": _l("Roles"), "error": _l("Error"), "year": _l("Year"),
    "source": _l("Source"), "holidays": _l("Days off"), "workdays": _l("Working weekend days"),
    "effective": _l("Effective"), "format": _l("Format"), "entries": _l("Entries"), "masked": _l("Masked"),
    "moved": _l("Moved"), "steps": _l("Steps"), "retention_years": _l("Retention (years)"), "size": _l("Size"),
    "attachment": _l("Attachment"), "document": _l("Document"), "what": _l("What"), "label": _l("Label"),
    "value": _l("Value"), "before": _l("Before"), "after": _l("After"), "mapping": _l("Steps mapped"),
    "expires_at": _l("Expires"), "times": _l("Times"), "case": _l("Case"), "sent_back_by": _l("Sent back by"),
    "sent_back_from": _l("Sent back from"), "to_user": _l("To"),
    "replaced": _l("Replaced"), "next": _l("Next"), "row": _l("Row"), "first": _l("First version"),
    "ended_at": _l("Ended"), "redacted": _l("Entries redacted"), "decided": _l("Decided"),
    "by_department": _l("Urging department"),
    "position": _l("Signing order"), "traces": _l("Cases"), "events": _l("Events"),
    "day": _l("Date"), "working": _l("make-up working day"),
    "delegated_by": _l("Delegated by"), "delegation_ended": _l("Delegation ended (委派结束); it was delegated by"), "delegate": _l("Delegate (受委派人)"),
}
# A key that means something else in one kind of entry: a signer's decision is not a rule table, an upload's
# kind is the kind of material
EVENT_LABELS = {"task_signed": {"decision": _l("Signer's decision")},
                "attachment_added": {"kind": _l("Material")}}
SIGNING = {"agree": _l("Agree"), "disagree": _l("Disagree"),  # a signer's decision, an added signer's order
           "before": _l("Signs before the holder"), "after": _l("Signs after the holder")}
# Kept in the record, shown elsewhere or meaningless to a reader: the submitted data (the case page), element
# ids (their names are shown), the decision's inputs and rows (the case page), content hashes (the export).
HIDDEN = {"data", "element", "element_id", "task_element", "to_element", "inputs", "outputs", "rules", "hash",
          "content_hash", "sha256", "id", "payload", "first", "topic",  # topic: the service's code; the event names it
          "reopened",  # the id of the step a send-back opened again
          "attachment",  # an attachment's internal number (its file is named)
          "inquiry"}  # the call a called 函询's milestone belongs to (an internal id; the figures pair by it)
PEOPLE = {"user", "principal", "deputy", "signer", "by", "to_user", "holder", "delegated_by", "sent_back_by",
          "delegation_ended", "delegate"}
DEPARTMENTS = {"department", "departments", "to_department", "parent", "unit", "addressee", "by_department"}
MOMENTS = {"due", "until", "effective", "ended_at", "expires_at"}
CODES = {"role", "kind", "basis", "channel", "format", "hit_policy", "reason", "notify", "document"}  # engine words, translated
# The order a reader expects: which step, then from whom to whom, then the rest as recorded, the typed reason last
# (the record's keys are stored sorted, which puts 理由 before 环节)
FIRST = ("task", "from", "to", "to_user", "signer")
LAST = ("note", "reason", "opinion")


class Reader:
    """Reads the details of a page of entries, loading each process version's model once."""

    def __init__(self, entries: list[AuditEntry]) -> None:
        ids = {e.case_id for e in entries if e.case_id}
        self.models: dict[int, ProcessModel] = {}
        self.versions: dict[int, int] = {}  # case id → its process version (whose names in English are read)
        self.names: dict[str, str] = {}
        with runtime().db.read() as session:
            pairs = session.execute(select(Case.id, Case.definition_id).where(Case.id.in_(ids))).all() if ids else []
            for case_id, definition_id in pairs:
                self.models[case_id] = runtime().model(session, definition_id)
                self.versions[case_id] = definition_id
            self.names = {key: localized.process(key, name) for key, name in
                          session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name)).all()}

    def read(self, entry: AuditEntry, details: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, text) pairs for one entry."""
        model, version = self.models.get(entry.case_id), self.versions.get(entry.case_id)
        out = []
        if "milestone" in details and details.get("element"):
            out.append((_("Milestone"), milestone_name(model, details, version)))
        for key, value in sorted(_named(details).items(), key=_place):
            if key in HIDDEN or key == "milestone" or (key == "decision" and "name" in details):
                continue
            if value is None or value == "" or value == [] or value == {}:
                continue
            label = EVENT_LABELS.get(entry.event, {}).get(key) or LABELS.get(key)
            out.append((str(label) if label else key, self.text(model, key, value, details, version)))
        # a reason typed as a sentence ends in 。; the list's own ； follows it, not both
        return [(label, text.rstrip("。；") if i < len(out) - 1 else text) for i, (label, text) in enumerate(out)]

    def text(self, model: ProcessModel | None, key: str, value: Any, details: dict, version: int | None = None) -> str:
        if key in PEOPLE and isinstance(value, str):
            return person(value)
        if key in ("task", "timer") and isinstance(value, str) and model is not None:  # recorded in Chinese
            element = details.get("element") or self._element_named(model, value)
            return localized.step(model.process_key, element, value, version) if element else value
        if key in ("from", "to") and isinstance(value, str) and not value[:1].isdigit():  # a person, not a date
            return person(value)
        if key in ("decision", "position") and value in SIGNING:
            return str(SIGNING[value])
        if key == "size" and isinstance(value, int) and not isinstance(value, bool):
            return size_text(value)
        if key == "threshold" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return threshold_text(value, details.get("kind"))
        if key == "rule" and isinstance(value, int) and not isinstance(value, bool):
            return _("No. %(number)s", number=value)
        if key == "format" and isinstance(value, str):
            return value.upper()  # XES, CSV: a file format's own name
        if key == "kind" and isinstance(value, str) and model is not None:
            named = self._option(model, value, version)  # a material's kind, as the process's data terms name it
            if named:
                return named
        if key == "to" and isinstance(value, list):  # 抄送: departments and people
            return _join([self._department_or_person(v) for v in value])
        if key in DEPARTMENTS or (key == "notify" and isinstance(value, list)):
            return _join([self._department_or_code(v) for v in _listed(value)])
        if key == "notify" and isinstance(value, str):
            return self._department_or_code(value)
        if key in MOMENTS and isinstance(value, str):
            return due(_moment(value)) if key == "due" else value_text(value)
        if key in ("process", "process_key") and isinstance(value, str):
            return self.names.get(value, value)
        if key == "outcome" and isinstance(value, str):
            return outcome_name(model, value, version)
        if key == "flags" and isinstance(value, list) and model is not None:  # codes the process's data terms name
            return _join([self._option(model, str(v), version) or _code(str(v)) for v in value])
        if key == "category" and isinstance(value, str):
            return self._option(model, value, version) or _code(value)
        if key == "message" and isinstance(value, str):
            return self._element(model, details.get("element"), version) or _code(value)
        if key == "field" and isinstance(value, str) and model is not None:
            return _terms(model, version).label(value)
        if key == "fields" and isinstance(value, list) and model is not None:
            return _join([_terms(model, version).label(v) if isinstance(v, str) else value_text(v) for v in value])
        if key == "role" and isinstance(value, str):  # a department's head by its title, as on the other pages
            return role_label(value, details.get("department") if isinstance(details.get("department"), str) else None)
        if key in CODES and isinstance(value, str):
            return _code(value)
        if key == "memberships" and isinstance(value, dict):
            return _join([f"{department_name(d)} · {role_label(r, d)}" for d, r in value.items()])
        if key == "roles" and isinstance(value, list):
            return _join([role_label(r) for r in value])
        if isinstance(value, dict):
            return semicolon().join(f"{LABELS.get(k, k)}{colon()}{value_text(v)}" for k, v in _named(value).items())
        return value_text(value)

    def _department_or_code(self, value: Any) -> str:
        if not isinstance(value, str):
            return value_text(value)
        name = department_name(value)
        return name if name != value else _code(value)

    def _department_or_person(self, value: Any) -> str:
        if not isinstance(value, str):
            return value_text(value)
        name = department_name(value)
        return name if name != value else person(value)

    @staticmethod
    def _option(model: ProcessModel | None, value: str, version: int | None = None) -> str | None:
        """An option's name for a code, as the process's forms and data declarations name it."""
        for term in (_terms(model, version).terms.values() if model is not None else ()):
            names = dict(term.options)
            if value in names:
                return names[value]
        return None

    @staticmethod
    def _element_named(model: ProcessModel, name: str) -> str | None:
        """The element a step's recorded name names, for entries that recorded the name alone (data_read, case_copied)."""
        for spec in [model.spec, *model.subprocess_specs.values()]:
            for element, task in spec.task_specs.items():
                if getattr(task, "bpmn_name", None) == name:
                    return element
        return None

    @staticmethod
    def _element(model: ProcessModel | None, element: str | None, version: int | None = None) -> str | None:
        """A BPMN element's name (a step, an event) in the case's process or a process it calls."""
        if model is None or not element:
            return None
        for spec in [model.spec, *model.subprocess_specs.values()]:
            task = spec.task_specs.get(element)
            if task is not None and getattr(task, "bpmn_name", None):
                return localized.step(model.process_key, element, task.bpmn_name, version)
        return None


def milestone_name(model: ProcessModel | None, details: dict, version: int | None = None) -> str:
    """The milestone an entry records, as the process names the element that marks it (并联核验, 结果公示), else
    as its code (accepted) in the user's language."""
    return Reader._element(model, details.get("element"), version) or _code(str(details.get("milestone", "")))


def _terms(model: ProcessModel, version: int | None):
    """The process's data dictionary in the reader's language."""
    return localized.glossary(model.glossary, model.process_key, version)


def outcome_name(model: ProcessModel | None, code: str, version: int | None = None) -> str:
    """An outcome code in the words of its process: the option that names it in a form (录取), else the name of the
    end event that states it (逾期未补正，不予受理), else the code in the user's language."""
    named = Reader._option(model, code, version)
    if named:
        return named
    for info in (model.milestones.values() if model is not None else ()):
        if info.outcome == code:
            name = Reader._element(model, info.element_id, version)
            if name:
                return name
    return _code(code)


def outcome_names(session, rows: list[dict]) -> dict[tuple[str, str], str]:
    """(process, outcome code) → its words, for rows with `process_key` and `outcome` (the newest version's words)."""
    wanted = {(r["process_key"], r["outcome"]) for r in rows if r.get("outcome")}
    models = {}
    for process in {pair[0] for pair in wanted}:
        newest = session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == process)
                                 .order_by(ProcessDefinition.version.desc()).limit(1)).scalar()
        models[process] = (runtime().model(session, newest), newest) if newest else (None, None)
    return {(p, code): outcome_name(models[p][0], code, models[p][1]) for p, code in wanted}


def size_text(size: int) -> str:
    """A file's size as a person reads it: 339 B, 12.5 KB, 3.1 MB."""
    if size < 1024:
        return _("%(size)s B", size=size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=f"{size / 1024:.1f}")
    return _("%(size)s MB", size=f"{size / 1024 / 1024:.1f}")


def threshold_text(value: float, kind: Any) -> str:
    """An alert rule's threshold with its unit: a share of the time limit (sla) in %, else working days."""
    number = f"{value:g}"
    return _("%(n)s %%", n=number) if kind == "sla" else _("%(n)s working days", n=number)  # 80 %, in Chinese 80%


def _place(item: tuple[str, Any]) -> int:
    """Where a recorded key is shown among an entry's details (sorted() keeps the recorded order otherwise)."""
    key = item[0]
    if key in FIRST:
        return FIRST.index(key) - len(FIRST)
    return LAST.index(key) + 1 if key in LAST else 0


def _code(value: str) -> str:
    """An engine word (a role, an alert's kind, a channel) in the user's language, if it has a translation."""
    return _(value)


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _join(parts: list[str]) -> str:
    return listed(p for p in parts if p) or EMPTY


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def readable(entries: list[AuditEntry], details: dict[int, dict]) -> dict[int, list[tuple[str, str]]]:
    """Each entry's details as (label, text) pairs, by entry number."""
    reader = Reader(entries)
    return {e.seq: reader.read(e, details[e.seq]) for e in entries}


def _named(value: dict) -> dict:
    """A rule table's record names it once, in the reader's language: its English name (name_en) stands in for the
    Chinese name for English readers and is left out for Chinese readers."""
    if "name_en" not in value:
        return value
    english = value.get("name_en")
    return {k: (english if k == "name" and english and localized.english() else v)
            for k, v in value.items() if k != "name_en"}
