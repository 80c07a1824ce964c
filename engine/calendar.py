"""Working-day calendar: China's public holidays and make-up working days (调休), office hours, overrides."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from .errors import EngineError

DEFAULT_TZ = "Asia/Shanghai"
_MAX_SCAN_DAYS = 3660


def _parse_hours(spec: str) -> tuple[tuple[time, time], ...]:
    """Parse "09:00-12:00,13:30-17:30" into ordered intervals; "" means the whole day."""
    if not spec.strip():
        return ((time(0), time.max),)
    intervals = []
    for part in spec.split(","):
        try:
            start_s, end_s = part.strip().split("-")
            start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise EngineError(f"office hours {part.strip()!r}: expected HH:MM-HH:MM") from exc
        if end <= start:
            raise EngineError(f"office hours {part.strip()!r}: the end must be after the start")
        intervals.append((start, end))
    intervals.sort()
    for (_, prev_end), (start, _) in zip(intervals, intervals[1:]):
        if start < prev_end:
            raise EngineError(f"office hours {spec!r}: intervals overlap")
    return tuple(intervals)


@dataclass
class WorkCalendar:
    """Answers "is this a working day?" and adds working time to a moment.

    One working day is the length of the office hours (the whole day when none are set), so
    `add_workdays(t, 1.5)` moves forward by one and a half office days of working time.
    """

    tz_name: str = DEFAULT_TZ
    office_hours: str = ""
    extra_holidays: dict[date, str] = field(default_factory=dict)
    extra_workdays: dict[date, str] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()  # years the local override file declares complete

    def __post_init__(self) -> None:
        try:
            self.tz = ZoneInfo(self.tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise EngineError(f"unknown time zone {self.tz_name!r} (e.g. Asia/Shanghai)") from None
        self.intervals = _parse_hours(self.office_hours)
        self.day_length = sum((self._span(a, b) for a, b in self.intervals), timedelta())
        self._official = holidays.China(language="zh_CN")
        self._year_counts: dict[int, list[int]] = {}  # year → working days before each day of it (and the total)
        self.notices: dict[int, YearNotice] = {}  # the official notices imported into the database, by year

    def use_notices(self, notices: dict[int, "YearNotice"]) -> None:
        """Take these years' official notices as the calendar of those years (they replace the package's)."""
        self.notices = dict(notices)
        self._year_counts = {}

    def copy(self) -> "WorkCalendar":
        """A calendar with the same settings and notices (to compare before and after an import)."""
        twin = WorkCalendar(self.tz_name, self.office_hours, dict(self.extra_holidays), dict(self.extra_workdays),
                            self.confirmed_years)
        twin.use_notices(self.notices)
        return twin

    def confirmation(self, year: int) -> str | None:
        """How the year's holidays and make-up working days are known: "notice" (imported), "override" (the local
        file), "package" (the holidays package's official data), or None when they are only guessed (days entered
        one by one into a guessed year count as a notice only once an administrator names it, as its source)."""
        if year in self.notices and self.notices[year].source:
            return "notice"
        if year in self.confirmed_years:
            return "override"
        return "package" if year in package_years() else None

    def is_confirmed(self, moment: date | datetime | None) -> bool:
        """Whether the year of a day or moment (in the calendar's zone) is officially known; no moment: True."""
        if moment is None:
            return True
        day = aware(moment).astimezone(self.tz).date() if isinstance(moment, datetime) else moment
        return self.confirmation(day.year) is not None

    @classmethod
    def from_file(cls, path: str | Path | None, tz_name: str = DEFAULT_TZ, office_hours: str = "") -> "WorkCalendar":
        """Build a calendar, adding the official notices listed in a TOML override file."""
        if path is None:
            return cls(tz_name, office_hours)
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise EngineError(f"{path}: calendar override file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise EngineError(f"{path}: not valid TOML: {exc}") from exc
        confirmed = raw.get("confirmed", [])
        if not isinstance(confirmed, list) or not all(isinstance(y, int) and 1900 < y < 2200 for y in confirmed):
            raise EngineError(f"{path}: confirmed must be a list of years, e.g. confirmed = [2027]")
        return cls(tz_name, office_hours, _dates(path, raw, "holidays"), _dates(path, raw, "workdays"), frozenset(confirmed))

    @staticmethod
    def _span(start: time, end: time) -> timedelta:
        day = date(2000, 1, 1)
        end_dt = datetime.combine(day, end) if end != time.max else datetime.combine(day + timedelta(days=1), time(0))
        return end_dt - datetime.combine(day, start)

    def is_workday(self, day: date) -> bool:
        """True on a working day: weekdays that are not holidays, plus weekend days made working days."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        notice = self.notices.get(day.year)
        if notice is not None:
            return notice.is_workday(day)
        return self._official.is_working_day(day)

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday on this day, if any."""
        notice = self.notices.get(day.year)
        if notice is not None:
            return self.extra_holidays.get(day) or notice.holidays.get(day)
        return self.extra_holidays.get(day) or self._official.get(day)

    def workday_name(self, day: date) -> str | None:
        """Why a weekend day is a working day (调休上班), if it is one."""
        notice = self.notices.get(day.year)
        return self.extra_workdays.get(day) or (notice.workdays.get(day) if notice is not None else None)

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office intervals of one local day, as aware datetimes (empty on a day off)."""
        if not self.is_workday(day):
            return []
        out = []
        for start, end in self.intervals:
            s = datetime.combine(day, start, self.tz)
            e = datetime.combine(day, end, self.tz) if end != time.max else datetime.combine(day + timedelta(days=1), time(0), self.tz)
            out.append((s, e))
        return out

    def add_workdays(self, start: datetime, days: float) -> datetime:
        """The moment `days` working days of working time after `start` (aware, in the calendar's zone)."""
        if days < 0:
            raise EngineError("working days to add must not be negative")
        return self._add(aware(start).astimezone(self.tz), self.day_length * days)

    def add_workhours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` hours of office time after `start`."""
        if hours < 0:
            raise EngineError("working hours to add must not be negative")
        return self._add(aware(start).astimezone(self.tz), timedelta(hours=hours))

    def _add(self, cursor: datetime, remaining: timedelta) -> datetime:
        day = cursor.date()
        for _ in range(_MAX_SCAN_DAYS):
            for s, e in self._windows(day):
                if e <= cursor:
                    continue
                begin = max(s, cursor)
                if remaining <= e - begin:
                    return begin + remaining
                remaining -= e - begin
            day += timedelta(days=1)
        raise EngineError("working-day calculation ran past ten years; check the calendar")

    def workdays_between(self, start: datetime, end: datetime) -> float:
        """Working time from `start` to `end` in working days; negative when `end` is earlier.

        The first and last days are measured by their office intervals; the whole days between are counted
        from a table of working days per year (so a year-long span costs the same as a day-long one)."""
        a, b = aware(start).astimezone(self.tz), aware(end).astimezone(self.tz)
        sign = 1.0
        if b < a:
            a, b, sign = b, a, -1.0
        if (b.date() - a.date()).days > _MAX_SCAN_DAYS:
            raise EngineError("working-day calculation spans more than ten years")
        first, last = a.date(), b.date()
        if first == last or self._shifts(first, last):
            return sign * (self._measured(first, last, a, b) / self.day_length)
        total = self._measured(first, first, a, b) + self._measured(last, last, a, b)
        whole = self._workdays_from(first + timedelta(days=1), last)
        return sign * (total / self.day_length + whole)

    def _measured(self, first: date, last: date, a: datetime, b: datetime) -> timedelta:
        """Office time within [a, b] on the days first..last, day by day."""
        total, day = timedelta(), first
        while day <= last:
            for s, e in self._windows(day):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def _shifts(self, first: date, last: date) -> bool:
        """Whether the zone's offset changes between the two days (daylight saving): then a whole day is not
        always one day_length long and the days are measured one by one."""
        offset = datetime.combine(first, time(12), self.tz).utcoffset()
        return any(datetime.combine(date(y, m, 1), time(12), self.tz).utcoffset() != offset
                   for y in range(first.year, last.year + 1) for m in (1, 4, 7, 10)) or \
            datetime.combine(last, time(12), self.tz).utcoffset() != offset

    def _workdays_from(self, first: date, last: date) -> int:
        """Working days in [first, last) (whole days), from a table of working days per year."""
        if last <= first:
            return 0
        if first.year == last.year:
            counts = self._counts(first.year)
            return counts[last.timetuple().tm_yday - 1] - counts[first.timetuple().tm_yday - 1]
        head = self._counts(first.year)
        total = head[-1] - head[first.timetuple().tm_yday - 1]
        total += sum(self._counts(year)[-1] for year in range(first.year + 1, last.year))
        return total + self._counts(last.year)[last.timetuple().tm_yday - 1]

    def _counts(self, year: int) -> list[int]:
        """Working days of `year` before each of its days (index 0: before 1 January; last: the year's total)."""
        table = self._year_counts  # use_notices may swap it meanwhile: counts made now go to the table they came from
        counts = table.get(year)
        if counts is None:
            counts, seen, cursor = [0], 0, date(year, 1, 1)
            while cursor.year == year:
                seen += self.is_workday(cursor)
                counts.append(seen)
                cursor += timedelta(days=1)
            table[year] = counts
        return counts


@dataclass(frozen=True)
class YearNotice:
    """One year's official holiday notice: every day off (holidays, with the weekend days they take) and every
    weekend day made a working day (调休上班); any other day is a working day from Monday to Friday."""

    year: int
    holidays: dict[date, str]
    workdays: dict[date, str]
    source: str = ""

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5


def package_years() -> frozenset[int]:
    """The years for which the holidays package carries the State Council's notice: those with make-up working
    days in its data, and every year before the last of them (it guesses later years without saying so)."""
    global _PACKAGE_YEARS
    if _PACKAGE_YEARS is None:
        china = holidays.China()
        known = china.special_public_holidays.keys()
        _PACKAGE_YEARS = frozenset(range(china.start_year, max(known) + 1)) if known else frozenset()
    return _PACKAGE_YEARS


_PACKAGE_YEARS: frozenset[int] | None = None


def written_day(day: date) -> str:
    """A day as a Chinese document writes it (受理回执, 公示, registry findings): 2026年12月1日, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def aware(moment: datetime) -> datetime:
    """A stored moment as an aware one (the database keeps UTC; SQLite drops the zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _dates(path: str | Path, raw: dict, key: str) -> dict[date, str]:
    table = raw.get(key, {})
    if not isinstance(table, dict):
        raise EngineError(f"{path}: [{key}] must be a table of \"YYYY-MM-DD\" = \"reason\"")
    out = {}
    for text, reason in table.items():
        try:
            out[date.fromisoformat(str(text))] = str(reason)
        except ValueError as exc:
            raise EngineError(f"{path}: [{key}] {text!r} is not a date (YYYY-MM-DD)") from exc
    return out
