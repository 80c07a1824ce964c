"""Settings from the environment, and building a runtime with the installed service handlers."""
from __future__ import annotations

import os
from pathlib import Path
from dataclasses import dataclass
from importlib.metadata import entry_points

from .calendar import DEFAULT_TZ, WorkCalendar
from .db import Database, database_url
from .errors import EngineError
from . import urges
from .runtime import Runtime

HANDLER_GROUP = "jointreview.handlers"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read from JOINTREVIEW_* environment variables."""

    database_url: str
    timezone: str = DEFAULT_TZ
    office_hours: str = ""
    calendar_file: str | None = None
    attachments_dir: str = "instance/attachments"
    urges_per_hour: int = urges.PER_HOUR

    @classmethod
    def from_env(cls, database: str | None = None) -> "Settings":
        """Settings from the environment; `database` overrides JOINTREVIEW_DATABASE_URL."""
        return cls(
            database_url=database_url(database),
            timezone=os.environ.get("JOINTREVIEW_TZ") or DEFAULT_TZ,
            office_hours=os.environ.get("JOINTREVIEW_OFFICE_HOURS", ""),
            calendar_file=os.environ.get("JOINTREVIEW_CALENDAR") or None,
            attachments_dir=os.environ.get("JOINTREVIEW_ATTACHMENTS") or "instance/attachments",
            urges_per_hour=_positive("JOINTREVIEW_URGES_PER_HOUR", urges.PER_HOUR),
        )


def _positive(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment variable `name` (its default when unset or empty)."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise EngineError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def make_runtime(settings: Settings, db: Database | None = None) -> Runtime:
    """A runtime with the calendar configured and every installed handler plugin registered."""
    calendar = WorkCalendar.from_file(settings.calendar_file, settings.timezone, settings.office_hours)
    rt = Runtime(db or Database(settings.database_url), calendar)
    rt.attachments_dir = Path(settings.attachments_dir)
    rt.urges_per_hour = settings.urges_per_hour
    for entry in entry_points(group=HANDLER_GROUP):
        try:
            entry.load()(rt)
        except Exception as exc:  # noqa: BLE001 - named plainly; processes needing them fail validation
            raise EngineError(f"service handlers {entry.name!r} could not be loaded: {type(exc).__name__}: {exc}") from exc
    return rt
