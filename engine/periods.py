"""Calendar periods of the figures: a month, a quarter or a year in the calendar's time zone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from . import wallclock
from .errors import InvalidInput, Message, catalogue

MESSAGES = catalogue({
    "period_invalid": "period {text!r} is not a year, quarter or month (2026, 2026Q4, 2026-11)",
    "period_how": "write 2026, 2026Q4 or 2026-11",
    "period_range": "period {text!r} is outside the years 1970 to 2200",
    "period_years": "a year from 1970 to 2200",
})


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year."""

    year: int
    kind: str = "year"  # year, quarter, month
    number: int = 0

    @property
    def label(self) -> str:
        return {"year": f"{self.year}", "quarter": f"{self.year}Q{self.number}",
                "month": f"{self.year}-{self.number:02d}"}[self.kind]

    def _first_month(self) -> int:
        return {"year": 1, "quarter": 3 * self.number - 2, "month": self.number}[self.kind]

    def _months(self) -> int:
        return {"year": 12, "quarter": 3, "month": 1}[self.kind]

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware moments in the calendar's zone."""
        start_index = self.year * 12 + self._first_month() - 1
        end_index = start_index + self._months()
        start = datetime(start_index // 12, start_index % 12 + 1, 1, tzinfo=tz)
        return start, datetime(end_index // 12, end_index % 12 + 1, 1, tzinfo=tz)

    def shift(self, steps: int) -> "Period":
        """The period `steps` periods of the same kind later (negative: earlier)."""
        if self.kind == "year":
            return Period(self.year + steps)
        size = 4 if self.kind == "quarter" else 12
        index = self.year * size + self.number - 1 + steps
        return Period(index // size, self.kind, index % size + 1)

    def year_before(self) -> "Period":
        return Period(self.year - 1, self.kind, self.number)

    def months(self) -> list["Period"]:
        first = Period(self.year, "month", self._first_month())
        return [first.shift(i) for i in range(self._months())]


_PERIOD = re.compile(r"^(\d{4})(?:[-]?(?:Q([1-4])|(0[1-9]|1[0-2])))?$", re.IGNORECASE)
# the same periods as the pages write them (2026年, 2026年第4季度, 2026年11月), so that a heading can be typed back
_PERIOD_WORDS = re.compile(r"^(\d{4})年(?:第?([1-4一二三四])季度|(0?[1-9]|1[0-2])月)?$")
_QUARTER_WORDS = {"一": "1", "二": "2", "三": "3", "四": "4"}


def parse_period(text: str) -> Period:
    """2026, 2026Q4 or 2026-11 (or 2026年, 2026年第4季度, 2026年11月)."""
    match = _PERIOD.match((text or "").strip()) or _PERIOD_WORDS.match((text or "").strip())
    if not match:
        raise InvalidInput(Message("period_invalid", text=text), {"period": Message("period_how")})
    year, quarter, month = match.groups()
    quarter = _QUARTER_WORDS.get(quarter, quarter)
    if not 1970 <= int(year) <= 2200:
        raise InvalidInput(Message("period_range", text=text), {"period": Message("period_years")})
    if quarter:
        return Period(int(year), "quarter", int(quarter))
    if month:
        return Period(int(year), "month", int(month))
    return Period(int(year))


def current_period(kind: str, tz: ZoneInfo, now: datetime | None = None) -> Period:
    moment = (now or wallclock.now()).astimezone(tz)
    if kind == "month":
        return Period(moment.year, "month", moment.month)
    if kind == "quarter":
        return Period(moment.year, "quarter", (moment.month - 1) // 3 + 1)
    return Period(moment.year)


# How many periods of each kind a reader chooses from, the current one included (dashboard, node assessment)
RECENT = {"month": 12, "quarter": 4, "year": 2}


def recent(tz: ZoneInfo, shown: Period | None = None, now: datetime | None = None) -> list[tuple[str, list[Period]]]:
    """The periods to choose from by kind, newest first: this month and the eleven before, this quarter and the
    three before, this year and last; the period `shown`, when it is none of them, joins its kind in order (a
    link or an address may name any period)."""
    out = []
    for kind, count in RECENT.items():
        current = current_period(kind, tz, now)
        periods = [current.shift(-i) for i in range(count)]
        if shown is not None and shown.kind == kind and shown not in periods:
            periods = sorted([*periods, shown], key=lambda p: (p.year, p.number), reverse=True)
        out.append((kind, periods))
    return out


def month_of(moment: datetime, tz: ZoneInfo) -> str:
    """The calendar month (YYYY-MM, in the calendar's zone) a moment falls in."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(tz)
    return f"{local.year}-{local.month:02d}"
