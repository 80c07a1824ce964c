"""The public notice (公示) is an official publication read by the public: its period reads as a Chinese notice writes
it, 2026年11月24日至2026年12月1日 (24 November 2026 to 1 December 2026 in English), never ISO dates or times; the
counter's papers write their days with the same formatter."""
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from engine.calendar import written_day
from test_notices import under_notice
from web.names import written

CST = ZoneInfo("Asia/Shanghai")


def _periods(page: str) -> list[str]:
    board = page.split('<table class="notices">', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", p).strip() for p in re.findall(r'<td class="period">(.*?)</td>', board, re.S)]


def test_the_notice_period_reads_as_an_official_notice_writes_it(app, world):
    # published on Tuesday 24 November 2026 at 10:00: five working days end on Tuesday 1 December
    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=CST), tick=False):
        under_notice(world)
        chinese = app.test_client().get("/notices", headers={"Accept-Language": "zh-CN"}).data.decode()
        english = app.test_client().get("/notices", headers={"Accept-Language": "en"}).data.decode()
    assert _periods(chinese) == ["2026年11月24日至2026年12月1日"]
    assert _periods(english) == ["24 November 2026 to 1 December 2026"]


def test_one_formatter_writes_a_day_as_chinese_documents_do():
    assert written_day(date(2026, 12, 1)) == "2026年12月1日"
    assert written_day(date(2027, 1, 31)) == "2027年1月31日"


def test_a_period_ending_at_midnight_ends_on_the_day_before(app):
    start, end = datetime(2026, 11, 25, 9, tzinfo=CST), datetime(2026, 12, 2, tzinfo=CST)  # to 1 December 24:00
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert (written(start), written(end, end=True)) == ("2026年11月25日", "2026年12月1日")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert (written(start), written(end, end=True)) == ("25 November 2026", "1 December 2026")
