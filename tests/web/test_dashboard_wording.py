"""The dashboard's column heads and filters in the words of a Chinese office: no bare statistics jargon
(`p90`), and the area the figures are grouped by named for what it is (the applicant's district, 区县)."""
from __future__ import annotations

import re

from conftest import login


def _heads(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)]


def test_no_bare_p90_column_head(app):
    client = login(app.test_client(), "admin")
    for path in ("/dashboard", "/dashboard/bottlenecks"):
        page = client.get(path, headers={"Accept-Language": "zh-CN"}).data.decode()
        heads = _heads(page)
        assert heads and "p90" not in heads, path
        assert "九成环节办结用时（工作日）" in heads, path


def test_the_area_filter_names_the_district(app):
    client = login(app.test_client(), "admin")
    page = client.get("/dashboard", headers={"Accept-Language": "zh-CN"}).data.decode()
    assert "街道（区县）" not in page  # the values are districts (上城区), not street offices
    assert re.search(r'<label>所在区县 <select name="area">', page)
    assert "各区县申请量" in page
    drill = client.get("/dashboard/cases?figure=accepted", headers={"Accept-Language": "zh-CN"}).data.decode()
    assert "街道（区县）" not in drill and "所在区县" in _heads(drill)


def test_in_english_the_subsidy_types_are_named_as_the_bpmn_translates_them(app, demo):
    """The dashboard's subsidies by type (table, chart and drill-down) name each type in the reader's language, from
    the form's options:en (就业补贴 stood in the English dashboard)."""
    client = login(app.test_client(), "admin")
    en = client.get("/dashboard", headers={"Accept-Language": "en-US"}).data.decode()
    types = en.split("Subsidies by type</h2>")[-1].split("</table>")[0]
    assert "Employment subsidy" in types and "Housing subsidy" in types, types
    assert not re.search(r"[\u4e00-\u9fff]", types), types
    drill = client.get("/dashboard/cases?figure=accepted&group=category&value=employment", headers={"Accept-Language": "en-US"})
    assert "Employment subsidy" in drill.data.decode() and "就业补贴" not in drill.data.decode()
    zh = client.get("/dashboard", headers={"Accept-Language": "zh-CN"}).data.decode()
    assert "就业补贴" in zh.split("补贴类型分布</h2>")[-1].split("</table>")[0]
