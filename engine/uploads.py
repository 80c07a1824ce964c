"""Files a designer uploaded and checked, waiting to be deployed.

They live in the database, so that any web process can deploy what another one checked, and they do not
pile up: a set goes when it is deployed, when it is a day old, or when its designer has more than
`PER_USER` sets waiting (the oldest go first). Only the designer who uploaded a set can see or deploy it.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.orm import Session

from . import wallclock
from .models import DesignerUpload

KEEP = timedelta(days=1)
PER_USER = 20


def _now() -> datetime:
    return wallclock.now()


def stash(session: Session, username: str, files: dict[str, bytes], now: datetime | None = None) -> str:
    """Keep a checked set of files; returns the token that names it."""
    now = now or _now()
    purge(session, now)
    token = secrets.token_hex(16)
    for name, content in sorted(files.items()):
        session.add(DesignerUpload(token=token, username=username, name=name, content=content, created_at=now))
    session.flush()
    waiting = session.execute(select(DesignerUpload.token, DesignerUpload.created_at).where(
        DesignerUpload.username == username).distinct().order_by(DesignerUpload.created_at.desc(),
                                                                 DesignerUpload.token)).all()
    surplus = [t for t, _ in waiting[PER_USER:]]
    if surplus:
        session.execute(delete(DesignerUpload).where(DesignerUpload.token.in_(surplus)))
    return token


def files(session: Session, token: str, username: str, now: datetime | None = None) -> dict[str, bytes] | None:
    """The files of a waiting set, or None when there is no such set of this designer (or it expired)."""
    if len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        return None
    rows = session.execute(select(DesignerUpload.name, DesignerUpload.content).where(
        DesignerUpload.token == token, DesignerUpload.username == username,
        DesignerUpload.created_at > (now or _now()) - KEEP).order_by(DesignerUpload.name)).all()
    return {name: bytes(content) for name, content in rows} or None


def discard(session: Session, token: str) -> None:
    session.execute(delete(DesignerUpload).where(DesignerUpload.token == token))


def purge(session: Session, now: datetime | None = None) -> int:
    """Remove sets older than a day; returns how many files went."""
    return session.execute(delete(DesignerUpload).where(DesignerUpload.created_at <= (now or _now()) - KEEP)).rowcount


def waiting(session: Session) -> int:
    """How many sets wait."""
    return session.execute(select(func.count(distinct(DesignerUpload.token)))).scalar_one()
