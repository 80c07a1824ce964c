"""What an operator watches: readiness (database, schema, worker) and the gauges behind /metrics (open and
overdue steps by department, timer lag, the mail outbox, worker heartbeats), and a hook through which the
engine reports how long each operation on a case took."""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from . import heartbeats, wallclock
from .db import Database
from .models import Case, MailOut, Task

_observers: list[Callable[[str, float], None]] = []


def on_operation(observer: Callable[[str, float], None]) -> None:
    """Call `observer(kind, seconds)` after every operation on a case (kind: its first event, e.g.
    task_completed, case_started, message_received; `timers` for a timer round)."""
    if observer not in _observers:
        _observers.append(observer)


def operation(kind: str, seconds: float) -> None:
    for observer in _observers:
        observer(kind, seconds)


def readiness(db: Database, now: datetime | None = None) -> tuple[bool, dict[str, str]]:
    """Whether this process should take traffic: the database answers, its schema is current and (unless
    JOINTREVIEW_READY_WITHOUT_WORKER=1) a worker beat recently. Every check is named in the answer."""
    checks: dict[str, str] = {}
    try:
        with db.read() as session:
            session.execute(text("SELECT 1"))
            alive = heartbeats.alive(session, now)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
        checks["database"] = f"unreachable ({type(exc).__name__})"
        return False, checks
    try:
        checks["schema"] = "current" if db.schema_current() else "behind: run jointreview init-db"
    except Exception as exc:  # noqa: BLE001
        checks["schema"] = f"unknown ({type(exc).__name__})"
    if os.environ.get("JOINTREVIEW_READY_WITHOUT_WORKER") == "1":
        checks["worker"] = "not required"
    else:
        checks["worker"] = f"{len(alive)} alive" if alive else "none alive: start jointreview worker"
    ready = checks["schema"] == "current" and bool(alive or checks["worker"] == "not required")
    return ready, checks


def gauges(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The figures an operator graphs, read now (a few indexed queries)."""
    now = now or wallclock.now()
    open_steps = dict(session.execute(select(Task.department_code, func.count()).where(Task.state == "open")
                                      .group_by(Task.department_code)).all())
    overdue = dict(session.execute(select(Task.department_code, func.count()).where(Task.state == "open",
                                                                                   Task.due_at < now)
                                   .group_by(Task.department_code)).all())
    oldest_due = session.execute(select(func.min(Case.next_due_at)).where(Case.status == "running")).scalar()
    if oldest_due is not None and oldest_due.tzinfo is None:
        oldest_due = oldest_due.replace(tzinfo=timezone.utc)
    backlog = session.execute(select(func.count()).select_from(MailOut).where(MailOut.sent_at.is_(None),
                                                                             MailOut.failed_at.is_(None))).scalar()
    workers = {w.name: max((now - heartbeats._aware(w.beat_at)).total_seconds(), 0.0) for w in heartbeats.listed(session)}
    return {"open_steps": open_steps, "overdue_steps": overdue,
            "timer_lag_seconds": max((now - oldest_due).total_seconds(), 0.0) if oldest_due else 0.0,
            "outbox_backlog": backlog or 0, "worker_heartbeat_age_seconds": workers}


class Timer:
    """Times one operation for the observers (used by steps.advance)."""

    __slots__ = ("kind", "began")

    def __init__(self, kind: str) -> None:
        self.kind, self.began = kind, time.perf_counter()

    def __enter__(self) -> "Timer":
        return self

    def __exit__(self, *_exc) -> None:
        if _observers:
            operation(self.kind, time.perf_counter() - self.began)
