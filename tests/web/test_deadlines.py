"""A step's deadline reads alike on every page: the badge says how long it is overdue (minutes, hours within a day,
then whole working days), the time when it is due today, else the whole working days left (a step that just arrived
with 3 working days has 3 left; 下一工作日到期 when less than a working day is left but the deadline falls on the next
working day); beside it the due moment, always as a date and a time (a day's end as 24:00)."""
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
AT = datetime.fromisoformat


@pytest.mark.parametrize("days, text", [(3, "剩余3个工作日"), (2.4, "剩余3个工作日"), (1.0, "剩余1个工作日"),
                                        (0.9, "下一工作日到期")])
def test_whole_working_days_left(app, world, days, text):
    cal = world.rt.calendar
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), time_machine.travel(NOW, tick=False):
        assert sla(cal.add_workdays(NOW, days))[0] == text


@pytest.mark.parametrize("moment, text, kind", [
    ("2026-12-01T17:30:00+08:00", "今天17:30到期", "sla-soon"),
    ("2026-12-02T00:00:00+08:00", "今天24:00到期", "sla-soon"),  # the end of today
    ("2026-12-01T09:55:00+08:00", "已超期5分钟", "sla-overdue"),  # minutes late, not a day late
    ("2026-12-01T08:00:00+08:00", "已超期2小时", "sla-overdue"),
    ("2026-11-30T11:00:00+08:00", "已超期23小时", "sla-overdue"),
    ("2026-12-01T00:00:00+08:00", "已超期10小时", "sla-overdue"),  # the end of yesterday
    ("2026-11-30T09:00:00+08:00", "已超期1个工作日", "sla-overdue"),
    ("2026-11-27T17:00:00+08:00", "已超期1个工作日", "sla-overdue"),  # Friday evening: the weekend is no working day
    ("2026-11-26T17:00:00+08:00", "已超期2个工作日", "sla-overdue"),
])
def test_due_today_by_the_time_and_overdue_by_how_long(app, world, moment, text, kind):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), time_machine.travel(NOW, tick=False):
        assert sla(AT(moment)) == (text, kind)


def test_the_badge_in_english(app, world):
    with app.test_request_context(headers={"Accept-Language": "en"}), time_machine.travel(NOW, tick=False):
        assert sla(AT("2026-12-01T17:30:00+08:00"))[0] == "due today at 17:30"
        assert sla(AT("2026-12-01T09:59:00+08:00"))[0] == "overdue 1 minute"
        assert sla(AT("2026-12-01T07:00:00+08:00"))[0] == "overdue 3 hours"
        assert sla(AT("2026-11-26T17:00:00+08:00"))[0] == "overdue 2 working days"


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_one_rule_for_a_deadline_in_every_language(app, language):
    """A due moment is its date and time in Asia/Shanghai, the midnight that ends a day as that day's 24:00; a date
    (a working day) is that day."""
    with app.test_request_context(headers={"Accept-Language": language}):
        assert due(datetime(2026, 12, 1, 6, 30, tzinfo=timezone.utc)) == "2026-12-01 14:30"
        assert due(datetime(2026, 12, 1, 6, 30)) == "2026-12-01 14:30"  # stored without a zone: UTC
        assert due(datetime(2026, 12, 2, 0, 0, tzinfo=SHANGHAI)) == "2026-12-01 24:00"  # a day's end, with its time
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
    shown = ((local.date() - timedelta(days=1)).isoformat() + " 24:00" if local.time() == time(0)
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
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        badge = '<span class="sla %s">%s</span> <time class="due" datetime="%s">%s</time>' % (
            sla(task.due_at)[1], sla(task.due_at)[0], task.due_at.isoformat(), shown)
    for name, response in pages.items():  # the same badge and moment, the step's page included
        assert badge in response.data.decode(), name


def test_every_deadline_shows_its_time_even_a_days_end(app, demo):
    """Deadlines that end a day (midnight) and those at a time of day read alike: no date without a time."""
    import re
    page = login(app.test_client(), "edu_supervisor").get("/team").data.decode()
    moments = re.findall(r'<time class="due" datetime="[^"]+">([^<]+)</time>', page)
    assert moments and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", m) for m in moments), moments


def test_a_supervision_deadline_on_the_case_page_reads_as_on_the_supervision_list(app, world):
    """督办's deadline: the same badge and moment on the case page as on the overseeing office's list."""
    import re
    from sqlalchemy import update
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    with world.rt.db.write() as session:  # an overdue case may be supervised
        session.execute(update(Task).values(due_at=datetime.now(timezone.utc) - timedelta(days=3)))
    joint = login(app.test_client(), "joint_reviewer")
    joint.post(f"/cases/{out.business_key}/supervision", data={"reason": "函询超期未办", "days": "2"})
    case = joint.get(f"/cases/{out.business_key}").data.decode().split('id="supervision-')[1].split("</div>")[0]
    listed = joint.get("/supervision").data.decode()
    shown = re.search(r'<span class="sla [^"]+">[^<]+</span> <time class="due"[^>]*>[^<]+</time>', listed).group(0)
    assert shown in case
