"""How far a reader of the audit log has come (the figures' facts, the notices): one row per reader in
kpi_progress, held for the transaction so that two workers never read the same entries twice. A duty that rewrites
tables whole (the monthly sums) holds a row of its own the same way, so that two workers take turns at it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import KpiProgress


def held(session: Session, name: str) -> KpiProgress:
    """The watermark `name`, locked for this transaction on PostgreSQL (SQLite has one writer). Migration 0015
    starts each at the log's end; a database emptied since starts again at 0, and of two workers making it at
    once, the second reads the first's."""
    stmt = select(KpiProgress).where(KpiProgress.name == name)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    mark = session.execute(stmt).scalar_one_or_none()
    if mark is None:
        try:
            with session.begin_nested():
                session.add(KpiProgress(name=name, seq=0))
        except IntegrityError:  # another worker made it just now
            pass
        mark = session.execute(stmt).scalar_one()
    return mark


def take_turns(session: Session, duty: str) -> None:
    """Wait until no other worker's transaction does `duty`, and keep the others waiting until this one ends."""
    held(session, duty)
