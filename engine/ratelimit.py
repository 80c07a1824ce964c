"""Rate limits that hold across processes and machines: a sliding-window counter per key in the database.

Each key counts its requests per minute in a row (`rate_windows`); a request is allowed while the current
minute's count plus the previous minute's, weighted by how much of it still lies in the last sixty seconds,
stays within the limit. The count is taken with one atomic upsert, so two processes racing on the same key
never let more through than the limit; a refused request is taken back. Old minutes are purged hourly.
"""
from __future__ import annotations

import time

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from .models_office import RateWindow

_TAKE = text("INSERT INTO rate_windows (bucket, slot, hits) VALUES (:bucket, :slot, 1) "
             "ON CONFLICT (bucket, slot) DO UPDATE SET hits = rate_windows.hits + 1 RETURNING hits")
_BEFORE = text("SELECT hits FROM rate_windows WHERE bucket = :bucket AND slot = :slot")
_GIVE_BACK = text("UPDATE rate_windows SET hits = hits - 1 WHERE bucket = :bucket AND slot = :slot")


def take(session: Session, bucket: str, per_minute: int, now: float | None = None) -> tuple[bool, float]:
    """Count one request for `bucket`: (allowed, seconds until one would be allowed again)."""
    now = time.time() if now is None else now
    slot, into = int(now // 60), (now % 60) / 60
    current = session.execute(_TAKE, {"bucket": bucket, "slot": slot}).scalar_one()
    before = session.execute(_BEFORE, {"bucket": bucket, "slot": slot - 1}).scalar() or 0
    if before * (1 - into) + current <= per_minute:
        return True, 0.0
    session.execute(_GIVE_BACK, {"bucket": bucket, "slot": slot})
    if current > per_minute or before == 0:  # this minute alone is full: wait for the next one
        return False, 60 * (1 - into)
    # the previous minute's weight must fall until one more fits: before * (1 - x) + current - 1 < per_minute
    until = 1 - (per_minute - current + 1) / before
    return False, max(60 * (until - into), 1.0)


def purge(session: Session, now: float | None = None) -> int:
    """Forget the minutes no limit looks at any more."""
    now = time.time() if now is None else now
    return session.execute(delete(RateWindow).where(RateWindow.slot < int(now // 60) - 2)).rowcount
