"""One day at a time in the official calendar: an administrator adds a day off or a make-up working day (调休上班),
or removes one, without writing a notice file; and names the notice of a year entered that way.

The change goes into the year's notice (engine/calendar_notices.py) like an imported one: stored for every process,
audited, and the open due dates that count working days move with it. A year without an imported notice starts from
what the calendar knows of it (the holidays package's days or the local file's). A year that was only guessed stays
unconfirmed (its due dates provisional) until an administrator names the notice its days come from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from . import calendar_notices
from .calendar import WorkCalendar, YearNotice
from .forms import HIDDEN
from .errors import Conflict, InvalidInput, Message, catalogue
from .routing import Actor

KINDS = ("holiday", "workday")
PACKAGE, OVERRIDE = "package", "override"  # the source of a year amended from the package's or the local file's days
LONGEST_NAME = 50
LONGEST_SOURCE = 200  # a notice's title and number
MESSAGES = catalogue({
    "field_too_long": "must be at most {limit} characters",
    "field_hidden": "contains control characters, invisible characters or hidden text-direction marks",
    "calendar_day_refused": "the day was not changed",
    "calendar_not_date": "give a date such as 2027-10-01",
    "calendar_year_range": "must lie between 2000 and 2100",
    "calendar_kind": "choose a day off or a make-up working day",
    "calendar_name": "required, e.g. 春节, at most {limit} characters",
    "calendar_weekday": "{day} is a weekday, already a working day: only a Saturday or Sunday can be made one",
    "calendar_already": "{day} is already a day off ({name})",
    "calendar_weekend": "{day} is a Saturday or Sunday, already a day off",
    "calendar_already_working": "{day} is already a make-up working day ({name})",
    "calendar_is_other": "{day} is a make-up working day ({name}): remove it first",
    "calendar_is_other_off": "{day} is a day off ({name}): remove it first",
    "calendar_not_listed": "{day} is neither a day off nor a make-up working day of {year}",
    "calendar_source": "name the notice (its title and number)",
    "calendar_no_days": "no day of {year} has been entered here",
})


@dataclass(frozen=True)
class Changed:
    day: date
    cases: int  # cases whose due dates moved
    moved: int  # due dates moved


def _refuse(field: str, message: Message) -> InvalidInput:
    return InvalidInput(Message("calendar_day_refused"), {field: message})


def _visible(field: str, text: str) -> None:
    """Refuse what a reader would not see as written: the name is shown with every due date it moves."""
    if HIDDEN.search(text):
        raise _refuse(field, Message("field_hidden"))


def _day(text: str) -> date:
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise _refuse("day", Message("calendar_not_date")) from None
    if not 2000 <= day.year <= 2100:
        raise _refuse("day", Message("calendar_year_range"))
    return day


def days_of(cal: WorkCalendar, year: int) -> YearNotice:
    """A year's days as a notice: the imported one, else what the calendar knows (days off with their names,
    weekend days worked), with the package or the local file as its source when they confirm the year."""
    if year in cal.notices:
        return cal.notices[year]
    off, worked, day = {}, {}, date(year, 1, 1)
    while day.year == year:
        name = cal.holiday_name(day)
        if cal.is_workday(day):
            if day.weekday() >= 5:
                worked[day] = cal.workday_name(day) or "调休上班"
        elif day.weekday() < 5 or name:
            off[day] = name or "休息"
        day += timedelta(days=1)
    known = cal.confirmation(year)
    return YearNotice(year, off, worked, {"package": PACKAGE, "override": OVERRIDE}.get(known or "", ""))


def add(rt, actor: Actor, day_text: str, kind: str, name: str) -> Changed:
    """Make one day a day off (`holiday`) or a weekend day a make-up working day (`workday`)."""
    day = _day(day_text)
    if kind not in KINDS:
        raise _refuse("kind", Message("calendar_kind"))
    name = " ".join((name or "").split())
    if not name or len(name) > LONGEST_NAME:
        raise _refuse("name", Message("calendar_name", limit=LONGEST_NAME))
    _visible("name", name)
    cal = _fresh(rt)
    current, based_on = days_of(cal, day.year), calendar_notices.version_of(cal.notices.get(day.year))
    if day in current.holidays:
        raise Conflict(Message("calendar_already" if kind == "holiday" else "calendar_is_other_off",
                               day=day.isoformat(), name=current.holidays[day]))
    if day in current.workdays:
        raise Conflict(Message("calendar_already_working" if kind == "workday" else "calendar_is_other",
                               day=day.isoformat(), name=current.workdays[day]))
    if kind == "holiday" and day.weekday() >= 5:
        raise _refuse("day", Message("calendar_weekend", day=day.isoformat()))
    if kind == "workday" and day.weekday() < 5:
        raise _refuse("day", Message("calendar_weekday", day=day.isoformat()))
    off, worked = dict(current.holidays), dict(current.workdays)
    (off if kind == "holiday" else worked)[day] = name
    return _save(rt, actor, YearNotice(day.year, off, worked, current.source), "calendar_day_added",
                 {"day": day.isoformat(), "working": kind == "workday", "name": name}, day, based_on)


def remove(rt, actor: Actor, day_text: str) -> Changed:
    """Make a day off or a make-up working day an ordinary day again (a weekday worked, a weekend day off)."""
    day = _day(day_text)
    cal = _fresh(rt)
    current, based_on = days_of(cal, day.year), calendar_notices.version_of(cal.notices.get(day.year))
    off, worked = dict(current.holidays), dict(current.workdays)
    if day in off:
        name, working = off.pop(day), False
    elif day in worked:
        name, working = worked.pop(day), True
    else:
        raise _refuse("day", Message("calendar_not_listed", day=day.isoformat(), year=day.year))
    return _save(rt, actor, YearNotice(day.year, off, worked, current.source), "calendar_day_removed",
                 {"day": day.isoformat(), "working": working, "name": name}, day, based_on)


def name_notice(rt, actor: Actor, year: int, source: str) -> Changed:
    """Confirm a year whose days were entered here by naming the notice they come from."""
    source = " ".join((source or "").split())
    if not source:
        raise _refuse("source", Message("calendar_source"))
    if len(source) > LONGEST_SOURCE:
        raise _refuse("source", Message("field_too_long", limit=LONGEST_SOURCE))
    _visible("source", source)
    current = _fresh(rt).notices.get(year)
    if current is None:
        raise _refuse("source", Message("calendar_no_days", year=year))
    notice = YearNotice(year, dict(current.holidays), dict(current.workdays), source)
    return _save(rt, actor, notice, "calendar_notice_named", {"year": year, "source": source}, date(year, 1, 1),
                 calendar_notices.version_of(current))


def _fresh(rt) -> WorkCalendar:
    """The calendar as stored now (another process may have changed it within the last minute)."""
    with rt.db.read() as session:
        rt.refresh_calendar(session, force=True)
    return rt.calendar


def _save(rt, actor: Actor, notice: YearNotice, event: str, details: dict, day: date,
          based_on: tuple[str, str] | None) -> Changed:
    """Store the year as changed, unless it changed since it was read (`based_on`: its version, version_of, then)."""
    _, cases, moved = calendar_notices.save(rt, actor, notice, event, {"year": notice.year, **details},
                                            based_on=based_on)
    return Changed(day, cases, moved)
