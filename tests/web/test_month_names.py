"""Months as the reader writes them on the dashboard: the trend chart's months and the assessment workbook's sheet
read 2026年11月 in Chinese and November 2026 (Nov 2026 under the chart's axis) in English, never the code 2026-11,
which stays what a click on the chart drills into."""
from __future__ import annotations

import io
import json
import re
from datetime import date

from babel.dates import format_date
from openpyxl import load_workbook

from conftest import login
from engine import kpis
from web.spreadsheet import sheet_title

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def _month(world) -> tuple[str, date]:
    label = kpis.current_period("month", world.rt.calendar.tz).label
    return label, date(int(label[:4]), int(label[5:]), 1)


def _trend(client, period, headers) -> list[dict]:
    page = client.get(f"/dashboard?period={period}", headers=headers).data.decode()
    return json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S)
                      .group(1))["trend"]


def test_the_trend_chart_names_its_months_in_the_readers_language(app, world):
    label, first = _month(world)
    client = login(app.test_client(), "admin")
    zh = _trend(client, label, ZH)
    assert len(zh) == 12 and zh[-1]["month"] == label  # the code stays, for the drill-down link
    assert zh[-1]["name"] == zh[-1]["short"] == f"{first.year}年{first.month}月"
    assert all(re.fullmatch(r"\d{4}年\d{1,2}月", m["name"]) for m in zh), zh
    en = _trend(client, label, EN)
    assert en[-1]["name"] == format_date(first, "MMMM y", locale="en")  # November 2026
    assert en[-1]["short"] == format_date(first, "MMM y", locale="en")  # Nov 2026
    assert not [m for m in zh + en if re.fullmatch(r"\d{4}-\d{2}", m["name"]) or re.fullmatch(r"\d{4}-\d{2}", m["short"])]


def test_the_assessment_workbook_names_its_sheet_by_the_month(app, world):
    label, first = _month(world)
    client = login(app.test_client(), "auditor")
    zh = load_workbook(io.BytesIO(client.get(f"/dashboard/assessment.xlsx?period={label}", headers=ZH).data))
    assert zh.active.title == f"{first.year}年{first.month}月"
    en = load_workbook(io.BytesIO(client.get(f"/dashboard/assessment.xlsx?period={label}", headers=EN).data))
    assert en.active.title == format_date(first, "MMMM y", locale="en")


def test_a_sheet_title_is_one_excel_accepts():
    assert sheet_title("2026年11月") == "2026年11月"
    assert sheet_title("a/b\\c[d]e:f*g?h") == "a b c d e f g h"
    assert len(sheet_title("x" * 40)) == 31 and sheet_title("'q'") == "q" and sheet_title("?") == "Sheet"
