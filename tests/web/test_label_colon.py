"""A label and its value read as the language writes them: 发起时间：2026-12-01 10:00 in Chinese, Started: 2026-12-01
10:00 in English, never joined by a bare space (发起于 2026-12-01, Started 2026-12-01)."""
from __future__ import annotations

import re

from api_support import applicant, submit
from conftest import login
from engine import facts

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
MOMENT = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


def test_a_case_page_says_when_it_started_with_a_colon(app, world, client, issue):
    _, body = applicant(world)
    key = submit(client, issue("portal", "portal"), body).get_json()["business_key"]
    reader = login(app.test_client(), "admin")
    zh = reader.get(f"/cases/{key}", headers=ZH).data.decode()
    assert re.search(rf"发起时间：{MOMENT}", zh) and not re.search(rf"发起于 {MOMENT}", zh)
    en = reader.get(f"/cases/{key}", headers=EN).data.decode()
    assert re.search(rf"Started: {MOMENT}", en) and not re.search(rf"Started {MOMENT}", en)


def test_the_dashboard_and_assessment_join_labels_and_figures_with_a_colon(app):
    reader = login(app.test_client(), "admin")
    zh = reader.get("/dashboard", headers=ZH).data.decode()
    assert "环比：" in zh and "同比：" in zh and "环比 " not in zh
    en = reader.get("/dashboard", headers=EN).data.decode()
    assert "vs. previous: " in en and "vs. a year before: " in en
    reader = login(app.test_client(), "auditor")  # the weights are a form for an administrator
    zh = reader.get("/dashboard/assessment", headers=ZH).data.decode()
    assert re.search(r"<title>节点考核：", zh)
    assert "办结时效：" in re.search(r'<p id="weights">(.*?)</p>', zh).group(1)
    en = reader.get("/dashboard/assessment", headers=EN).data.decode()
    assert re.search(r"<title>Node assessment: ", en)
    assert re.search(r"imeliness: \d+%", re.search(r'<p id="weights">(.*?)</p>', en).group(1))


def test_the_bottleneck_badges_join_waiting_and_its_count_with_the_languages_colon(app):
    """The diagram's badge read 3.2 个工作日 · 当前等待 4: the page joins label and count with what this gives."""
    reader = login(app.test_client(), "admin")
    zh = reader.get("/dashboard/bottlenecks.json?process=admission_review", headers=ZH).get_json()["labels"]
    en = reader.get("/dashboard/bottlenecks.json?process=admission_review", headers=EN).get_json()["labels"]
    assert zh["colon"] == "：" and en["colon"] == ": "


def test_the_team_page_joins_its_counts_with_a_colon(app):
    reader = login(app.test_client(), "edu_supervisor")
    zh = reader.get("/team", headers=ZH).data.decode()
    assert re.search(r'在办任务：<strong id="total-open">\d+<', zh) and re.search(r'已超期：<strong id="total-overdue">', zh)
    en = reader.get("/team", headers=EN).data.decode()
    assert re.search(r'Open tasks: <strong id="total-open">\d+<', en)


def test_the_bottleneck_badges_days_are_placed_by_the_language(app, monkeypatch):
    """The badge read 3.2 个工作日: the number and its unit are one message, 3.2个工作日 / 3.2 working days."""
    import web.dashboard

    steps = {"review": {"name": "审核", "completed": 9, "work_days": {"n": 9, "too_few": False, "avg": 3.2},
                        "waiting": 1, "overdue": 0},
             "sparse": {"name": "复核", "completed": 1, "work_days": {"n": 1, "too_few": True}, "waiting": 0,
                        "overdue": 0}}
    monkeypatch.setattr(web.dashboard.kpis, "bottlenecks", lambda *args: steps)
    reader = login(app.test_client(), "admin")
    zh = reader.get("/dashboard/bottlenecks.json?process=admission_review", headers=ZH).get_json()["steps"]
    en = reader.get("/dashboard/bottlenecks.json?process=admission_review", headers=EN).get_json()["steps"]
    assert zh["review"]["days"] == "3.2个工作日" and en["review"]["days"] == "3.2 working days"
    assert zh["sparse"]["days"] is None and "days" not in steps["review"]


def test_the_dashboards_alert_count_is_a_badge_as_the_inbox_tabs_counts_are(app):
    """滞留预警 3 with a bare bold number read as a label and a value missing its colon; a count badge needs none."""
    page = login(app.test_client(), "admin").get("/dashboard", headers=ZH).data.decode()
    link = re.search(r'<a [^>]*id="alerts-link"[^>]*>(.*?)</a>', page).group(1)
    assert re.fullmatch(r'服务滞留预警 <span class="count">\d+</span>', link), link
    inbox = login(app.test_client(), "edu_reviewer").get("/inbox", headers=ZH).data.decode()
    assert re.search(r'我的待办 <span class="count" id="count-mine">\d+</span>', inbox)


def test_the_dashboards_two_sentences_follow_each_other_as_the_language_writes_them(app, world):
    """…按法定工作日计。 数据更新至… had a space after the Chinese full stop (a line break in the template)."""
    with world.rt.db.write() as session:  # the figures were brought up to date: the page says when
        facts.rebuild_all(session, world.rt)
    reader = login(app.test_client(), "admin")
    zh = reader.get("/dashboard", headers=ZH).data.decode()
    assert re.search(r"工作日计。数据更新至", zh), re.search(r"工作日计。.{0,30}", zh, re.S)
    en = reader.get("/dashboard", headers=EN).data.decode()
    assert re.search(r"official calendar\. Up to date as of ", en)
