"""The dashboard, the node assessment and the bottlenecks offer the recent periods to choose from (this month and the
eleven before, this quarter and the three before, this year and last) in the reader's words, the period shown
chosen; the server reads what is sent and names a bad period."""
from __future__ import annotations

import re

import pytest
from conftest import login

from engine import kpis

PAGES = ("/dashboard", "/dashboard/assessment", "/dashboard/bottlenecks")


def _choices(page: str) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
    """The period select's options by group (value, words) and the values chosen."""
    select = re.search(r'<select name="period">(.*?)</select>', page, re.S).group(1)
    groups = {label: re.findall(r'<option value="([^"]+)" ?(?:selected)?>([^<]+)</option>', body)
              for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)}
    return groups, re.findall(r'<option value="([^"]+)" selected>', select)


@pytest.mark.parametrize("path", PAGES)
def test_the_recent_periods_are_offered_in_chinese_with_the_current_quarter_chosen(app, world, path):
    tz = world.rt.calendar.tz
    quarter, month, year = (kpis.current_period(k, tz) for k in ("quarter", "month", "year"))
    groups, chosen = _choices(login(app.test_client(), "admin").get(path).data.decode())
    assert list(groups) == ["月份", "季度", "年度"]
    assert [v for v, _ in groups["月份"]] == [month.shift(-i).label for i in range(12)]
    assert [v for v, _ in groups["季度"]] == [quarter.shift(-i).label for i in range(4)]
    assert groups["年度"] == [(str(year.year), f"{year.year}年"), (str(year.year - 1), f"{year.year - 1}年")]
    assert (quarter.label, f"{quarter.year}年第{quarter.number}季度") in groups["季度"]
    assert [words for _, words in groups["月份"]] == [f"{p.year}年{p.number}月" for p in (month.shift(-i) for i in range(12))], \
        "a month as it is written: 2026年1月, not 2026年01月"
    assert chosen == [quarter.label]


def test_the_periods_are_offered_in_english_and_the_period_asked_for_is_chosen(app, world):
    client = login(app.test_client(), "admin")
    client.post("/language", data={"language": "en", "next": "/dashboard"})
    groups, chosen = _choices(client.get("/dashboard/assessment?period=2019").data.decode())
    assert list(groups) == ["Months", "Quarters", "Years"]
    assert chosen == ["2019"] and groups["Years"][-1] == ("2019", "2019"), "an older period asked for is listed"
    quarter = kpis.current_period("quarter", world.rt.calendar.tz)
    assert (quarter.label, f"Q{quarter.number} {quarter.year}") in groups["Quarters"]


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def test_a_month_is_written_as_english_writes_it(app, world):
    client = login(app.test_client(), "admin")
    client.post("/language", data={"language": "en", "next": "/dashboard"})
    month = kpis.current_period("month", world.rt.calendar.tz)
    groups, _ = _choices(client.get("/dashboard").data.decode())
    assert [words for _, words in groups["Months"]] == [f"{MONTHS[p.number - 1]} {p.year}"
                                                         for p in (month.shift(-i) for i in range(12))]
    for path in PAGES:  # the heading of each page names the period chosen the same way
        page = client.get(f"{path}?period=2026-11").data.decode()
        assert re.search(r"<h1>[^<]*<small>[^<]*November 2026", page), path
        assert "2026-11</" not in page and ">2026-11<" not in page


def test_a_period_out_of_range_is_named_and_the_current_quarter_shown(app, world):
    page = login(app.test_client(), "admin").get("/dashboard?period=1900").data.decode()
    assert "统计期间“1900”不在1970年至2200年之间" in page
    assert _choices(page)[1] == [kpis.current_period("quarter", world.rt.calendar.tz).label]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_bad_period_of_a_download_is_said_on_the_assessment_page_not_on_a_later_one(app, world, kind):
    """The download gave the current quarter's file (named so) for a period it refused, and its refusal waited in the
    session for whatever page came next."""
    client = login(app.test_client(), "admin")
    refused = client.get(f"/dashboard/assessment.{kind}?period=1969&process=admission_review")
    assert refused.status_code == 302 and "/dashboard/assessment?process=admission_review" in refused.headers["Location"]
    assert "统计期间“1969”不在1970年至2200年之间" in client.get(refused.headers["Location"]).data.decode()
    assert "1969" not in client.get("/dashboard").data.decode()


def test_a_bad_period_of_the_heat_map_is_answered_there_not_on_a_later_page(app, world):
    client = login(app.test_client(), "admin")
    refused = client.get("/dashboard/bottlenecks.json?process=admission_review&period=1969")
    assert refused.status_code == 400 and "1969" in refused.get_json()["error"]
    assert "1969" not in client.get("/dashboard").data.decode()
