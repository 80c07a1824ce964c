"""Hot-path statements as plain SQL, one text for SQLite and PostgreSQL.

Building SQLAlchemy statements and running them through the ORM costs far more than the database
work itself (measured: ~80 % of a task completion). The few statements every completion runs are
therefore kept here as SQL text with named parameters and executed as driver SQL on the session's
connection, in the session's transaction. Everything else uses SQLAlchemy as usual.
"""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timezone
from typing import Any, Sequence

import psycopg
from sqlalchemy.orm import Session

IntegrityError = (sqlite3.IntegrityError, psycopg.IntegrityError)
"""Driver errors for a violated constraint (raised by statements run here)."""

_NAMED = re.compile(r"(?<!:):([a-z_]+)")

STATEMENTS: dict[str, str] = {
    "task_and_case": (
        "SELECT t.id, t.case_id, t.name, t.element_id, t.department_code, t.role, t.state, t.assignee,"
        " c.business_key, c.definition_id, c.status, c.state, c.version, c.visited,"
        " (SELECT seq FROM audit_head WHERE id = 1), (SELECT hash FROM audit_head WHERE id = 1), t.delegated_by,"
        " t.signing, c.next_due_at, t.draft_kind, t.process_key"
        " FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.id = :id"),
    "task": ("SELECT t.id, t.case_id, t.name, t.element_id, t.department_code, t.role, t.state, t.assignee,"
             " c.business_key, t.delegated_by, t.signing, t.draft_kind, t.process_key, c.definition_id"
             " FROM tasks t JOIN cases c ON c.id = t.case_id"
             " WHERE t.id = :id"),
    "case_by_id": ("SELECT id, business_key, definition_id, status, state, version, visited, next_due_at FROM cases"
                   " WHERE id = :id"),
    "update_case": (
        "UPDATE cases SET state = :state, status = :status, version = :new_version, next_due_at = :next_due_at,"
        " updated_at = :now, summary = :summary, error = :error, ended_at = :ended_at, visited = :visited"
        " WHERE id = :id AND version = :version"),
    # SQLite rewrites the entries of every index on a column the SET list names, changed or not: a running case
    # that stays running, with the same next timer, leaves its status and timer columns out of the list
    "update_case_running": (
        "UPDATE cases SET state = :state, version = :new_version, updated_at = :now, summary = :summary,"
        " visited = :visited WHERE id = :id AND version = :version"),
    "update_case_running_due": (
        "UPDATE cases SET state = :state, version = :new_version, next_due_at = :next_due_at, updated_at = :now,"
        " summary = :summary, visited = :visited WHERE id = :id AND version = :version"),
    # a closed step keeps what was submitted, not what was typed on the way (暂存, a delegate's or a signer's draft)
    "close_task": (
        "UPDATE tasks SET state = :state, closed_at = :now, completed_by = :completed_by,"
        " assignee = COALESCE(:completed_by, assignee), data = :data, draft = NULL, draft_kind = NULL WHERE id = :id"),
    "lookup_delete": "DELETE FROM case_lookup WHERE case_id = :case_id",
    "lookup_delete_field": "DELETE FROM case_lookup WHERE case_id = :case_id AND field = :field",
    "lookup_insert": "INSERT INTO case_lookup (digest, case_id, field) VALUES (:digest, :case_id, :field)",
    "insert_task": (
        "INSERT INTO tasks (id, case_id, process_key, element_id, name, lane, department_code, role, state,"
        " assignee, priority, created_at, due_at, follow_up_at)"
        " VALUES (:id, :case_id, :process_key, :element_id, :name, :lane, :department_code, :role, :state,"
        " :assignee, :priority, :created_at, :due_at, :follow_up_at)"),
    "insert_case": (
        "INSERT INTO cases (business_key, definition_id, process_key, status, state, version, summary,"
        " started_by, started_at, updated_at) VALUES (:business_key, :definition_id, :process_key,"
        " 'running', '{}', 0, '{}', :started_by, :now, :now) ON CONFLICT (business_key) DO NOTHING RETURNING id"),
    "insert_numbered_case": (  # PostgreSQL: the next number of the key's counter and the case row, one round trip
        "WITH k AS (INSERT INTO key_sequences (prefix, last) VALUES (:prefix, 1)"
        " ON CONFLICT (prefix) DO UPDATE SET last = key_sequences.last + 1 RETURNING last)"
        " INSERT INTO cases (business_key, definition_id, process_key, status, state, version, summary, started_by,"
        " started_at, updated_at) SELECT :prefix || '-' || lpad(k.last::text, greatest(6, length(k.last::text)), '0'),"
        " :definition_id, :process_key, 'running', '{}', 0, '{}', :started_by, :now, :now FROM k"
        " ON CONFLICT (business_key) DO NOTHING RETURNING id, business_key"),
    "start_numbered_case": (  # PostgreSQL: the newest version, the next number, the case row and the chain head
        "WITH d AS (SELECT id, version FROM process_definitions WHERE process_key = :process_key"
        " ORDER BY version DESC LIMIT 1),"
        " k AS (INSERT INTO key_sequences (prefix, last) SELECT :prefix, 1 FROM d WHERE d.id = :expected"
        " ON CONFLICT (prefix) DO UPDATE SET last = key_sequences.last + 1 RETURNING last),"
        " c AS (INSERT INTO cases (business_key, definition_id, process_key, status, state, version, summary,"
        " started_by, started_at, updated_at) SELECT :prefix || '-' || lpad(k.last::text,"
        " greatest(6, length(k.last::text)), '0'), :expected, :process_key, 'running', '{}', 0, '{}', :started_by,"
        " :now, :now FROM k ON CONFLICT (business_key) DO NOTHING RETURNING id, business_key)"
        " SELECT d.id, d.version, (SELECT seq FROM audit_head WHERE id = 1), (SELECT hash FROM audit_head WHERE id = 1),"
        " (SELECT id FROM c), (SELECT business_key FROM c) FROM d"),
    "latest_definition": ("SELECT id, version, (SELECT seq FROM audit_head WHERE id = 1),"
                          " (SELECT hash FROM audit_head WHERE id = 1) FROM process_definitions"
                          " WHERE process_key = :process_key ORDER BY version DESC LIMIT 1"),
    "next_key": (
        "INSERT INTO key_sequences (prefix, last) VALUES (:prefix, 1)"
        " ON CONFLICT (prefix) DO UPDATE SET last = key_sequences.last + 1 RETURNING last"),
    "audit_head": "SELECT seq, hash FROM audit_head WHERE id = 1",
    "audit_insert": (
        "INSERT INTO audit_log (seq, at, actor, department, case_id, business_key, task_id, event, details,"
        " prev_hash, hash) VALUES (:seq, :at, :actor, :department, :case_id, :business_key, :task_id, :event,"
        " :details, :prev_hash, :hash)"),
    "audit_head_update": "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1",
    "audit_head_advance": "UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1 AND seq = :expected",
    "audit_head_insert": "INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)",
}

_LOCKING = {"task_and_case": " FOR UPDATE OF c, t", "case_by_id": " FOR UPDATE", "audit_head": " FOR UPDATE"}
_CACHE: dict[tuple[str, str, bool], str] = {}


def _text(name: str, dialect: str, lock: bool) -> str:
    key = (name, dialect, lock)
    found = _CACHE.get(key)
    if found is None:
        found = STATEMENTS[name] + (_LOCKING.get(name, "") if lock and dialect == "postgresql" else "")
        if dialect == "postgresql":
            found = _NAMED.sub(r"%(\1)s", found)
        _CACHE[key] = found
    return found


class Result:
    """The little of a DB-API cursor that callers need."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor
        self.rowcount = cursor.rowcount

    def first(self):
        return self.cursor.fetchone() if self.cursor.description else None

    def scalar_one(self):
        row = self.first()
        if row is None:
            raise LookupError("statement returned no row")
        return row[0]


def execute(session: Session, name: str, params: dict[str, Any] | Sequence[dict[str, Any]], lock: bool = False) -> Result:
    """Run a named statement on the driver cursor of the session's transaction (a list runs executemany).

    The DB-API cursor is used directly: SQLAlchemy's per-statement bookkeeping costs more than SQLite's
    work. The statement is still counted in the database's statistics.
    """
    driver, dialect = _driver(session)
    text = _text(name, dialect, lock)
    cursor = driver.cursor()
    if isinstance(params, dict):
        cursor.execute(text, _adapt(params, dialect))
    else:
        cursor.executemany(text, [_adapt(p, dialect) for p in params])
    _count(session)
    return Result(cursor)


def _driver(session: Session):
    """The driver connection of the session's transaction and its dialect name, looked up once per transaction
    (asking the session each time costs more than a SQLite statement)."""
    transaction = session.get_transaction()
    known = session.info.get("jr_driver")
    if transaction is not None and known is not None and known[0] is transaction:
        return known[1], known[2]
    connection = session.connection()
    found = connection.connection, connection.dialect.name
    session.info["jr_driver"] = (session.get_transaction(), *found)
    return found


def dialect(session: Session) -> str:
    """The name of the database the session's transaction runs on ("sqlite" or "postgresql")."""
    return _driver(session)[1]


def _count(session: Session) -> None:
    counts = session.info.get("counts")
    if counts is not None:
        counts.statements += 1


_TASK_COLUMNS = (("id", "text"), ("case_id", "bigint"), ("process_key", "text"), ("element_id", "text"),
                 ("name", "text"), ("lane", "text"), ("department_code", "text"), ("role", "text"), ("state", "text"),
                 ("assignee", "text"), ("priority", "integer"), ("created_at", "timestamptz"),
                 ("due_at", "timestamptz"), ("follow_up_at", "timestamptz"))
_CLOSING_COLUMNS = (("id", "text"), ("state", "text"), ("now", "timestamptz"), ("completed_by", "text"),
                    ("data", "text"))
_LOOKUP_COLUMNS = (("digest", "text"), ("case_id", "bigint"), ("field", "text"))
_AUDIT_COLUMNS = (("seq", "bigint"), ("at", "timestamptz"), ("actor", "text"), ("department", "text"),
                  ("case_id", "bigint"), ("business_key", "text"), ("task_id", "text"), ("event", "text"),
                  ("details", "text"), ("prev_hash", "text"), ("hash", "text"))


def _records(name: str, columns: tuple[tuple[str, str], ...]) -> str:
    """The rows passed as one JSON parameter, as a table."""
    return f"jsonb_to_recordset(%({name})s::jsonb) AS x({', '.join(f'{c} {t}' for c, t in columns)})"


def _names(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(c for c, _ in columns)


PERSIST_POSTGRES = (
    "WITH c AS (UPDATE cases SET state = %(state)s, status = %(status)s, version = %(new_version)s,"
    " next_due_at = %(next_due_at)s, updated_at = %(now)s, summary = %(summary)s, error = %(error)s,"
    " ended_at = %(ended_at)s, visited = %(visited)s WHERE id = %(id)s AND version = %(version)s RETURNING 1),"
    " t AS (UPDATE tasks SET state = x.state, closed_at = x.now, completed_by = x.completed_by,"
    " assignee = COALESCE(x.completed_by, tasks.assignee), data = x.data, draft = NULL, draft_kind = NULL"
    f" FROM {_records('closing', _CLOSING_COLUMNS)} WHERE tasks.id = x.id AND tasks.id = ANY(%(closing_ids)s)),"
    f" i AS (INSERT INTO tasks ({_names(_TASK_COLUMNS)}) SELECT {_names(_TASK_COLUMNS)}"
    f" FROM {_records('inserts', _TASK_COLUMNS)}),"
    f" l AS (INSERT INTO case_lookup ({_names(_LOOKUP_COLUMNS)}) SELECT {_names(_LOOKUP_COLUMNS)}"
    f" FROM {_records('lookups', _LOOKUP_COLUMNS)}),"
    " h AS (UPDATE audit_head SET seq = %(head_seq)s, hash = %(head_hash)s"
    " WHERE id = 1 AND seq = %(head_expected)s RETURNING 1),"
    f" a AS (INSERT INTO audit_log ({_names(_AUDIT_COLUMNS)}) SELECT {_names(_AUDIT_COLUMNS)}"
    f" FROM {_records('audit', _AUDIT_COLUMNS)} WHERE EXISTS (SELECT 1 FROM h))"
    " SELECT (SELECT count(*) FROM c), EXISTS (SELECT 1 FROM h)")
"""One text whatever the step wrote (the rows go as JSON parameters): the driver parses it once and the server
plans it once per connection (a text that changed with the number of rows would be parsed and planned each time)."""


def persist_postgres(session: Session, case: dict[str, Any], closing: list[dict], inserts: list[dict],
                     audit_rows: list[dict], head: tuple[int, int, str] | None,
                     lookups: list[dict] | None = None) -> tuple[int, bool]:
    """PostgreSQL: every write of one step in a single statement (data-modifying CTEs), one round trip.
    `lookups` are case_lookup rows to insert (new ones only: a replaced field's rows are deleted before).

    The audit entries are written only if the chain head is still at the expected entry (head =
    (expected seq, new seq, new hash)); the second value returned says whether they were. Returns the
    number of case rows updated (0 when the case version moved on).
    """
    expected, new_seq, new_hash = head if head is not None and audit_rows else (-1, None, None)
    params = {**case, "closing": _json(closing), "closing_ids": [row["id"] for row in closing], "inserts": _json(inserts), "lookups": _json(lookups or []),
              "audit": _json(audit_rows), "head_seq": new_seq, "head_hash": new_hash, "head_expected": expected}
    cursor = _driver(session)[0].cursor()
    cursor.execute(PERSIST_POSTGRES, params)
    _count(session)
    row = cursor.fetchone()
    return row[0], bool(row[1])


def _json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=_moment)


def _moment(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()  # with its offset: the server reads back the same instant to the microsecond
    raise TypeError(f"{type(value).__name__} cannot be written")


def _adapt(params: dict[str, Any], dialect: str) -> dict[str, Any]:
    if dialect != "sqlite":
        return params
    out = dict(params)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = to_sqlite(value)
    return out


def same_moment(a: datetime | str | None, b: datetime | str | None) -> bool:
    """Whether two moments, each a datetime or as SQLite stores it (text), are the same instant (or both None)."""
    def stored(value):
        return to_sqlite(value) if isinstance(value, datetime) else value
    return stored(a) == stored(b)


def to_sqlite(moment: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores: naive UTC with microseconds."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
