"""Hot-path statements as plain SQL, one text for SQLite and PostgreSQL.

Building SQLAlchemy statements and running them through the ORM costs far more than the database
work itself (measured: ~80 % of a task completion). The few statements every completion runs are
therefore kept here as SQL text with named parameters and executed as driver SQL on the session's
connection, in the session's transaction. Everything else uses SQLAlchemy as usual.
"""
from __future__ import annotations

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
        " t.signing"
        " FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.id = :id"),
    "task": ("SELECT t.id, t.case_id, t.name, t.element_id, t.department_code, t.role, t.state, t.assignee,"
             " c.business_key, t.delegated_by, t.signing FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.id = :id"),
    "case_by_id": "SELECT id, business_key, definition_id, status, state, version, visited FROM cases WHERE id = :id",
    "update_case": (
        "UPDATE cases SET state = :state, status = :status, version = :new_version, next_due_at = :next_due_at,"
        " updated_at = :now, summary = :summary, error = :error, ended_at = :ended_at, visited = :visited"
        " WHERE id = :id AND version = :version"),
    "close_task": (
        "UPDATE tasks SET state = :state, closed_at = :now, completed_by = :completed_by,"
        " assignee = COALESCE(:completed_by, assignee), data = :data WHERE id = :id"),
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
    connection = session.connection()
    dialect = connection.dialect.name
    text = _text(name, dialect, lock)
    cursor = connection.connection.cursor()
    if isinstance(params, dict):
        cursor.execute(text, _adapt(params, dialect))
    else:
        cursor.executemany(text, [_adapt(p, dialect) for p in params])
    _count(session)
    return Result(cursor)


def _count(session: Session) -> None:
    counts = session.info.get("counts")
    if counts is not None:
        counts.statements += 1


_TASK_COLUMNS = ("id", "case_id", "process_key", "element_id", "name", "lane", "department_code", "role", "state",
                 "assignee", "priority", "created_at", "due_at", "follow_up_at")
_AUDIT_COLUMNS = (("seq", "bigint"), ("at", "timestamptz"), ("actor", "text"), ("department", "text"),
                  ("case_id", "bigint"), ("business_key", "text"), ("task_id", "text"), ("event", "text"),
                  ("details", "text"), ("prev_hash", "text"), ("hash", "text"))


def persist_postgres(session: Session, case: dict[str, Any], closing: list[dict], inserts: list[dict],
                     audit_rows: list[dict], head: tuple[int, int, str] | None) -> tuple[int, bool]:
    """PostgreSQL: every write of one step in a single statement (data-modifying CTEs), one round trip.

    The audit entries are written only if the chain head is still at the expected entry (head =
    (expected seq, new seq, new hash)); the second value returned says whether they were. Returns the
    number of case rows updated (0 when the case version moved on).
    """
    params: dict[str, Any] = {f"c_{k}": v for k, v in case.items()}
    parts = ["c AS (UPDATE cases SET state = %(c_state)s, status = %(c_status)s, version = %(c_new_version)s,"
             " next_due_at = %(c_next_due_at)s, updated_at = %(c_now)s, summary = %(c_summary)s, error = %(c_error)s,"
             " ended_at = %(c_ended_at)s, visited = %(c_visited)s WHERE id = %(c_id)s AND version = %(c_version)s"
             " RETURNING 1)"]
    for i, row in enumerate(closing):
        params.update({f"t{i}_{k}": v for k, v in row.items()})
        parts.append(f"t{i} AS (UPDATE tasks SET state = %(t{i}_state)s, closed_at = %(t{i}_now)s,"
                     f" completed_by = %(t{i}_completed_by)s, assignee = COALESCE(%(t{i}_completed_by)s, assignee),"
                     f" data = %(t{i}_data)s WHERE id = %(t{i}_id)s)")
    if inserts:
        values = []
        for i, row in enumerate(inserts):
            params.update({f"i{i}_{k}": row[k] for k in _TASK_COLUMNS})
            values.append("(" + ", ".join(f"%(i{i}_{k})s" for k in _TASK_COLUMNS) + ")")
        parts.append(f"i AS (INSERT INTO tasks ({', '.join(_TASK_COLUMNS)}) VALUES {', '.join(values)})")
    written = "false"
    if audit_rows and head is not None:
        expected, new_seq, new_hash = head
        params.update({"h_expected": expected, "h_seq": new_seq, "h_hash": new_hash})
        parts.append("h AS (UPDATE audit_head SET seq = %(h_seq)s, hash = %(h_hash)s"
                     " WHERE id = 1 AND seq = %(h_expected)s RETURNING 1)")
        values = []
        for i, row in enumerate(audit_rows):
            params.update({f"a{i}_{k}": row[k] for k, _ in _AUDIT_COLUMNS})
            values.append("(" + ", ".join(f"%(a{i}_{k})s::{t}" for k, t in _AUDIT_COLUMNS) + ")")
        names = ", ".join(k for k, _ in _AUDIT_COLUMNS)
        parts.append(f"a AS (INSERT INTO audit_log ({names}) SELECT * FROM (VALUES {', '.join(values)}) AS v({names})"
                     " WHERE EXISTS (SELECT 1 FROM h))")
        written = "EXISTS (SELECT 1 FROM h)"
    text = "WITH " + ", ".join(parts) + f" SELECT (SELECT count(*) FROM c), {written}"
    cursor = session.connection().connection.cursor()
    cursor.execute(text, params)
    _count(session)
    row = cursor.fetchone()
    return row[0], bool(row[1])


def _adapt(params: dict[str, Any], dialect: str) -> dict[str, Any]:
    if dialect != "sqlite":
        return params
    out = dict(params)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = to_sqlite(value)
    return out


def to_sqlite(moment: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores: naive UTC with microseconds."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
