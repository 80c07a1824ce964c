"""/dashboard/alerts: filtered by department and kind, a page at a time, every alert on exactly one page."""
from __future__ import annotations

import re

from conftest import login

from engine import alerts
import web.dashboard


def _rows(page: str) -> list[tuple[str, str]]:
    """(kind, business key) of each alert row shown."""
    table = page.split('<table class="alerts">')[1].split("</table>")[0] if '<table class="alerts">' in page else ""
    return re.findall(r'<tr class="alert-(\w+)">\s*<td><a href="/cases/([^"]+)"', table)


def test_the_alert_list_filters_by_department_and_kind_and_pages(app, demo, monkeypatch):
    with demo.rt.db.read() as session:
        raised = alerts.open_alerts(session)
    kinds = {a["kind"] for a in raised}
    assert len(raised) > 3 and len(kinds) > 1, "the demo raises alerts of several kinds"
    monkeypatch.setattr(web.dashboard, "ALERTS_PER_PAGE", 3)
    client = login(app.test_client(), "joint_head")
    seen, page_no = [], 1
    while True:
        page = client.get(f"/dashboard/alerts?page={page_no}").data.decode()
        rows = _rows(page)
        assert 0 < len(rows) <= 3 and f'<small id="alert-total">{len(raised)}</small>' in page
        seen += rows
        if 'rel="next"' not in page:
            break
        page_no += 1
    assert page_no == (len(raised) + 2) // 3 and "第%d页，共%d页" % (page_no, page_no) in page
    assert sorted(seen) == sorted((a["kind"], a["business_key"]) for a in raised)  # each once, none left out
    kind = sorted(kinds)[0]
    only = _rows(client.get(f"/dashboard/alerts?kind={kind}").data.decode())
    assert only and {k for k, _ in only} == {kind}
    department = next(a["department"] for a in raised if a["department"])
    theirs = client.get(f"/dashboard/alerts?department={department}&kind={kind}").data.decode()
    expected = [a for a in raised if a["department"] == department and a["kind"] == kind]
    assert f'<small id="alert-total">{len(expected)}</small>' in theirs
    assert f'<option value="{department}" selected' in theirs
    # a supervisor filtering on a department they do not see gets their own alerts, not that department's
    chief = next(a["department"] for a in raised if a["department"] and a["department"] != "JOINT")
    other = next((a["department"] for a in raised if a["department"] not in (None, chief)), None)
    if other is not None:
        mine = login(app.test_client(), f"{chief.lower()}_supervisor").get(f"/dashboard/alerts?department={other}")
        assert {key for _, key in _rows(mine.data.decode())} <= {a["business_key"] for a in raised
                                                                  if a["department"] == chief}


def test_the_team_page_shows_the_first_alerts_and_links_to_the_rest(app, demo, monkeypatch):
    """本科室 lists a handful of alerts above the workload, not dozens: the rest are one link away, filterable."""
    import web.team
    client = login(app.test_client(), "edu_supervisor")
    with demo.rt.db.read() as session:
        theirs = alerts.open_alerts(session, ["EDU"])
    assert len(theirs) > 2, "the demo raises several alerts for 教育局"
    monkeypatch.setattr(web.team, "TEAM_ALERTS", 2)
    team = client.get("/team").data.decode()
    section = team.split('id="alerts"')[1].split("</section>")[0]
    assert len(_rows(section)) == 2 and f"<small>{len(theirs)}</small>" in section
    link = re.search(r'<a href="(/dashboard/alerts)" id="all-alerts">([^<]*)</a>', section)
    assert link and f"查看全部{len(theirs)}条预警" in link.group(2)
    assert len(_rows(client.get(link.group(1)).data.decode())) > 2
