"""The State Council's yearly holiday notice (国务院办公厅关于部分节假日安排的通知) and the calendar's coverage.

The notice for a year comes out in November of the year before. Until the `holidays` package carries it, the
package guesses that year without any make-up working days and says nothing, so the calendar keeps which years
are officially known (`WorkCalendar.confirmation`): the package's own years, years the local override file
declares (`confirmed = [2027]`) and years whose notice an administrator imported here. A due date in a year
that is not known is provisional, and the pages say so.

A notice file (TOML, or JSON with the same keys) lists every day off and every weekend day made a working day:

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    [holidays]
    "2027-01-01" = "元旦"
    [workdays]
    "2027-02-07" = "春节调休上班"

Every date must lie in that year, no date may be both, a make-up working day must be a Saturday or Sunday.
Importing it stores it for every process (a web process or worker takes it within a minute), records it in the
audit log, and moves each open due date that counts working days so that it keeps the working time it had left
(each moved case records `due_dates_recomputed`). Overdue dates stay as they are.
"""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import audit, sql, wallclock
from .calendar import WorkCalendar, YearNotice, aware
from .cases import CaseRef
from .clock import HELD
from .errors import Conflict, InvalidInput, Message, catalogue
from .models import Case, Task
from .models_office import CalendarNotice
from .routing import Actor
from .steps import _waiting_timers, advance, open_case

_KEYS = {"year", "source", "holidays", "workdays"}
_WORKING_TIME = re.compile(r"\bwork(days|hours)\s*\(")  # a due expression that counts working time
_SAME = timedelta(minutes=1)


MESSAGES = catalogue({
    "notice_refused": "{file}: {problem}",
    "notice_not_utf8": "not UTF-8 text",
    "notice_not_parsed": "not valid {kind}: {detail}",
    "notice_not_table": "expected a table with year, source, holidays and workdays",
    "notice_unknown_key": "unknown key {key!r} (expected year, source, holidays, workdays)",
    "notice_year": "year must be a year such as 2027",
    "notice_source": "source must name the notice (its title and number)",
    "notice_no_holidays": "[holidays] lists no day off; a notice for {year} names its holidays",
    "notice_both": "{day} is both a holiday and a working day",
    "notice_weekday": "[workdays] {day} is a {weekday}, already a working day; only a Saturday or Sunday can be made one",
    "notice_table": "[{key}] must be a table of \"YYYY-MM-DD\" = \"name\"",
    "notice_not_date": "[{key}] {text!r} is not a date (YYYY-MM-DD)",
    "notice_other_year": "[{key}] {text} is not in {year}",
    "notice_unnamed": "[{key}] {text} needs a name (e.g. 春节)",
    "calendar_changed": "the days of {year} were changed just now by someone else; nothing was changed: look again",
})
ANY = object()  # save(based_on=ANY): replace the year's notice whatever it is now (an imported file)


def _refuse(name: str, problem: Message) -> InvalidInput:
    return InvalidInput(Message("notice_refused", file=name, problem=problem))


def parse(name: str, content: bytes) -> YearNotice:
    """A notice file read and checked; every problem names the file and the key or date."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(name, Message("notice_not_utf8")) from None
    try:
        raw = json.loads(text) if name.lower().endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise _refuse(name, Message("notice_not_parsed", kind="JSON" if name.lower().endswith(".json") else "TOML",
                                    detail=str(exc))) from None
    if not isinstance(raw, dict):
        raise _refuse(name, Message("notice_not_table"))
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _refuse(name, Message("notice_unknown_key", key=unknown[0]))
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise _refuse(name, Message("notice_year"))
    source = raw.get("source", "")
    if not isinstance(source, str) or not source.strip():
        raise _refuse(name, Message("notice_source"))
    days_off = _days(name, raw, "holidays", year)
    make_up = _days(name, raw, "workdays", year)
    if not days_off:
        raise _refuse(name, Message("notice_no_holidays", year=year))
    both = sorted(set(days_off) & set(make_up))
    if both:
        raise _refuse(name, Message("notice_both", day=both[0].isoformat()))
    for day in sorted(make_up):
        if day.weekday() < 5:
            raise _refuse(name, Message("notice_weekday", day=day.isoformat(), weekday=f"{day:%A}"))
    return YearNotice(year, days_off, make_up, source.strip())


def _days(name: str, raw: dict, key: str, year: int) -> dict[date, str]:
    table = raw.get(key, {})
    if not isinstance(table, dict):
        raise _refuse(name, Message("notice_table", key=key))
    out: dict[date, str] = {}
    for text, label in table.items():
        try:
            day = date.fromisoformat(str(text))
        except ValueError:
            raise _refuse(name, Message("notice_not_date", key=key, text=text)) from None
        if day.year != year:
            raise _refuse(name, Message("notice_other_year", key=key, text=text, year=year))
        if not isinstance(label, str) or not label.strip():
            raise _refuse(name, Message("notice_unnamed", key=key, text=text))
        out[day] = label.strip()
    return out


def _digest(notice: YearNotice) -> str:
    body = json.dumps([notice.year, sorted((d.isoformat(), n) for d, n in notice.holidays.items()),
                       sorted((d.isoformat(), n) for d, n in notice.workdays.items())], ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def load(session: Session) -> dict[int, YearNotice]:
    """The imported notices, by year."""
    out = {}
    for row in session.execute(select(CalendarNotice)).scalars():
        out[row.year] = YearNotice(row.year, {date.fromisoformat(k): v for k, v in json.loads(row.holidays).items()},
                                   {date.fromisoformat(k): v for k, v in json.loads(row.workdays).items()}, row.source)
    return out


def stamp(session: Session) -> tuple:
    """What identifies the imported notices (one cheap query): the calendar reloads them when it changes."""
    return tuple(session.execute(select(CalendarNotice.year, CalendarNotice.content_hash, CalendarNotice.source)
                                 .order_by(CalendarNotice.year)).all())


@dataclass(frozen=True)
class Imported:
    year: int
    replaced: bool  # a notice for the year was there before
    cases: int  # cases whose due dates moved
    moved: int  # due dates moved (steps and timers)


def import_notice(rt, actor: Actor, notice: YearNotice, now: datetime | None = None) -> Imported:
    """Store a year's notice for every process, then move the open due dates that depend on it."""
    replaced, cases, moved = save(rt, actor, notice, "calendar_notice_imported", {
        "year": notice.year, "source": notice.source, "holidays": len(notice.holidays),
        "workdays": len(notice.workdays)}, now)
    return Imported(notice.year, replaced, cases, moved)


def version_of(notice: YearNotice | None) -> tuple[str, str] | None:
    """What a stored notice is (its content's hash and its source), to tell whether it changed since it was read."""
    return (_digest(notice), notice.source) if notice is not None else None


def save(rt, actor: Actor, notice: YearNotice, event: str, details: dict, now: datetime | None = None,
         based_on=ANY) -> tuple[bool, int, int]:
    """Store a year's days (replacing the year's notice if there was one) with an audit entry (`details` with the
    content's hash and whether it replaced one), reload the calendar and move the open due dates that depend on
    it; returns (replaced, cases moved, due dates moved). `based_on`: the version (version_of) of the year's notice
    the change was made from (None: there was none); refused when the stored one is no longer that (two changes at
    once: the later would write over the earlier)."""
    now = now or wallclock.now()
    with rt.db.write() as session:
        rt.refresh_calendar(session, force=True)
        before = rt.calendar.copy()
        row = session.get(CalendarNotice, notice.year, with_for_update=True)
        if based_on is not ANY and (None if row is None else (row.content_hash, row.source)) != based_on:
            raise Conflict(Message("calendar_changed", year=notice.year))
        replaced = row is not None
        digest = _digest(notice)
        values = dict(source=notice.source, content_hash=digest, imported_by=actor.username, imported_at=now,
                      holidays=json.dumps({d.isoformat(): n for d, n in sorted(notice.holidays.items())}, ensure_ascii=False),
                      workdays=json.dumps({d.isoformat(): n for d, n in sorted(notice.workdays.items())}, ensure_ascii=False))
        if row is None:
            session.add(CalendarNotice(year=notice.year, **values))
            try:
                session.flush()
            except IntegrityError:  # another change stored the year's first notice meanwhile
                raise Conflict(Message("calendar_changed", year=notice.year)) from None
        else:
            for key, value in values.items():
                setattr(row, key, value)
        audit.append(session, [audit.Event(event, actor.username, {**details, "hash": digest, "replaced": replaced})],
                     now)
    with rt.db.read() as session:
        rt.refresh_calendar(session, force=True)
    cases, moved = recompute(rt, actor, before, rt.calendar, now)
    return replaced, cases, moved


def _moved(old: WorkCalendar, new: WorkCalendar, now: datetime, due: datetime) -> datetime | None:
    """Where a due date goes when the calendar changes: it keeps the working time it had left (None: stays)."""
    if due <= now:
        return None
    moved = new.add_workdays(now, old.workdays_between(now, due))
    return moved if abs(moved - due) >= _SAME else None


def counts_working_time(expression: str | None) -> bool:
    """Whether a due or timer expression counts working days or hours (only those move with the calendar)."""
    return bool(expression and _WORKING_TIME.search(expression))


def recompute(rt, actor: Actor, old: WorkCalendar, new: WorkCalendar, now: datetime) -> tuple[int, int]:
    """Move the open due dates of running cases from the old calendar to the new one, one case per transaction;
    returns (cases, due dates) moved."""
    with rt.db.read() as session:
        ids = session.execute(select(Case.id).where(Case.status == "running", or_(
            Case.next_due_at.is_not(None),
            Case.id.in_(select(Task.case_id).where(Task.state == "open", Task.due_at > now))))
            .order_by(Case.id)).scalars().all()
    cases = moved = 0
    for case_id in ids:
        count = _recompute_case(rt, actor, case_id, old, new, now)
        cases, moved = cases + bool(count), moved + count
    return cases, moved


def _recompute_case(rt, actor: Actor, case_id: int, old: WorkCalendar, new: WorkCalendar, now: datetime) -> int:
    with rt.db.write() as session:
        row = sql.execute(session, "case_by_id", {"id": case_id}, lock=True).first()
        if row is None or CaseRef(*row).status != "running":
            return 0
        case = CaseRef(*row)
        model, op, wf = open_case(session, rt, actor, case, now)
        changes = []
        for _, (_, eid, task) in sorted(_waiting_timers(wf).items()):
            value = task.internal_data.get("event_value")
            definition = getattr(task.task_spec, "event_definition", None)
            if not isinstance(value, str) or value == HELD or not counts_working_time(getattr(definition, "expression", None)):
                continue
            due = aware(datetime.fromisoformat(value))
            to = _moved(old, new, now, due)
            if to is not None:
                task.internal_data["event_value"] = to.isoformat()
                changes.append({"element": eid, "from": due.isoformat(), "to": to.isoformat()})
        due_exprs = {eid: info.due_expr for (_, eid), info in model.user_tasks.items()}
        steps = []
        for task_id, eid, due in session.execute(select(Task.id, Task.element_id, Task.due_at).where(
                Task.case_id == case_id, Task.state == "open", Task.due_at > now)).all():
            to = _moved(old, new, now, aware(due)) if counts_working_time(due_exprs.get(eid)) else None
            if to is not None:
                steps.append((task_id, to))
                changes.append({"element": eid, "from": aware(due).isoformat(), "to": to.isoformat()})
        if not changes:
            return 0
        op.record("due_dates_recomputed", {"moved": changes})
        advance(op, wf, model, case.version, lambda: None)
        for task_id, to in steps:
            session.execute(update(Task).where(Task.id == task_id).values(due_at=to),
                            execution_options={"synchronize_session": False})
        return len(changes)



@dataclass(frozen=True)
class Irregular:
    day: date
    working: bool  # True: a weekend day made a working day; False: a weekday off
    name: str


def exceptions(cal: WorkCalendar, year: int) -> list[Irregular]:
    """The days of a year that differ from Monday-to-Friday: weekdays off and weekend days worked."""
    out, day = [], date(year, 1, 1)
    while day.year == year:
        working = cal.is_workday(day)
        if working != (day.weekday() < 5):
            out.append(Irregular(day, working, (cal.workday_name(day) or "调休上班") if working else (cal.holiday_name(day) or "")))
        day += timedelta(days=1)
    return out


@dataclass(frozen=True)
class Gap:
    """A year the calendar does not know officially, and how many open due dates fall in it."""

    year: int
    open_due: int


def gaps(session: Session, cal: WorkCalendar, now: datetime) -> list[Gap]:
    """Unconfirmed years that matter now: next year once its notice is due (from November), and any year an
    open step's due date falls in."""
    this_year = now.astimezone(cal.tz).year
    years = {this_year} | ({this_year + 1} if now.astimezone(cal.tz).month >= 11 else set())
    latest = session.execute(select(Task.due_at).where(Task.state == "open", Task.due_at.is_not(None))
                             .order_by(Task.due_at.desc()).limit(1)).scalar()
    if latest is not None:
        years |= set(range(this_year, aware(latest).astimezone(cal.tz).year + 1))
    out = []
    for year in sorted(y for y in years if cal.confirmation(y) is None):
        start = datetime(year, 1, 1, tzinfo=cal.tz)
        end = datetime(year + 1, 1, 1, tzinfo=cal.tz)
        count = session.execute(select(func.count()).select_from(Task).where(
            Task.state == "open", Task.due_at >= start, Task.due_at < end)).scalar_one()
        out.append(Gap(year, count))
    return out
