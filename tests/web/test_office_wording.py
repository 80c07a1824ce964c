"""Words a civil servant reads on the dashboard, the alert rules, the assessment and the decision basis: 样本不足
(not 案件太少), no placeholder letter N in the Chinese kinds of alert, weights as shares in percent (40%, not 0.4),
a rule table's version as 第1版 (v1 in English) and 与现行规则版本一致."""
from __future__ import annotations

import re

from api_support import applicant, submit
from conftest import login

ZH = {"Accept-Language": "zh-CN"}


def test_a_figure_without_enough_cases_says_the_sample_is_too_small(app):
    page = login(app.test_client(), "admin").get("/dashboard", headers=ZH).data.decode()
    assert ">样本不足<" in page and ">案件太少<" not in page


def test_every_too_few_figure_says_the_sample_is_too_small_in_chinese(app):
    """The tooltip, the handling-time sentence, the assessment's legend and the heat map's label alike."""
    admin = login(app.test_client(), "admin")
    page = admin.get("/dashboard", headers=ZH).data.decode()
    assert 'title="样本不足，数字暂无统计意义"' in page
    spread = re.search(r'<p class="muted" id="handling-spread">(.*?)</p>', page, re.S).group(1)
    assert spread.startswith("办理时长：样本不足，"), spread
    legend = admin.get("/dashboard/assessment", headers=ZH).data.decode()
    assert "—：无数据或样本不足，数字暂无统计意义。" in legend
    heat = admin.get("/dashboard/bottlenecks.json?process=admission_review", headers=ZH).get_json()
    assert heat["labels"]["too_few"] == "样本不足"
    assert not [p for p in (page, legend, str(heat["labels"])) if "案件太少" in p or "太少" in p]


def test_the_kinds_of_alert_read_without_a_placeholder_letter(app):
    page = login(app.test_client(), "admin").get("/dashboard/alerts", headers=ZH).data.decode()
    options = re.findall(r"<option value=\"(?:idle|sla|age)\"[^>]*>([^<]*)</option>", page)
    assert "连续若干工作日无进展" in options and "环节用时达到时限的一定比例" in options
    assert options and not any(re.search(r"\bN\b", o) for o in options), options
    assert "<label>N <input" not in page and "阈值（工作日数或百分比）" in page


def test_weights_are_shown_as_shares_in_percent(app):
    page = login(app.test_client(), "auditor").get("/dashboard/assessment", headers=ZH).data.decode()
    shown = re.search(r'<p id="weights">(.*?)</p>', page).group(1)
    assert "40%" in shown and "0.4" not in shown, shown
    admin = login(app.test_client(), "admin")
    assert 'value="40"' in admin.get("/dashboard/assessment", headers=ZH).data.decode()
    admin.post("/dashboard/assessment/weights", data={"timeliness": "2", "speed": "1", "accuracy": "1",
                                                      "satisfaction": "0", "inquiries": "0"})
    page = login(app.test_client(), "auditor").get("/dashboard/assessment", headers=ZH).data.decode()
    assert "50%" in re.search(r'<p id="weights">(.*?)</p>', page).group(1)


def test_the_decision_basis_cites_the_rule_version_as_an_edition(app, world, client, issue):
    _, body = applicant(world)
    key = submit(client, issue("portal", "portal"), body).get_json()["business_key"]
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get(f"/cases/{key}").data.decode()
    assert "依据《积分入学积分规则（共享规则）》第1版" in page and "与现行规则版本一致" in page
    reviewer.post("/language", data={"language": "en"})
    assert re.search(r"By .+ v1 \(", reviewer.get(f"/cases/{key}").data.decode())
