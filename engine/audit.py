"""Tamper-evident audit log: entries appended in the caller's transaction, each hashed onto the previous."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import sql
from .errors import Message, catalogue
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
MESSAGES = catalogue({  # why a chain check failed, said of the first bad entry
    "audit_missing": "entries #{first}–#{last} are missing (deleted or reordered)",
    "audit_backwards": "the sequence goes backwards (deleted or reordered)",
    "audit_link": "its link to the previous entry is wrong (an entry before it was deleted, inserted or reordered)",
    "audit_redacted_details": "it is marked redacted but still has details",
    "audit_edited": "its content was edited after it was written",
    "audit_unrecorded_purge": "its details were removed without a recorded purge (no case_purged entry lists it)",
    "audit_head": "the chain ends at #{last} but the head says #{head}: the newest entries were deleted",
})


def canonical(details: dict[str, Any]) -> str:
    """The exact text that is stored and hashed for an entry's details."""
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, department: str | None, case_id: int | None,
               business_key: str | None, task_id: str | None, event: str, details: str) -> str:
    """SHA-256 over every stored field of an entry and the previous entry's hash."""
    material = "\x1f".join([prev_hash, str(seq), at.isoformat(timespec="microseconds"), actor, department or "",
                            str(case_id or ""), business_key or "", task_id or "", event, details])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


EXPORT_COLUMNS = ("seq", "at", "actor", "department", "case_id", "business_key", "task_id", "event", "details",
                  "prev_hash", "hash", "redacted_at")
REDACTED = canonical({"redacted": True})  # the details of an entry whose case was purged (retention.py)


def export_row(entry: AuditEntry) -> dict[str, Any]:
    """An entry with every hashed field exactly as hashed (`at` with microseconds, `details` the stored
    text), so that the chain can be checked outside the system from an export alone."""
    return {"seq": entry.seq, "at": entry.at.isoformat(timespec="microseconds"), "actor": entry.actor,
            "department": entry.department, "case_id": entry.case_id, "business_key": entry.business_key,
            "task_id": entry.task_id, "event": entry.event, "details": entry.details, "prev_hash": entry.prev_hash,
            "hash": entry.hash, "redacted_at": entry.redacted_at.isoformat() if entry.redacted_at else None}


def csv_text(entries: Iterable[AuditEntry], headings: Sequence[str] = EXPORT_COLUMNS,
             extra: Sequence[tuple[str, Callable[[AuditEntry], str]]] = ()) -> str:
    """Entries as CSV with a BOM (spreadsheet programs then read the Chinese text right).

    `headings` may name the EXPORT_COLUMNS in the reader's language: the same columns in the same order, each
    value exactly as hashed. `extra` columns (a heading and what to write for an entry) follow them, to help a
    person read the entry; they are not part of what is hashed."""
    if len(headings) != len(EXPORT_COLUMNS):
        raise ValueError("one heading for each exported column")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*headings, *(heading for heading, _ in extra)])
    for entry in entries:
        row = export_row(entry)
        writer.writerow(["" if row[c] is None else row[c] for c in EXPORT_COLUMNS] + [cell(entry) for _, cell in extra])
    return "\ufeff" + out.getvalue()


@dataclass
class Event:
    """One change to be recorded."""

    event: str
    actor: str
    details: dict[str, Any] = field(default_factory=dict)
    department: str | None = None
    case_id: int | None = None
    business_key: str | None = None
    task_id: str | None = None


def append(session: Session, events: list[Event], at: datetime, head: tuple[int, str] | None = None) -> None:
    """Append events at the end of the chain; the head row lock keeps concurrent writers in one line.

    `head` is the (seq, hash) the caller read earlier in this transaction: the chain is advanced from it in one
    statement if the head is still there, and read again (locked) if it moved."""
    if not events:
        return
    if head is not None:
        rows, seq, prev = chain(events, at, *head)
        if sql.execute(session, "audit_head_advance", {"seq": seq, "hash": prev, "expected": head[0]}).rowcount == 1:
            sql.execute(session, "audit_insert", rows)
            return
    head = sql.execute(session, "audit_head", {}, lock=True).first()
    rows, seq, prev = chain(events, at, *(head if head else (0, GENESIS)))
    sql.execute(session, "audit_insert", rows)
    sql.execute(session, "audit_head_update" if head else "audit_head_insert", {"seq": seq, "hash": prev})


def chain(events: list[Event], at: datetime, seq: int, prev: str) -> tuple[list[dict], int, str]:
    """Rows for `events` chained after entry `seq` with hash `prev`; also the new head (seq, hash)."""
    rows = []
    for ev in events:
        seq += 1
        details = canonical(ev.details)
        digest = entry_hash(prev, seq, at, ev.actor, ev.department, ev.case_id, ev.business_key, ev.task_id, ev.event, details)
        rows.append(dict(seq=seq, at=at, actor=ev.actor, department=ev.department, case_id=ev.case_id,
                         business_key=ev.business_key, task_id=ev.task_id, event=ev.event, details=details,
                         prev_hash=prev, hash=digest))
        prev = digest
    return rows, seq, prev


@dataclass
class Verification:
    """Result of checking the chain: ok, entries checked, and the first bad entry with the reason."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} entries, hash chain verified"
        return f"audit log BROKEN at entry #{self.bad_seq}: {self.reason} ({self.checked} entries checked before it)"


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the chain in order; name the first entry that was edited, deleted, inserted or reordered.

    An entry whose details a purge removed (redacted) keeps its hash: its links are checked, and a later
    `case_purged` entry must list it; its own hash cannot be recomputed from content that is gone."""
    prev, expected, checked = GENESIS, 1, 0
    unrecorded: set[int] = set()  # redacted entries not yet listed by a case_purged entry
    for entry in _entries(session, batch):
        if entry.seq != expected:
            reason = Message("audit_missing", first=expected, last=entry.seq - 1) if entry.seq > expected \
                else Message("audit_backwards")
            return Verification(False, checked, expected, reason)
        if entry.prev_hash != prev:
            return Verification(False, checked, entry.seq, Message("audit_link"))
        if entry.redacted_at is not None:
            if entry.details != REDACTED:
                return Verification(False, checked, entry.seq, Message("audit_redacted_details"))
            unrecorded.add(entry.seq)
            prev, expected, checked = entry.hash, expected + 1, checked + 1
            continue
        digest = entry_hash(prev, entry.seq, entry.at, entry.actor, entry.department, entry.case_id,
                            entry.business_key, entry.task_id, entry.event, entry.details)
        if digest != entry.hash:
            return Verification(False, checked, entry.seq, Message("audit_edited"))
        if entry.event == "case_purged":
            for first, last in json.loads(entry.details).get("redacted", []):
                unrecorded.difference_update(range(first, last + 1))
        prev, expected, checked = entry.hash, expected + 1, checked + 1
    if unrecorded:
        return Verification(False, checked, min(unrecorded), Message("audit_unrecorded_purge"))
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    if head and (head.seq != expected - 1 or head.hash != prev):
        return Verification(False, checked, expected if head.seq >= expected else head.seq,
                            Message("audit_head", last=expected - 1, head=head.seq))
    return Verification(True, checked)


def _entries(session: Session, batch: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.execute(select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()
