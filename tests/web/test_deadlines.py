"""The SLA badge in whole working days: a step that just arrived with 3 working days has 3 left (today's begun
day counts), the last working day says 今日到期 (下一工作日到期 when less than a working day is left but the deadline
falls on the next working day, e.g. tomorrow at 9:30), and a day begun past the deadline counts as overdue."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import login
from sqlalchemy import select

from engine.models import Case, Task
from web.i18n import sla
from web.names import due

NOW = datetime.fromisoformat("2026-12-01T10:00:00+08:00")  # a Tuesday


@pytest.mark.parametrize("days, text", [(3, "剩余 3 个工作日"), (2.4, "剩余 3 个工作日"), (1.0, "剩余 1 个工作日"),
                                        (0.5, "今日到期"), (0.9, "下一工作日到期"), (-0.2, "已超期 1 个工作日")])
def test_whole_working_days_left_or_overdue(app, world, days, text):
    cal = world.rt.calendar
    due = cal.add_workdays(NOW, days) if days >= 0 else NOW - timedelta(hours=2)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), time_machine.travel(NOW, tick=False):
        assert sla(due)[0] == text


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_one_rule_for_a_deadline_in_every_language(app, language):
    """A due moment is its date and time in Asia/Shanghai; a working day (a date, or the midnight that ends the day
    before) is that day."""
    with app.test_request_context(headers={"Accept-Language": language}):
        assert due(datetime(2026, 12, 1, 6, 30, tzinfo=timezone.utc)) == "2026-12-01 14:30"
        assert due(datetime(2026, 12, 1, 6, 30)) == "2026-12-01 14:30"  # stored without a zone: UTC
        assert due(datetime(2026, 12, 2, 0, 0, tzinfo=SHANGHAI)) == "2026-12-01"
        assert due(date(2026, 12, 1)) == "2026-12-01"
        assert due(None) == "—"


def test_the_deadline_reads_the_same_on_every_page(app, demo):
    """The inbox, the team page, the case page and the step's page show a step's deadline alike (the moment beside
    the working days left), not only as a badge on some of them."""
    with demo.rt.db.read() as session:
        task, key = session.execute(
            select(Task, Case.business_key).join(Case, Case.id == Task.case_id)
            .where(Task.state == "open", Task.department_code == "EDU", Task.role == "reviewer",
                   Task.assignee.is_(None), Task.due_at.is_not(None))
            .order_by(Task.due_at, Task.id).limit(1)).one()
    local = task.due_at.astimezone(SHANGHAI)
    shown = ((local.date() - timedelta(days=1)).isoformat() if local.time() == time(0)
             else local.strftime("%Y-%m-%d %H:%M"))
    reviewer = login(app.test_client(), "edu_reviewer")
    supervisor = login(app.test_client(), "edu_supervisor")
    pages = {"inbox": reviewer.get("/inbox?view=department&sort=due"), "team": supervisor.get("/team"),
             "case": supervisor.get(f"/cases/{key}"), "task": supervisor.get(f"/tasks/{task.id}")}
    for name, response in pages.items():
        page = response.data.decode()
        assert response.status_code == 200 and shown in page, name
    for name in ("inbox", "team"):
        row = pages[name].data.decode().split(f'data-task="{task.id}"')[1].split("</tr>")[0]
        assert f'<time class="due" datetime="{task.due_at.isoformat()}">{shown}</time>' in row, name
