"""The documented set of safe functions that BPMN/DMN expressions and scripts may call.

Dates and times are exchanged as ISO 8601 strings (time-zone aware), so task data stays plain JSON.
"""
from __future__ import annotations

import inspect
import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterator

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import wallclock
from .calendar import WorkCalendar
from .errors import EngineError, catalogue


CENTURY_DAYS = 100 * 366  # the longest span a timer or due date may lie ahead (or behind)
MESSAGES = catalogue({
    "span_too_long": "{function}({value}): the span is more than 100 years or not a finite number",
})


_PART_SECONDS = {"years": 366 * 86400, "months": 31 * 86400, "weeks": 7 * 86400, "days": 86400, "hours": 3600,
                 "minutes": 60, "seconds": 1}


def longer_than_a_century(parsed: dict) -> bool:
    """Whether a parsed ISO 8601 duration (TimerEventDefinition.parse_iso_duration) is longer than 100 years, all its
    parts counted together (P40000D and PT900000000H are, as P101Y is)."""
    seconds = sum(float(parsed.get(part, 0)) * size for part, size in _PART_SECONDS.items())
    return not math.isfinite(seconds) or seconds > CENTURY_DAYS * 86400


def cycle_beyond_a_century(text: Any) -> bool:
    """Whether a repeating interval (R3/PT1H, R/2026-01-01T09:00/P1D …) repeats less than once in 100 years:
    SpiffWorkflow counts a cycle's years and months one month at a time, so R/P999999999Y never returned."""
    for part in str(text).upper().replace("--", "/").split("/")[1:]:
        if not part.strip().startswith("P"):
            continue
        try:
            parsed = TimerEventDefinition.parse_iso_duration(part.strip())
        except Exception:  # noqa: BLE001 - SpiffWorkflow says only `Exception('Invalid duration')`; reported elsewhere
            continue
        if longer_than_a_century(parsed):
            return True
    return False


def within_a_century(n: Any, per_day: int = 1) -> bool:
    """Whether `n` days (per_day=1) or hours (24) is a finite span of at most 100 years either way."""
    try:
        number = float(n)
    except OverflowError:
        return False
    return math.isfinite(number) and abs(number) <= CENTURY_DAYS * per_day


def _span(function: str, n: Any, per_day: int = 1) -> float:
    """`n` as a number of days or hours, refused (EngineError) when it is not a number, not finite or beyond 100
    years: timedelta would raise OverflowError, the calendar's arithmetic a ValueError."""
    try:
        ok = within_a_century(n, per_day)
    except (TypeError, ValueError):
        raise EngineError(f"{function}({n!r}): the span must be a number") from None
    if not ok:
        raise EngineError.coded("span_too_long", function=function, value=_short(n))
    return float(n)


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 128 else "a very large number"
    return text[:40]


_OPERATION_NOW: ContextVar[datetime | None] = ContextVar("jointreview_now", default=None)


@contextmanager
def operation_time(moment: datetime) -> Iterator[None]:
    """Within this block, now() and default starts are `moment`: one operation, one timestamp."""
    token = _OPERATION_NOW.set(moment)
    try:
        yield
    finally:
        _OPERATION_NOW.reset(token)


def current_time() -> datetime:
    """The operation's timestamp, or the wall clock outside an operation."""
    return _OPERATION_NOW.get() or wallclock.now()


def _moment(value: Any, cal: WorkCalendar) -> datetime:
    if value is None:
        return current_time().astimezone(cal.tz)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=cal.tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=cal.tz)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=cal.tz)


def _day(value: Any, cal: WorkCalendar) -> date:
    if isinstance(value, str) and len(value) == 10:
        return date.fromisoformat(value)
    return _moment(value, cal).date()


def build_functions(cal: WorkCalendar) -> dict[str, Callable]:
    """The functions available to expressions, bound to a working-day calendar."""

    def workdays(n: float, start: Any = None) -> str:
        """The moment `n` working days after `start` (default: now), as an aware ISO string."""
        return cal.add_workdays(_moment(start, cal), _span("workdays", n)).isoformat()

    def workhours(n: float, start: Any = None) -> str:
        """The moment `n` office hours after `start` (default: now)."""
        return cal.add_workhours(_moment(start, cal), _span("workhours", n, 24)).isoformat()

    def workdays_between(start: Any, end: Any) -> float:
        """Working days of working time from `start` to `end` (negative if `end` is earlier)."""
        return round(cal.workdays_between(_moment(start, cal), _moment(end, cal)), 4)

    def is_workday(day: Any = None) -> bool:
        """Whether the day (default: today) is a working day in the official calendar."""
        return cal.is_workday(_day(day, cal))

    def now() -> str:
        """The current moment in the calendar's time zone."""
        return current_time().astimezone(cal.tz).isoformat()

    def today() -> str:
        """Today's date in the calendar's time zone, as YYYY-MM-DD."""
        return current_time().astimezone(cal.tz).date().isoformat()

    def add_days(start: Any, n: int) -> str:
        """Calendar days after a date or moment (keeps the input's kind: date → date)."""
        _span("add_days", n)
        if isinstance(start, str) and len(start) == 10:
            return (date.fromisoformat(start) + timedelta(days=int(n))).isoformat()
        return (_moment(start, cal) + timedelta(days=int(n))).isoformat()

    def days_between(start: Any, end: Any) -> int:
        """Whole calendar days from `start` to `end`."""
        return (_day(end, cal) - _day(start, cal)).days

    def months_between(start: Any, end: Any) -> int:
        """Whole calendar months from `start` to `end` (a month counts once its day is reached)."""
        a, b = _day(start, cal), _day(end, cal)
        months = (b.year - a.year) * 12 + (b.month - a.month)
        return months - 1 if b.day < a.day else months

    def years_between(start: Any, end: Any) -> int:
        """Whole years from `start` to `end`."""
        return months_between(start, end) // 12

    def timer_due(value: Any) -> str:
        """A timer's due moment: an ISO duration counts from now, an ISO date-time is taken as is."""
        text = str(value).strip()
        if text.upper().startswith("P"):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            if longer_than_a_century(parsed):
                raise EngineError(f"duration {text!r} is longer than 100 years")
            start = current_time()
            return (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
        return _moment(text, cal).isoformat()

    def digits(text: Any) -> str:
        """Only the digits of a text (e.g. to compare phone numbers)."""
        return re.sub(r"\D", "", str(text or ""))

    def blank(value: Any) -> bool:
        """True for None, an empty or whitespace-only text, or an empty list/dict."""
        if value is None:
            return True
        if isinstance(value, str):
            return not value.strip()
        if isinstance(value, (list, dict, tuple, set)):
            return not value
        return False

    def coalesce(*values: Any) -> Any:
        """The first value that is not blank."""
        return next((v for v in values if not blank(v)), None)


    def clamp(value: float, low: float, high: float) -> float:
        """`value` limited to the range [low, high]."""
        return max(low, min(high, value))

    return {f.__name__: f for f in (
        workdays, workhours, workdays_between, is_workday, now, today, add_days, days_between,
        months_between, years_between, timer_due, digits, blank, coalesce, clamp)}


def describe(functions: dict[str, Callable]) -> list[tuple[str, str]]:
    """(signature, one-line description) for each safe function, for docs and the designer."""
    out = []
    for name, fn in sorted(functions.items()):
        out.append((f"{name}{inspect.signature(fn)}", (fn.__doc__ or "").strip().splitlines()[0]))
    return out
