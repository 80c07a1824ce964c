"""The periods a reader chooses from: this month and the eleven before, this quarter and the three before, this year
and last, newest first, in the calendar's time zone; the period shown is among them even when it is older."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from engine.periods import Period, parse_period, recent

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc)  # already 1 February in Beijing


def _labels(choices):
    return {kind: [p.label for p in periods] for kind, periods in choices}


def test_the_recent_periods_end_with_the_current_ones_in_the_calendars_zone():
    choices = recent(TZ, now=NOW)
    assert [kind for kind, _ in choices] == ["month", "quarter", "year"]
    labels = _labels(choices)
    assert labels["month"] == ["2026-02", "2026-01", "2025-12", "2025-11", "2025-10", "2025-09", "2025-08", "2025-07",
                               "2025-06", "2025-05", "2025-04", "2025-03"]
    assert labels["quarter"] == ["2026Q1", "2025Q4", "2025Q3", "2025Q2"]
    assert labels["year"] == ["2026", "2025"]
    assert all(parse_period(label) == p for _, periods in choices for p, label in
               zip(periods, [p.label for p in periods])), "every choice reads back as itself"


def test_a_period_shown_that_is_not_recent_joins_its_own_kind_in_order():
    labels = _labels(recent(TZ, parse_period("2019"), now=NOW))
    assert labels["year"] == ["2026", "2025", "2019"] and len(labels["month"]) == 12
    labels = _labels(recent(TZ, Period(2025, "quarter", 1), now=NOW))
    assert labels["quarter"] == ["2026Q1", "2025Q4", "2025Q3", "2025Q2", "2025Q1"]
    assert _labels(recent(TZ, parse_period("2025-06"), now=NOW))["month"] == _labels(recent(TZ, now=NOW))["month"], \
        "a recent period is not listed twice"
