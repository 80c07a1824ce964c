"""The public notice (公示) writes its period as a Chinese notice does: from … 至 …, not with a dash."""
import re

from test_notices import under_notice


def test_the_notice_period_reads_from_to(app, world):
    under_notice(world)
    page = app.test_client().get("/notices", headers={"Accept-Language": "zh-CN"}).data.decode()
    periods = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d[^<]*)</td>", page)
    assert len(periods) == 1 and re.fullmatch(r"\S+ \S+ 至 \S+ \S+", periods[0]), periods
    english = app.test_client().get("/notices", headers={"Accept-Language": "en"}).data.decode()
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d to \d{4}", english)
