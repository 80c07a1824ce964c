"""Process-mining export of the case histories: IEEE XES 1849 (concept, time, lifecycle, org) and CSV event
logs with pm4py's column names, written while they are read (memory stays flat for any size of log).

One trace per case (concept:name = business key); one event per audit entry of the case. Task events
carry the step's name, the XES lifecycle transition (schedule, assign, reassign, withdraw, complete …),
the person (org:resource) and the department (org:group). No case data and no personal data of
applicants is exported; exports are recorded in the audit log by the caller.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterator
from xml.sax.saxutils import quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, wallclock
from .models import AuditEntry, Case

TRANSITIONS = {"task_ready": "schedule", "task_claimed": "assign", "task_reassigned": "reassign",
               "task_released": "reassign", "task_completed": "complete", "task_cancelled": "withdraw",
               "task_transferred": "reassign", "task_sent_back": "ate_abort", "task_withdrawn": "withdraw"}
# actions on a step that are no lifecycle transition of it: each its own activity ("sign:复核", …)
_ACTIONS = {"task_urged": "urge", "task_signed": "sign", "signer_added": "add_signer", "signer_removed": "remove_signer",
            "sent_for_signature": "submit_for_signature"}
CASE_BATCH = 500
CSV_COLUMNS = ["case:concept:name", "case:process", "concept:name", "lifecycle:transition", "time:timestamp",
               "org:resource", "org:group", "event"]


@dataclass(frozen=True)
class Selection:
    """Which cases go into a log: one process (or all) and cases started within [start, end)."""

    process: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass
class Counts:
    traces: int = 0
    events: int = 0


def _case_batches(session: Session, selection: Selection, tz) -> Iterator[list[tuple[int, str, str]]]:
    last = 0
    while True:
        stmt = select(Case.id, Case.business_key, Case.process_key).where(Case.id > last)
        if selection.process:
            stmt = stmt.where(Case.process_key == selection.process)
        if selection.start:
            stmt = stmt.where(Case.started_at >= datetime.combine(selection.start, time(0), tz))
        if selection.end:
            stmt = stmt.where(Case.started_at < datetime.combine(selection.end, time(0), tz))
        batch = session.execute(stmt.order_by(Case.id).limit(CASE_BATCH)).all()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _activity(event: str, details: dict) -> str:
    if _ACTIONS.get(event) and details.get("task"):
        return f"{_ACTIONS[event]}:{details['task']}"
    if event.startswith("task_") and details.get("task"):
        return str(details["task"])
    if event == "milestone":
        return f"milestone:{details.get('milestone')}"
    if event in ("timer_fired", "reminder", "escalation"):
        return f"{event}:{details.get('timer') or details.get('element') or ''}".rstrip(":")
    if event == "message_received":
        return f"message:{details.get('message')}"
    return event


def events(session: Session, selection: Selection, tz) -> Iterator[tuple[str, str, list[dict]]]:
    """(business key, process, events) per case, in case order; each event a dict of XES attributes."""
    for batch in _case_batches(session, selection, tz):
        keys = {case_id: (key, process) for case_id, key, process in batch}
        rows = session.execute(select(AuditEntry.case_id, AuditEntry.at, AuditEntry.actor, AuditEntry.department,
                                      AuditEntry.event, AuditEntry.details)
                               .where(AuditEntry.case_id.in_(list(keys))).order_by(AuditEntry.case_id, AuditEntry.seq))
        current, trace = None, []
        for case_id, at, actor, department, event, details in rows:
            if case_id != current:
                if current is not None:
                    yield (*keys[current], trace)
                current, trace = case_id, []
            parsed = json.loads(details) if event.startswith("task_") or event in _ACTIONS or event in (
                "milestone", "timer_fired", "reminder", "escalation", "message_received") else {}
            moment = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
            trace.append({"concept:name": _activity(event, parsed), "lifecycle:transition": TRANSITIONS.get(event, "complete"),
                          "time:timestamp": moment.astimezone(tz).isoformat(timespec="milliseconds"),
                          "org:resource": actor, "org:group": department or "", "event": event})
        if current is not None:
            yield (*keys[current], trace)


_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <global scope="trace"><string key="concept:name" value="UNKNOWN"/></global>
  <global scope="event">
    <string key="concept:name" value="UNKNOWN"/><string key="lifecycle:transition" value="complete"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>
  <string key="concept:name" value="JointReview"/>
"""


def _text(value: str) -> str:
    return quoteattr("".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 0x20))


def xes(session: Session, selection: Selection, tz, counts: Counts | None = None) -> Iterator[str]:
    """The log as XES text, piece by piece."""
    counts = counts if counts is not None else Counts()
    yield _HEAD
    for key, process, trace in events(session, selection, tz):
        counts.traces += 1
        counts.events += len(trace)
        parts = [f'  <trace>\n    <string key="concept:name" value={_text(key)}/>\n'
                 f'    <string key="process" value={_text(process)}/>\n']
        for event in trace:
            parts.append("    <event>"
                         f'<string key="concept:name" value={_text(event["concept:name"])}/>'
                         f'<string key="lifecycle:transition" value="{event["lifecycle:transition"]}"/>'
                         f'<date key="time:timestamp" value="{event["time:timestamp"]}"/>'
                         f'<string key="org:resource" value={_text(event["org:resource"])}/>'
                         f'<string key="org:group" value={_text(event["org:group"])}/>'
                         f'<string key="jointreview:event" value={_text(event["event"])}/>'
                         "</event>\n")
        parts.append("  </trace>\n")
        yield "".join(parts)
    yield "</log>\n"


def csv_log(session: Session, selection: Selection, tz, counts: Counts | None = None) -> Iterator[str]:
    """The log as CSV with pm4py's column names (case:concept:name, concept:name, time:timestamp …)."""
    counts = counts if counts is not None else Counts()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for key, process, trace in events(session, selection, tz):
        counts.traces += 1
        counts.events += len(trace)
        buffer.seek(0)
        buffer.truncate()
        for event in trace:
            writer.writerow([key, process, *(event[c] for c in CSV_COLUMNS[2:])])
        yield buffer.getvalue()


def record_export(session: Session, actor: str, kind: str, selection: Selection, counts: Counts | None = None) -> None:
    """An event-log export goes into the audit log: who, which cases and, when known, how much."""
    details: dict = {"format": kind, "process": selection.process,
                     "from": selection.start.isoformat() if selection.start else None,
                     "to": selection.end.isoformat() if selection.end else None}
    if counts is not None:
        details.update(traces=counts.traces, events=counts.events)
    audit.append(session, [audit.Event("event_log_exported", actor, details)], wallclock.now())
