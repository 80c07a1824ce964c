"""Process, step, form-field, data-field and option names in the reader's language: in English, the names the
designer wrote in the BPMN (`name:en`, `label:en`, `options:en`, `data:<field>:en`; engine/translations.py), else
the BPMN's own names. Read once
per request for each deployed version."""
from __future__ import annotations

from dataclasses import replace

from flask import g
from flask_babel import get_locale
from sqlalchemy import select

from engine import translations
from engine.errors import StepName
from engine.forms import FormField
from engine.glossary import Glossary
from engine.models import Case, ProcessDefinition

from .context import runtime


def english() -> bool:
    return str(get_locale()) == "en"


def _catalogs(process_key: str | None, definition_id: int | None) -> list[translations.Catalog]:
    """The catalogues of a version (or of a process's newest version), its own process's first."""
    cache = g.setdefault("jr_catalogs", {})
    key = (process_key, definition_id)
    if key not in cache:
        with runtime().db.read() as session:
            if definition_id is not None:
                definition = session.get(ProcessDefinition, definition_id)
            else:
                definition = session.execute(select(ProcessDefinition).where(ProcessDefinition.process_key == process_key)
                                             .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
            cache[key] = translations.own_first(session, definition, process_key)
    return cache[key]


def step(process_key: str, element_id: str, name: str, definition_id: int | None = None) -> str:
    """A step's (or an event's) name as the reader reads it."""
    if not english():
        return name
    return next((c.names[element_id] for c in _catalogs(process_key, definition_id) if element_id in c.names), name)


def step_named(name: StepName) -> str:
    """A step as an engine message names it (its BPMN name, with its process and element id) in the reader's
    language, as its case's version names it."""
    return step(name.process_key, name.element_id, str(name),
                name.definition_id if name.definition_id is not None else _version_of(name.case_id))


def step_of(task, definition_id: int | None = None) -> str:
    """An inbox row's step (a Task, or the engine's TaskRef) by its name in the reader's language, as its case's
    version names it (`definition_id`, the row's own, or its case's)."""
    if definition_id is None:
        definition_id = getattr(task, "definition_id", None)
    if definition_id is None:
        definition_id = _version_of(getattr(task, "case_id", None))
    return step(task.process_key, task.element_id, task.name, definition_id)


def _version_of(case_id: int | None) -> int | None:
    """The version (definition id) a case runs on, read once per request; None for no case."""
    if case_id is None or not english():
        return None
    versions = g.setdefault("jr_case_versions", {})
    if case_id not in versions:
        with runtime().db.read() as session:
            versions[case_id] = session.execute(select(Case.definition_id).where(Case.id == case_id)).scalar_one_or_none()
    return versions[case_id]


def process(process_key: str, name: str, definition_id: int | None = None) -> str:
    """A process's name as the reader reads it."""
    return step(process_key, process_key, name, definition_id)


def process_named(process_key: str) -> str:
    """A process known only by its key (an engine message's `process`) by its name in the reader's language, as its
    newest version names it; a key no version has stays as it is."""
    names = g.setdefault("jr_process_names", {})
    if process_key not in names:
        with runtime().db.read() as session:
            name = session.execute(select(ProcessDefinition.name).where(ProcessDefinition.process_key == process_key)
                                   .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
        names[process_key] = process(process_key, name) if name else process_key
    return names[process_key]


def form(fields: list[FormField], process_key: str, element_id: str, definition_id: int | None = None) -> list[FormField]:
    """A step's form with its labels and options in the reader's language (the values stay the same)."""
    if not english():
        return fields
    catalogs = _catalogs(process_key, definition_id)
    out = []
    for f in fields:
        label = next((c.labels[(element_id, f.id)] for c in catalogs if (element_id, f.id) in c.labels), f.label)
        options = [(oid, next((c.options[(element_id, f.id, oid)] for c in catalogs
                               if (element_id, f.id, oid) in c.options), name)) for oid, name in f.options]
        answers = {f"{a}_label": c.options[(element_id, f.id, a)] for a in ("true", "false") for c in reversed(catalogs)
                   if (element_id, f.id, a) in c.options}  # a decision's answers (its own process's names win)
        out.append(replace(f, label=label, options=options, properties={**f.properties, **answers}))
    return out


def options(process_key: str, field_id: str, names: dict[str, str], definition_id: int | None = None) -> dict[str, str]:
    """An enum field's option names (value → name, as the forms name them) in the reader's language: in English
    the forms' options:en (or the data field's), its own process's first."""
    if not english():
        return names
    found: dict[str, str] = {}
    for c in reversed(_catalogs(process_key, definition_id)):
        found.update({option: name for (_, field, option), name in c.options.items() if field == field_id})
        found.update({option: name for (field, option), name in c.values.items() if field == field_id})
    return {value: found.get(value, name) for value, name in names.items()}


def glossary(terms: Glossary, process_key: str, definition_id: int | None = None) -> Glossary:
    """A data dictionary with its fields' labels and options' names in the reader's language (what marks fields
    as personal or as another department's finding stays as it is)."""
    if not english():
        return terms
    cache = g.setdefault("jr_glossaries", {})
    key = (id(terms), process_key, definition_id)
    if key not in cache:
        catalogs = _catalogs(process_key, definition_id)

        def label(field: str, default: str) -> str:
            return next((c.fields[field] for c in catalogs if field in c.fields), default)

        def name(field: str, option: str, default: str) -> str:
            return next((c.values[(field, option)] for c in catalogs if (field, option) in c.values), default)

        cache[key] = Glossary({k: replace(t, label=label(k, t.label), options=tuple((o, name(k, o, n)) for o, n in t.options))
                               for k, t in terms.terms.items()}, terms.owner)
    return cache[key]


def register(app) -> None:
    app.jinja_env.globals.update(step_name=step, process_name=process)
