"""The dashboard in a real browser: ECharts draws every chart, the numbers match the API, and a drill-down
link lists the cases behind its number; JOINT's head sees all departments, a department head their own."""
from __future__ import annotations

import re

import pytest
from conftest import ARTIFACTS, ui_login
from test_browser import PHONE, assert_readable_on_a_phone

from engine import kpis, periods, tokens
from engine.routing import Actor

from web import create_app

CHARTS = ("chart-trend", "chart-on-time", "chart-overdue", "chart-area", "chart-process", "chart-category")


@pytest.fixture
def joint_token(demo):
    with demo.rt.db.write() as session:
        return tokens.issue(session, Actor.system("test"), "dashboard-check", "head", "JOINT").secret


def test_joint_head_sees_every_chart_and_numbers_match_the_api(demo, joint_token, server, page):
    world, secret = demo, joint_token
    period = kpis.current_period("quarter", world.rt.calendar.tz).label
    api = create_app({"DATABASE_URL": world.rt.db.url, "SECRET_KEY": "t"}).test_client()
    report = api.get(f"/api/v1/kpis?period={period}", headers={"Authorization": f"Bearer {secret}"}).get_json()
    ui_login(page, server, "joint_head")
    page.goto(f"{server}/dashboard?period={period}")
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart}[data-rendered='true'] svg", timeout=20000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-joint-head.png"), full_page=True)
    cards = page.locator(".kpi").all_inner_texts()
    accepted = next(c for c in cards if "受理申请数" in c)
    assert str(report["changes"]["accepted"]["value"]) in accepted
    rate = report["figures"]["success"].get("rate")
    success = next(c for c in cards if "积分入学申请成功率" in c)
    assert (f"{100 * rate:.1f}%" if rate is not None else "样本不足") in success
    departments = page.locator("table.figures tr[data-department]").evaluate_all("rows => rows.map(r => r.dataset.department)")
    assert {"EDU", "PSB", "JOINT"} <= set(departments)
    axis = page.inner_text("#chart-on-time")
    assert "教育局" in axis and "公安局" in axis and "EDU" not in axis, "the departments by name on the axes"
    months = page.inner_text("#chart-trend")
    assert re.search(r"\d{4}年\d{1,2}月", months) and not re.search(r"\d{4}-\d{2}", months), "months as 2026年11月"
    area, count = next((a, n) for a, n in report["figures"]["volume"]["by_area"].items() if a)
    page.click(f"table.figures a[href*='group=area'][href*='value=']:text-is('{count}')")
    page.wait_for_url(lambda url: "/dashboard/cases" in url)
    assert page.locator("table.drill tbody tr").count() == count
    assert_readable_on_a_phone(page, "table.drill", "dashboard-cases")
    page.set_viewport_size(PHONE)  # a phone opens the page at its width: the charts are drawn to it
    page.goto(f"{server}/dashboard?period={period}")
    page.wait_for_selector("#chart-on-time[data-rendered='true'] svg", timeout=20000)
    assert_readable_on_a_phone(page, "table.figures", "dashboard")


def test_a_department_head_sees_their_department(demo, server, page):
    ui_login(page, server, "edu_head")
    page.goto(f"{server}/dashboard")
    page.wait_for_selector("#chart-on-time[data-rendered='true'] svg", timeout=20000)
    departments = page.locator("table.figures tr[data-department]").evaluate_all("rows => rows.map(r => r.dataset.department)")
    assert departments == ["EDU"]
    assert page.locator("select[name=department] option").all_inner_texts() == ["教育局"]
    period, show = page.locator("form.filters [name=period]").bounding_box(), \
        page.locator("form.filters button[type=submit]").bounding_box()
    assert abs(period["y"] - show["y"]) < period["height"], "the filters and 查询 stand on one line at 1360 px"
    page.click("text=节点考核")
    page.wait_for_selector("table.assessment")
    assert page.locator("table.assessment tbody tr").count() == 1


def test_the_bottleneck_heat_map_colours_the_steps(demo, server, page):
    ui_login(page, server, "joint_head")
    page.goto(f"{server}/dashboard/bottlenecks?process=subsidy_approval")
    page.wait_for_selector("#heatmap[data-ready='true']", timeout=20000)
    coloured = page.locator("#heatmap .djs-element[class*='heat-']").count()
    rows = page.locator("#bottleneck-table tbody tr").count()
    assert rows >= 3 and coloured >= 3
    assert page.locator(".heat-badge").count() >= 1
    badges = " ".join(page.locator(".heat-badge").all_inner_texts())
    assert "当前在办：" in badges and "当前在办 " not in badges, badges  # the demo has cases waiting
    assert "个工作日" in badges and " 个工作日" not in badges, badges  # 3.2个工作日, as Chinese writes it


def test_the_street_office_chart_names_the_bar_of_applications_without_one(demo, server, page):
    """The applications without a street office (a 函询 has none) are a bar named 未填写, not a bar without a name;
    clicking it lists those cases."""
    period = kpis.current_period("quarter", demo.rt.calendar.tz).label
    ui_login(page, server, "joint_head")
    page.goto(f"{server}/dashboard?period={period}")
    page.wait_for_selector("#chart-area[data-rendered='true'] svg", timeout=20000)
    data = page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent)")
    assert "" in data["volume"]["by_area"], "the demo has applications without a street office"
    labels = page.locator("#chart-area svg text").all_text_contents()
    assert "未填写" in labels, labels


CUT_CHART_TEXTS = r"""ids => { const out = [];
    for (const id of ids) {
        const box = document.getElementById(id).getBoundingClientRect();
        for (const t of document.querySelectorAll(`#${id} svg text`)) {
            const r = t.getBoundingClientRect();
            if (!r.width || !t.textContent.trim()) continue;
            if (/(\.\.\.|…)$/.test(t.textContent)) out.push(`${id}: “${t.textContent}” shortened`);  // ECharts' own cut
            else if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
                out.push(`${id}: “${t.textContent}”`); } }
    return out; }"""


def test_the_charts_words_stay_inside_their_charts_in_both_languages(demo, server, page):
    """Axis names, department names under the bars, legends and pie labels (Human Resources and Social Security
    Bureau, School admission by points (joint review)) show whole inside their chart, in English as in Chinese, on
    an office screen and a small laptop."""
    from test_browser_english import in_english
    ui_login(page, server, "joint_head")
    cut = {}
    for language in ("zh", "en"):
        if language == "en":
            in_english(page)
        for width in (1400, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{server}/dashboard")
            for chart in CHARTS:
                page.wait_for_selector(f"#{chart}[data-rendered='true'] svg text", timeout=20000)
            if found := page.evaluate(CUT_CHART_TEXTS, list(CHARTS)):
                cut[f"{language} {width}"] = found
            page.screenshot(path=str(ARTIFACTS / f"dashboard-charts-{language}-{width}.png"), full_page=True)
    assert not cut, f"chart words cut off: {cut}"


def test_a_period_chosen_from_the_list_shows_its_own_figures(demo, server, page):
    """The clerk picks an earlier month from the period list, presses 查询 and reads that month's figures; the bar
    holds the list at 1024 px and on a phone, on the dashboard and the node assessment."""
    tz = demo.rt.calendar.tz
    with demo.rt.db.read() as session:
        def accepted(period):
            return kpis.compare(session, period, kpis.Scope(), tz)["changes"]["accepted"]["value"]
        shown = accepted(kpis.current_period("quarter", tz))
        month = next(p for p in dict(periods.recent(tz))["month"][1:] if accepted(p) not in (0, shown))
        count = accepted(month)
    ui_login(page, server, "joint_head")
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto(f"{server}/dashboard")
    assert page.locator("select[name=period] option:checked").inner_text() == \
        f"{kpis.current_period('quarter', tz).year}年第{kpis.current_period('quarter', tz).number}季度"
    page.select_option("select[name=period]", month.label)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(lambda url: f"period={month.label}" in url)
    assert f"{month.year}年{month.number}月" in page.inner_text("h1")
    card = next(c for c in page.locator(".kpi").all() if "受理申请数" in c.inner_text())
    assert card.locator(".kpi-value").inner_text() == str(count)
    assert f"period={month.label}" in card.locator("a").get_attribute("href"), "the number links to that month's cases"
    assert page.locator("select[name=period] option:checked").get_attribute("value") == month.label
    bar, chosen = page.locator("form.filters").bounding_box(), page.locator("select[name=period]").bounding_box()
    assert chosen["x"] + chosen["width"] <= bar["x"] + bar["width"] <= 1024
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024, "the page does not scroll sideways at 1024 px"
    page.screenshot(path=str(ARTIFACTS / "dashboard-period-1024.png"), full_page=True)
    page.wait_for_selector("#chart-on-time[data-rendered='true'] svg", timeout=20000)
    assert_readable_on_a_phone(page, "table.figures", "dashboard-period")
    page.goto(f"{server}/dashboard/assessment?period={month.label}")
    assert page.locator("select[name=period] option:checked").get_attribute("value") == month.label
    assert_readable_on_a_phone(page, "table.assessment", "assessment-period")
