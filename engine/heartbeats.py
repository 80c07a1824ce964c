"""Worker heartbeats: each worker process says every few seconds that it is alive, and takes its word back
when it stops; readiness (/readyz) and the metrics read them."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from . import wallclock
from .models_office import WorkerHeartbeat

EVERY = timedelta(seconds=5)
STALE_AFTER = timedelta(seconds=int(os.environ.get("JOINTREVIEW_WORKER_STALE_SECONDS", "30")))
_BEAT = text("INSERT INTO worker_heartbeats (name, host, pid, started_at, beat_at) "
             "VALUES (:name, :host, :pid, :now, :now) ON CONFLICT (name) DO UPDATE SET host = :host, pid = :pid, "
             "beat_at = :now")


def _now() -> datetime:
    return wallclock.now()


def identity(name: str) -> str:
    """This process's worker name: the name it was given, its host and its process id."""
    return f"{name}@{socket.gethostname()}:{os.getpid()}"[:100]


def beat(session: Session, name: str, now: datetime | None = None) -> None:
    """This worker is alive now."""
    session.execute(_BEAT, {"name": identity(name), "host": socket.gethostname()[:255], "pid": os.getpid(),
                            "now": now or _now()})


def stop(session: Session, name: str) -> None:
    """This worker stops: it is no longer counted as alive."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == identity(name)))


def purge(session: Session, now: datetime | None = None) -> int:
    """Forget workers silent for a day (killed ones leave their last beat behind)."""
    return session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < (now or _now()) - timedelta(days=1))
                           ).rowcount


def listed(session: Session) -> list[WorkerHeartbeat]:
    return list(session.execute(select(WorkerHeartbeat).order_by(WorkerHeartbeat.name)).scalars())


def alive(session: Session, now: datetime | None = None) -> list[WorkerHeartbeat]:
    """The workers that beat within STALE_AFTER."""
    now = now or _now()
    return [w for w in listed(session) if _aware(w.beat_at) >= now - STALE_AFTER]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
