"""Shared rule tables and their co-sign (政策细则协同确认).

A DMN decision that several departments apply names them with the extension property `applied_by` (department
codes or names, comma separated; checked at deploy):

    <decision id="admission_points" name="…">
      <extensionElements><camunda:properties>
        <camunda:property name="applied_by" value="EDU,PSB,HRSS,HUD" /></camunda:properties></extensionElements>

The first deploy of such a table makes it version 1, active. A later deploy that changes it does not change what
cases use: the version becomes *proposed*, the deploy goes on with the active version in its place, and a
co-sign case (of the process the installed workflows provide, `rt.rule_cosign`: workflows/rule_confirmation.py,
with SLAs and reminders like any case) asks the head of every listed department to co-sign, showing the change row
by row. When all have signed, the version takes effect on its effective date: it becomes active and the processes that use it are deployed again with it, so new cases
use it and cases started before keep the version they started on. A refusal (with its reason) leaves the active
version as it was and goes back to whoever proposed it. One proposal per table at a time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, notices, wallclock
from .bpmnxml import local_name
from .calendar import WorkCalendar
from .decisions import digest
from .errors import Conflict, EngineError, InvalidInput
from .lint_messages import M
from .models import Case, DeploymentFile, ProcessDefinition, Task
from .models_office import RuleVersion
from .routing import Actor
from .rule_names import TableName, cited

ACTOR = Actor.system("rules")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Shared:
    """A decision of a deployed file that departments share."""

    decision: str
    name: str  # a TableName (its English name too) where read from a file
    filename: str
    departments: tuple[str, ...]


def _properties(node) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in node.xpath(
        "./*[local-name()='extensionElements']//*[local-name()='property']")}


def applied_by(value: str) -> list[str]:
    """The departments an `applied_by` property lists (codes or names, separated by commas or 、)."""
    return [part.strip() for part in value.replace("，", ",").replace("、", ",").split(",") if part.strip()]


def shared_in(name: str, content: bytes | str, every: bool = False) -> list[Shared]:
    """The shared decisions of one DMN file (those with `applied_by`; with `every`, the others too, with no
    departments)."""
    try:
        root = etree.fromstring(content.encode("utf-8") if isinstance(content, str) else content, _PARSER)
    except etree.XMLSyntaxError:
        return []
    out = []
    for node in root.iter():
        if local_name(node) == "decision" and (every or "applied_by" in _properties(node)):
            decision, properties = node.get("id") or "", _properties(node)
            table = TableName(node.get("name") or decision, decision, properties.get("name:en", ""))
            out.append(Shared(decision, table, name, tuple(applied_by(properties.get("applied_by", "")))))
    return out


def tables_of(session: Session, definition: ProcessDefinition) -> list[tuple[str, str]]:
    """(name, file) of each decision in a deployed version's DMN files, file by file: what a person reads for the
    rule tables a case uses (a file whose decisions cannot be read stands under its own name)."""
    files = [name for name in definition.files.splitlines() if name.endswith(".dmn")]
    if not files:
        return []
    digests = dict(session.execute(select(DeploymentFile.filename, DeploymentFile.sha256).where(
        DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.filename.in_(files))).all())
    known = {name: _TABLES.get((name, digests.get(name))) for name in files}
    missing = [name for name, tables in known.items() if tables is None]
    if missing:  # a file is parsed once per process and content (its digest)
        texts = dict(session.execute(select(DeploymentFile.filename, DeploymentFile.content).where(
            DeploymentFile.deployment_id == definition.deployment_id, DeploymentFile.filename.in_(missing))).all())
        if len(_TABLES) > 1000:
            _TABLES.clear()
        for name in missing:
            found = shared_in(name, texts.get(name, ""), every=True) or [Shared("", name, name, ())]
            known[name] = _TABLES[(name, digests.get(name))] = [(d.name, d.filename) for d in found]
    return [table for name in files for table in known[name]]


_TABLES: dict[tuple[str, str | None], list[tuple[str, str]]] = {}  # (file, digest) → its decisions' (name, file)


def problems(root, resolve) -> list[tuple[object, str]]:
    """Why the `applied_by` properties of a DMN file cannot be used: (element, message) pairs."""
    out = []
    decisions = [n for n in root.iter() if local_name(n) == "decision"]
    for node in decisions:
        value = _properties(node).get("applied_by")
        if value is not None and len(decisions) > 1:
            out.append((node, M("shared_only_decision")))
        if value is None:
            continue
        listed = applied_by(value)
        if len(listed) < 1:
            out.append((node, M("applied_by_empty")))
        for item in listed:
            if resolve(item) is None:
                out.append((node, M("applied_by_unknown", value=item)))
    return out


def effective_moment(calendar: WorkCalendar, value: str | date | None) -> datetime | None:
    """When a co-signed version takes effect: a date (or YYYY-MM-DD) as the start of that day in the office's zone;
    none given means as soon as every department has signed."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"the effective date {text!r} is not a date (YYYY-MM-DD)",
                               {"effective": text}) from None
    if value is None:
        return None
    return datetime(value.year, value.month, value.day, tzinfo=calendar.tz)


def active_version(session: Session, decision: str) -> RuleVersion | None:
    return session.execute(select(RuleVersion).where(RuleVersion.decision == decision, RuleVersion.status == "active")
                           ).scalar_one_or_none()


def _pending(session: Session, decision: str) -> RuleVersion | None:
    return session.execute(select(RuleVersion).where(RuleVersion.decision == decision, RuleVersion.status == "proposed")
                           ).scalar_one_or_none()


@dataclass
class Held:
    """What a deploy does with the shared tables it carries."""

    files: dict[str, bytes]  # the files to deploy: changed shared tables replaced by their active version
    proposed: list[RuleVersion]


def hold_back(session: Session, directory, actor: Actor, files: dict[str, bytes], note: str,
              effective_at: datetime | None, text_of) -> Held:
    """Register the shared tables of a deploy: new ones become active, changed ones proposed (the active version
    is deployed in their place). `text_of` turns a file's bytes into its stored text; `directory` resolves the
    departments."""
    out, proposed, now = dict(files), [], wallclock.now()
    events = []
    for name, content in sorted(files.items()):
        if not name.endswith(".dmn"):
            continue
        text = text_of(content)
        for table in shared_in(name, text, every=True):
            active = active_version(session, table.decision)
            if not table.departments and active is None:
                continue  # a table nobody shares
            # a table once shared stays so: a version that drops applied_by is co-signed by those it named
            listed = table.departments or tuple(active.departments.split(","))
            codes = ",".join(directory.resolve(d) or d for d in listed)
            if active is not None and active.content_hash == digest(text):
                continue
            if active is None:
                session.add(RuleVersion(decision=table.decision, filename=name, version=1, content=text,
                                        content_hash=digest(text), departments=codes, status="active",
                                        proposed_by=actor.username, proposed_at=now, note=note, decided_at=now))
                events.append(audit.Event("rule_version_activated", actor.username, {
                    "decision": table.decision, "version": 1, "hash": digest(text), "first": True}))
                continue
            pending = _pending(session, table.decision)
            if pending is not None:
                if pending.content_hash == digest(text):
                    out[name] = active.content.encode("utf-8")
                    continue
                raise Conflict.coded("rule_pending", file=name, rule_table=table.name, version=pending.version,
                                     key=pending.case_key)
            number = session.execute(select(func.max(RuleVersion.version))
                                     .where(RuleVersion.decision == table.decision)).scalar_one() + 1
            row = RuleVersion(decision=table.decision, filename=name, version=number, content=text,
                              content_hash=digest(text), departments=codes, status="proposed",
                              proposed_by=actor.username, proposed_at=now, note=note, effective_at=effective_at)
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # another deploy proposed a version of this table at the same moment
                raise Conflict(f"{name}: another change of {table.decision} was proposed at the same moment; "
                               "run the deploy again") from None
            proposed.append(row)
            out[name] = active.content.encode("utf-8")
            events.append(audit.Event("rule_version_proposed", actor.username, {
                "decision": table.decision, "version": number, "hash": digest(text), "departments": codes,
                "effective": effective_at.isoformat() if effective_at else None, "note": note}))
    session.flush()
    audit.append(session, events, now)
    return Held(out, proposed)


def changes(session: Session, files: dict[str, bytes]) -> list[tuple[Shared, int]]:
    """The shared tables a set of files would change: (the table, its active version), for a deploy's preview."""
    out = []
    for name, content in sorted(files.items()):
        if not name.endswith(".dmn"):
            continue
        text = content.decode("utf-8", "replace")
        for table in shared_in(name, text, every=True):
            active = active_version(session, table.decision)
            if active is not None and active.content_hash != digest(text):
                out.append((table if table.departments else Shared(table.decision, table.name, name, tuple(
                    active.departments.split(","))), active.version))
    return out


def start_cosign(session: Session, rt, actor: Actor, row: RuleVersion) -> None:
    """Start the co-sign case of a proposed version with the process the installed workflows provide
    (`rt.rule_cosign`); without one a changed shared table cannot be deployed."""
    if rt.rule_cosign is None:
        raise EngineError(f"{row.filename}: the shared table {row.decision} changed and needs the co-sign of "
                          f"{row.departments}, but no co-sign process is installed; nothing was deployed")
    row.case_key = rt.rule_cosign(session, rt, actor, row)


def activate(session: Session, rt, row: RuleVersion, now: datetime) -> list:
    """Make a co-signed version the active one and deploy the processes that use its file again with it."""
    from . import repository  # deploying builds on the case operations, which build on this module's callers

    if row.status != "proposed":
        raise EngineError(f"{row.decision} v{row.version} is {row.status}; only a proposed version can take effect")
    old = active_version(session, row.decision)
    if old is not None:
        old.status = "superseded"
    row.status, row.decided_at = "active", now
    session.flush()
    audit.append(session, [audit.Event("rule_version_activated", ACTOR.username, {
        "decision": row.decision, "version": row.version, "hash": row.content_hash, "case": row.case_key})], now)
    deployed = []
    for process_key, files in repository.newest_using(session, row.filename):
        files[row.filename] = row.content.encode("utf-8")
        deployed += repository.deploy(session, rt, ACTOR, files, only={process_key},
                                      note=f"{cited(table_name(row))}第{row.version}版经会签生效（{row.case_key}）")
    return deployed


def refuse(session: Session, row: RuleVersion, reasons: list[str], now: datetime) -> None:
    """A department refused: the version stays out, and the one who proposed it is told why."""
    row.status, row.decided_at, row.reason = "refused", now, "；".join(reasons)[:2000]
    name = table_name(row)
    session.flush()
    audit.append(session, [audit.Event("rule_version_refused", ACTOR.username, {
        "decision": row.decision, "version": row.version, "reasons": reasons, "case": row.case_key})], now)
    notices.notify(session, [row.proposed_by], "rule_refused", row.case_key, None,
                   {"decision": row.decision, "table": str(name), "table_en": name.english, "version": row.version,
                    "reason": row.reason}, now)


def table_name(row: RuleVersion) -> TableName:
    """The name of a version's table: its DMN decision's name (its id when the file gives none), with its English
    name."""
    return next((t.name for t in shared_in(row.filename, row.content, every=True) if t.decision == row.decision),
                TableName(row.decision, row.decision))


def current_name(session: Session, decision: str) -> TableName | None:
    """A shared table's name as its version in force names it (its newest version's when none is), e.g. for a
    notice that kept only the table's id; None for an id no version has."""
    row = session.execute(select(RuleVersion).where(RuleVersion.decision == decision).order_by(
        case((RuleVersion.status == "active", 0), else_=1), RuleVersion.version.desc()).limit(1)).scalar_one_or_none()
    return table_name(row) if row is not None else None


@dataclass(frozen=True)
class Status:
    decision: str
    name: str  # the table's name (its DMN decision's), as messages cite it
    filename: str
    departments: list[str]
    active: int | None
    proposed: int | None
    case_key: str | None
    signed: list[str]
    waiting: list[str]
    effective_at: datetime | None


def status(session: Session) -> list[Status]:
    """Every shared table: its active version, a proposed one and who has and has not signed it."""
    out = []
    decisions = session.execute(select(RuleVersion.decision).distinct().order_by(RuleVersion.decision)).scalars().all()
    for decision in decisions:
        active, pending = active_version(session, decision), _pending(session, decision)
        listed = (pending or active).departments.split(",") if (pending or active) else []
        waiting: list[str] = []
        if pending is not None and pending.case_key:
            waiting = sorted(session.execute(select(Task.department_code).join(Case, Case.id == Task.case_id).where(
                Case.business_key == pending.case_key, Task.state == "open")).scalars().unique())
        signed = [d for d in listed if d not in waiting] if pending is not None and pending.case_key else []
        shown = pending or active
        out.append(Status(decision, table_name(shown) if shown else decision, shown.filename if shown else "", listed,
                          active.version if active else None,
                          pending.version if pending else None, pending.case_key if pending else None, signed,
                          waiting, pending.effective_at if pending else None))
    return out


def version_of(session: Session, row_id: int) -> RuleVersion:
    row = session.get(RuleVersion, row_id)
    if row is None:
        raise EngineError(f"no rule version #{row_id}")
    return row
