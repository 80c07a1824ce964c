"""Working-day calendar: official holidays, make-up working days, office hours, override file."""
from datetime import date, datetime, timezone

import pytest

from engine.calendar import WorkCalendar
from engine.errors import EngineError

CAL = WorkCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_spring_festival_2026_and_makeup_saturday():
    assert not CAL.is_workday(date(2026, 2, 17))  # 春节
    assert not CAL.is_workday(date(2026, 2, 23))  # substituted day off
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday made a working day (调休)
    assert CAL.is_workday(date(2026, 2, 28))
    assert not CAL.is_workday(date(2026, 2, 15))  # ordinary Sunday


def test_national_day_week_is_skipped():
    # Tue 2026-09-29 10:00 + 3 working days: 30 Sep, then 1–8 Oct are holidays/weekend, then Fri 9 Oct
    due = CAL.add_workdays(at("2026-09-29T10:00:00+08:00"), 3)
    assert due == at("2026-10-09T10:00:00+08:00")


def test_friday_plus_one_working_day_is_monday():
    assert CAL.add_workdays(at("2026-11-27T15:00:00+08:00"), 1) == at("2026-11-30T15:00:00+08:00")


def test_start_on_a_day_off_counts_from_the_next_working_day():
    assert CAL.add_workdays(at("2026-11-28T10:00:00+08:00"), 1) == at("2026-12-01T00:00:00+08:00")


def test_office_hours_with_lunch_break():
    cal = WorkCalendar(office_hours="09:00-12:00,13:30-17:30")
    assert cal.day_length.total_seconds() == 7 * 3600
    # Fri 16:30 + 1 working day (7 h): 1 h on Friday, 6 h on Monday → Mon 16:30
    assert cal.add_workdays(at("2026-11-27T16:30:00+08:00"), 1) == at("2026-11-30T16:30:00+08:00")
    assert cal.add_workhours(at("2026-11-30T11:00:00+08:00"), 2) == at("2026-11-30T14:30:00+08:00")
    assert cal.workdays_between(at("2026-11-30T09:00:00+08:00"), at("2026-12-01T09:00:00+08:00")) == 1.0


def test_result_is_timezone_aware_whatever_the_input_zone():
    due = CAL.add_workdays(at("2026-11-27T07:00:00+00:00"), 1)
    assert due.tzinfo is not None and due.utcoffset().total_seconds() == 8 * 3600


def test_override_file_adds_notices(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text('[holidays]\n"2026-12-01" = "临时休假"\n[workdays]\n"2026-11-29" = "调休上班"\n', encoding="utf-8")
    cal = WorkCalendar.from_file(path)
    assert not cal.is_workday(date(2026, 12, 1))
    assert cal.is_workday(date(2026, 11, 29))  # a Sunday
    assert cal.holiday_name(date(2026, 12, 1)) == "临时休假"


@pytest.mark.parametrize("content, message", [
    ('[holidays]\n"2026-13-01" = "x"\n', "is not a date"),
    ("holidays = 3\n", "must be a table"),
    ("[holidays\n", "not valid TOML"),
])
def test_bad_override_file_is_named(tmp_path, content, message):
    path = tmp_path / "calendar.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EngineError, match=message) as info:
        WorkCalendar.from_file(path)
    assert str(path) in info.value.message


def test_bad_office_hours_are_refused():
    with pytest.raises(EngineError, match="HH:MM-HH:MM"):
        WorkCalendar(office_hours="nine to five")
    with pytest.raises(EngineError, match="overlap"):
        WorkCalendar(office_hours="09:00-12:00,11:00-13:00")


def test_negative_working_days_refused():
    with pytest.raises(EngineError):
        CAL.add_workdays(at("2026-11-27T15:00:00+08:00"), -1)


@pytest.mark.parametrize("zone, hours", [("Asia/Shanghai", ""), ("Asia/Shanghai", "09:00-12:00,13:30-17:30"),
                                         ("Europe/Berlin", "08:00-16:00")])
def test_long_spans_are_counted_from_the_year_table_exactly_as_day_by_day(zone, hours):
    import random
    from datetime import timedelta as td
    cal = WorkCalendar(zone, hours)
    rng = random.Random(7)
    for _ in range(1500):
        a = datetime(2024, 1, 1, tzinfo=timezone.utc) + td(minutes=rng.randrange(0, 3 * 365 * 1440))
        b = a + td(minutes=rng.randrange(-400 * 1440, 400 * 1440))
        lo, hi = sorted((a, b))
        by_day = cal._measured(lo.astimezone(cal.tz).date(), hi.astimezone(cal.tz).date(), lo.astimezone(cal.tz),
                               hi.astimezone(cal.tz)) / cal.day_length
        assert cal.workdays_between(a, b) == pytest.approx(by_day if b >= a else -by_day, abs=1e-9)
