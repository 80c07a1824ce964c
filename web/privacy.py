"""Tiered access to case data: other departments' findings stay hidden, personal data is masked for
reviewers, and revealing a masked value is recorded in the audit log."""
from __future__ import annotations

import json
from typing import Any

from flask import current_app, g, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, wallclock
from engine.cases import BUSINESS_KEY, current_data
from engine.cases import load as load_case
from engine.glossary import Glossary
from engine.models import AuditEntry, Case
from engine.rule_names import TableName
from engine.routing import Actor
from workflows import idcards

from . import localized
from .i18n import department_name
from .names import ISO_MOMENT, colon, semicolon, separator, value_text

def linked(terms: Glossary, key: str, value: Any, may_open=None) -> Any:
    """On a page (`may_open`: whether the reader may open the case of a business key), a value that names another case
    (a `case_key` field) as a link to that case's page if the reader may open it; others, and for the API every
    value, as they are."""
    term = terms.terms.get(key)
    if may_open is None or term is None or not term.case_key or not isinstance(value, str) \
            or not BUSINESS_KEY.fullmatch(value.strip()) or not may_open(value.strip().upper()):
        return value
    return Markup('<a href="{}">{}</a>').format(url_for("cases.show", key=value.strip().upper()), value)


def glossary_of(case: Case, element_id: str | None = None) -> Glossary:
    """The data dictionary of a case's process version and the processes it calls, read from its BPMN; for a
    step (`element_id`) inside a called process (a 函询), only what that process declares: a department
    answering an inquiry sees the inquiry, not the case's whole file."""
    rt = current_app.extensions["jointreview"]
    with rt.db.read() as session_:
        model = rt.model(session_, case.definition_id)
    pid = model.process_key if element_id is None else model.process_of(element_id)
    found = model.glossary if pid == model.process_key else model.glossaries.get(pid) or Glossary()
    return localized.glossary(found, model.process_key, case.definition_id)


def mask(kind: str | None, value: Any) -> str:
    """`110105********1234`, `138****8000`, `6222********4567`, `王**`."""
    text = str(value or "")
    if kind == "id":
        return idcards.mask(text)
    if kind == "name":
        return text[:1] + "*" * (len(text) - 1)
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:] if kind == "phone" else text[:4] + "*" * (len(text) - 8) + text[-4:]


def scrubbed(value: Any) -> Any:
    """A value typed as free text with the ID numbers written into it masked (other values as they are)."""
    if isinstance(value, str):
        return idcards.mask_in_text(value)
    if isinstance(value, list):
        return [scrubbed(v) for v in value]
    return value


def may_see_unmasked(actor: Actor) -> bool:
    """Supervisors, heads and auditors see personal data in full without asking."""
    return "auditor" in actor.roles or any(r in ("supervisor", "head") for r in actor.departments.values())


def readable(terms: Glossary, key: str, value: Any, unmasked: bool = True) -> Any:
    """A value as a civil servant reads it: option names, yes/no, and a record (a called process's answers, a
    message from outside) as label：value pairs, personal values in it masked unless `unmasked`."""
    if isinstance(value, bool):  # a yes/no answer by the name its form gives it (通过 / 不通过), else yes / no
        named = terms.terms[key].reads(value) if key in terms.terms else value
        return named if isinstance(named, str) else (_("Yes") if value else _("No"))
    if is_table(value):  # rows to read as a table (a rule table's change, row by row)
        return value
    if is_files(value):  # documents kept with an answer: by their names
        return [str(v["file"]) for v in value]
    if isinstance(value, dict):
        def shown(k: str, v: Any) -> str:
            kind = terms.personal(k)
            if unmasked:
                return _flat(readable(terms, k, v))
            return mask(kind, v) if kind else scrubbed(_flat(readable(terms, k, v)))
        return semicolon().join(f"{terms.label(k)}{colon()}{shown(k, v)}" for k, v in value.items()
                        if not _blank(v) and not isinstance(v, dict) and k in terms.terms)
    term = terms.terms.get(key)
    if term and term.department_code and isinstance(value, str):
        return department_name(value)
    if term and term.department_code and isinstance(value, list):
        return [department_name(v) if isinstance(v, str) else v for v in value]
    return moments_read(term.reads(value) if term else value)


def moments_read(value: Any) -> Any:
    """A stored moment (an ISO string) as a date people read, a whole amount without its .0; other values as they
    are."""
    if isinstance(value, str) and ISO_MOMENT.match(value):
        return value_text(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def decision_view(record, terms: Glossary, actor: Actor | None = None) -> dict[str, Any]:
    """A decision record as a person reads it: what was decided, by which table version and rows, on which inputs.
    For staff (`actor`), an input that is another department's 背靠背 finding is left out and personal data masked,
    as everywhere; the applicant (no actor) reads their own."""
    full = actor is None or may_see_unmasked(actor)

    def text(name: str, value: Any) -> str:
        if value is None or value == []:
            return "—"
        kind = terms.personal(name)
        if kind and not full:
            return mask(kind, value)
        return _flat([readable(terms, name, v) for v in value] if isinstance(value, list) else readable(terms, name, value))
    d = record.details
    name = TableName(d.get("name", ""), d.get("decision", ""), d.get("name_en", ""))
    return dict(decision=d.get("decision", ""), name=name, task=d.get("task", ""), element=d.get("element"),
                process=d.get("process"), at=record.at,
                version=record.version, current=record.current_version, hash=(d.get("hash") or "")[:12],
                rows=record.rows, changes=record.changes, outputs=[(o["label"], text(o["name"], o["value"])) for o in d.get("outputs", [])],
                inputs=[(i["label"], text(i["expression"], i["value"])) for i in d.get("inputs", [])
                        if actor is None or not hidden_from(terms, i["expression"], actor)])


def is_files(value: Any) -> bool:
    """The documents kept with a step's answer, as the answer lists them: [{"id": 7, "file": "x.pdf"}, …]."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and set(v) == {"id", "file"}
                                                           for v in value)


def is_table(value: Any) -> bool:
    """A value the pages show as a table: {"columns": [...], "rows": [[...], ...]}."""
    return (isinstance(value, dict) and set(value) == {"columns", "rows"} and isinstance(value["columns"], list)
            and isinstance(value["rows"], list) and all(isinstance(r, list) for r in value["rows"]))


def _flat(value: Any) -> str:
    return separator().join(str(v) for v in value) if isinstance(value, list) else str(value)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def hidden_from(terms: Glossary, key: str, actor: Actor) -> bool:
    """Another department's 背靠背 finding, which this user may not see (the one rule for every page and the API)."""
    return terms.hidden_from(key, actor.departments, "auditor" in actor.roles)


def personal_shown(shown: list[dict[str, Any]]) -> list[str]:
    """The personal fields shown in full (their reading is recorded in the audit log)."""
    return [item["key"] for item in shown if item["personal"] and not item["masked"]]


def visible_data(data: dict[str, Any], actor: Actor, business_key: str, terms: Glossary,
                 revealed: set[str] | None = None, here: str | None = None, may_open=None) -> list[dict[str, Any]]:
    """The labelled case data this user may see, in the order the process declares it (values the process does
    not name stay hidden), with personal data masked unless revealed (by default: what this browser session
    revealed). A finding recorded by a department other than `here` (the step's own) is labelled with its name."""
    if revealed is None:
        revealed = set(session.get("revealed", {}).get(business_key, []))
    full, out = may_see_unmasked(actor), []
    for key, term in terms.terms.items():
        value = data.get(key)
        if _blank(value) or hidden_from(terms, key, actor):
            continue
        kind = term.personal
        masked = bool(kind) and not full and key not in revealed
        shown = mask(kind, value) if masked else readable(terms, key, value, full)
        if not full and not kind and not is_table(shown):  # an ID number typed into free text is masked too
            shown = scrubbed(shown)
        if _blank(shown):
            continue
        label = term.label if term.department in (None, here) else f"{department_name(term.department)} · {term.label}"
        out.append(dict(key=key, label=label, value=linked(terms, key, shown, may_open), masked=masked, personal=bool(kind),
                        department=term.department, table=is_table(shown)))
    return out


def shown_with_form(data: dict[str, Any], actor: Actor, terms: Glossary,
                    paths: tuple[str, ...]) -> list[dict[str, Any]]:
    """What a step decides on (its `shows` property: data fields, or `record.field` for a field of a called process's
    answers, e.g. an inquiry's answer), read-only and masked as on the rest of the page; fields without a value, and
    another department's 背靠背 findings, are left out."""
    full, out = may_see_unmasked(actor), []
    for path in paths:
        key, _dot, inner = path.partition(".")
        value = data.get(key)
        if inner:
            value = value.get(inner) if isinstance(value, dict) else None
        if _blank(value) or hidden_from(terms, key, actor):
            continue
        name = inner or key
        kind = terms.personal(name)
        shown = mask(kind, value) if kind and not full else readable(terms, name, value, full)
        label = f"{terms.label(key)} · {terms.label(inner)}" if inner else terms.label(key)
        out.append(dict(key=path, label=label, value=shown if full or kind else scrubbed(shown),
                        files=value if is_files(value) else None))
    return out


def mask_values(data: dict[str, Any], actor: Actor, terms: Glossary) -> dict[str, Any]:
    """Submitted data with personal values masked for those who may not see them in full (API answers)."""
    return dict(data) if may_see_unmasked(actor) else _masked(data, terms)


def _masked(data: dict[str, Any], terms: Glossary) -> dict[str, Any]:
    return {k: mask(terms.personal(k), v) if terms.personal(k) and v not in (None, "") else scrubbed(v)
            for k, v in data.items()}


def masked_details(details: dict[str, Any], actor: Actor, business_key: str, terms: Glossary,
                   may_open=None) -> list[tuple[str, Any]]:
    """Submitted data of a timeline entry as (label, value) pairs, personal data masked as on task pages;
    values the process does not name (working values of scripts) are left out, so no raw field name shows."""
    data = details.get("data") or {}
    revealed = set(session.get("revealed", {}).get(business_key, []))
    full, out = may_see_unmasked(actor), []
    for key, value in data.items():
        if key not in terms.terms or hidden_from(terms, key, actor) or _blank(value):
            continue
        kind = terms.personal(key)
        if kind and not full and key not in revealed:
            value = mask(kind, value)
        else:
            value = readable(terms, key, value, full)
            value = value if full or kind else scrubbed(value)
        if isinstance(value, list):
            value = semicolon().join(str(v) for v in value)
        out.append((terms.label(key), linked(terms, key, value, may_open)))
    return out


def masked_text(text: str, data: dict[str, Any], actor: Actor, terms: Glossary) -> str:
    """Words the engine wrote about a case (why it failed: `invalid literal for int(): '11010519850615003X'`) with the
    case's personal values masked in them, for readers who see those values masked everywhere else."""
    if may_see_unmasked(actor):
        return text
    for key, value in data.items():
        kind = terms.personal(key)
        if kind and isinstance(value, (str, int)) and not isinstance(value, bool) and len(str(value).strip()) > 1:
            text = text.replace(str(value), mask(kind, value))
    return text


def masked_error(error: str | None, case: Case, actor: Actor, data: dict[str, Any] | None = None,
                 terms: Glossary | None = None, db_session: Session | None = None) -> str | None:
    """Why a case failed (`error`, the engine's words), masked as masked_text does for this reader: the one rule of
    the case page and the API. `data` and `terms` when the caller has them at hand; else the case's current data is
    read (in `db_session` when given: the caller's own transaction may just have failed the case)."""
    if not error:
        return None
    if may_see_unmasked(actor):  # masked_text would say so too, without the case being loaded first
        return error
    if data is None:
        rt = current_app.extensions["jointreview"]
        if case.purged_at is not None:
            data = {}
        elif db_session is not None:
            data = current_data(load_case(db_session, rt, case))
        else:
            with rt.db.read() as own:
                data = current_data(load_case(own, rt, case))
    return masked_text(error, data, actor, terms or glossary_of(case))


def mask_details_json(details: str, actor: Actor, terms: Glossary) -> str:
    """An audit entry's stored details with personal values masked, for readers without the auditor role."""
    if "auditor" in actor.roles:
        return details
    try:
        parsed = json.loads(details)
    except ValueError:
        return details
    if isinstance(parsed.get("data"), dict):
        parsed["data"] = _masked(parsed["data"], terms)
        return json.dumps(parsed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return details


def glossaries_of(entries: list[AuditEntry]) -> dict[int | None, Glossary]:
    """Each entry's case's data dictionary, by case id (an entry without a case gets an empty one)."""
    known = g.setdefault("glossaries", {None: Glossary()})  # by case id, for this request
    ids = {e.case_id for e in entries if e.case_id is not None} - set(known)
    if ids:
        rt = current_app.extensions["jointreview"]
        with rt.db.read() as session_:
            for case_id, definition_id in session_.execute(select(Case.id, Case.definition_id).where(Case.id.in_(ids))):
                model = rt.model(session_, definition_id)
                known[case_id] = localized.glossary(model.glossary, model.process_key, definition_id)
    return known


def exported_entries(entries: list[AuditEntry], actor: Actor) -> list[AuditEntry]:
    """Audit entries as a bulk export shows them: in full for auditors; with personal values masked for
    others (their hashes then no longer match: checking the chain from an export needs the auditor role)."""
    if "auditor" in actor.roles:
        return entries
    columns = [c.name for c in AuditEntry.__table__.columns]
    terms = glossaries_of(entries)
    return [AuditEntry(**{c: getattr(e, c) for c in columns if c != "details"},
                       details=mask_details_json(e.details, actor, terms.get(e.case_id, terms[None])))
            for e in entries]


def record_export(actor: Actor, what: str, count: int) -> None:
    """Every bulk export of the audit log is itself recorded."""
    with current_app.extensions["jointreview"].db.write() as session_:
        audit.append(session_, [audit.Event("audit_exported", actor.username,
                                            {"what": what, "entries": count, "masked": "auditor" not in actor.roles})],
                     wallclock.now())
