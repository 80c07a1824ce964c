"""A new case's row: the process's newest version, the case number (ADM-2026-000123) and the audit chain's head.

On PostgreSQL a start with a generated number needs one round trip for all of it when the process's newest version
is the one this process saw last (a deploy elsewhere is noticed, and the start then goes the long way once).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from . import sql
from .definitions import ProcessModel
from .errors import Conflict, InvalidInput, Message, NotFound, catalogue
from .routing import Actor
from .runtime import Runtime

BUSINESS_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what a business key may be (given at a start, named in data)
MESSAGES = catalogue({
    "no_process_deployed": "no process {process!r} is deployed",
    "key_invalid": "invalid business key",
    "key_letters": "use 1 to 64 letters, digits, - or _",
    "key_taken": "a case with business key {key} already exists",
})


@dataclass
class NewCase:
    """The inserted case row and what the start goes on with."""

    case_id: int
    key: str
    definition_id: int
    version: int
    model: ProcessModel
    audit_head: tuple[int, str] | None


def insert(session: Session, rt: Runtime, actor: Actor, process_key: str, business_key: str | None,
           key_prefix: str | None, now: datetime) -> NewCase:
    """Insert the case row of a new case of the newest version of `process_key` (under `business_key`, or the
    next number of its prefix); NotFound when no version is deployed, Conflict when the key is taken."""
    if business_key is not None and not BUSINESS_KEY.fullmatch(business_key):
        raise InvalidInput(Message("key_invalid"), {"business_key": Message("key_letters")})
    guess = rt.newest_versions.get(process_key)
    if business_key is None and guess is not None and sql.dialect(session) == "postgresql":
        found = _insert_at_once(session, rt, actor, process_key, guess, key_prefix, now)
        if found is not None:
            return found
    definition = sql.execute(session, "latest_definition", {"process_key": process_key}).first()
    if definition is None:
        raise NotFound(Message("no_process_deployed", process=process_key))
    definition_id, version, head_seq, head_hash = definition
    rt.newest_versions[process_key] = definition_id
    model = rt.model(session, definition_id)
    if business_key is None:
        case_id, key = _insert_numbered(session, _prefix(model, key_prefix, process_key), definition_id, process_key,
                                        actor, now)
    else:
        case_id, key = _insert_case(session, business_key, definition_id, process_key, actor, now), business_key
    if case_id is None:
        raise Conflict(Message("key_taken", key=key))
    head = (head_seq, head_hash) if head_seq is not None else None
    return NewCase(case_id, key, definition_id, version, model, head)


def _insert_at_once(session: Session, rt: Runtime, actor: Actor, process_key: str, guess: int,
                    key_prefix: str | None, now: datetime) -> NewCase | None:
    """PostgreSQL: version, number, row and chain head in one statement, if `guess` is still the newest version
    (None otherwise, or when the number was taken by hand: the long way then)."""
    model = rt.model(session, guess)
    row = sql.execute(session, "start_numbered_case", {
        "process_key": process_key, "expected": guess, "prefix": _scope(_prefix(model, key_prefix, process_key), now),
        "started_by": actor.username, "now": now}).first()
    if row is None:
        return None  # no version deployed any more: the long way says so
    definition_id, version, head_seq, head_hash, case_id, key = row
    if definition_id != guess:
        rt.newest_versions[process_key] = definition_id
        return None
    if case_id is None:
        return None
    return NewCase(case_id, key, definition_id, version, model, (head_seq, head_hash) if head_seq is not None else None)


def _prefix(model: ProcessModel, key_prefix: str | None, process_key: str) -> str:
    if key_prefix or model.key_prefix:
        return key_prefix or model.key_prefix
    letters = "".join(ch for ch in process_key.upper() if ch.isalpha())
    return letters[:3] or "CASE"


def _insert_case(session: Session, key: str, definition_id: int, process_key: str, actor: Actor,
                 now: datetime) -> int | None:
    """Insert the case row; None when the business key is taken (no error, so the transaction goes on)."""
    row = sql.execute(session, "insert_case", {"business_key": key, "definition_id": definition_id,
                                               "process_key": process_key, "started_by": actor.username,
                                               "now": now}).first()
    return row[0] if row else None


def _insert_numbered(session: Session, prefix: str, definition_id: int, process_key: str, actor: Actor,
                     now: datetime) -> tuple[int, str]:
    """Insert the case row under the next free key of the prefix's counter (a number someone took by hand is
    skipped); on PostgreSQL the counter and the row are one statement."""
    while True:
        if sql.dialect(session) == "postgresql":
            row = sql.execute(session, "insert_numbered_case", {
                "prefix": _scope(prefix, now), "definition_id": definition_id, "process_key": process_key,
                "started_by": actor.username, "now": now}).first()
            if row is not None:
                return row[0], row[1]
            continue
        key = next_business_key(session, prefix, now)
        case_id = _insert_case(session, key, definition_id, process_key, actor, now)
        if case_id is not None:
            return case_id, key


def next_business_key(session: Session, prefix: str, now: datetime) -> str:
    """The next key such as ADM-2026-000123 (one counter per prefix and year, safe under concurrency)."""
    scope = _scope(prefix, now)
    value = sql.execute(session, "next_key", {"prefix": scope}).scalar_one()
    return f"{scope}-{value:06d}"


def _scope(prefix: str, now: datetime) -> str:
    """The counter a key is numbered by: one per prefix and year."""
    return f"{prefix}-{now.astimezone(timezone.utc).year}"
