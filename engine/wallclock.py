"""The engine's one clock: the wall clock in UTC, or a fixed moment inside `travel`.

`travel` lets demo data and imports of historical cases run every step "as of" a moment in the past:
timestamps, due dates, timers (their `has_fired` asks this clock too) and figures all see that moment.
It is a context variable, so it fixes the clock for the current thread (or task) only.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Iterator

_FIXED: ContextVar[datetime | None] = ContextVar("jointreview_wallclock", default=None)


def now() -> datetime:
    """The current moment (aware, UTC), or the moment fixed by `travel`."""
    return _FIXED.get() or datetime.now(timezone.utc)


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """Within this block `now()` is `moment` (which must be time-zone aware)."""
    if moment.tzinfo is None:
        raise ValueError("wallclock.travel needs an aware datetime")
    token = _FIXED.set(moment.astimezone(timezone.utc))
    try:
        yield
    finally:
        _FIXED.reset(token)
