"""The official calendar in the web app: a deadline in a year whose holidays are not confirmed is marked provisional
(inbox, task page, API), administrators are warned and import the year's notice, which moves the deadline."""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from conftest import login
from engine import cases, repository
from engine.models import AuditEntry, Task
from engine.models_office import CalendarNotice
from engine.routing import Actor
from tests.engine.test_calendar_notices import BODY, NOTICE_2027
from tests.factories import bpmn

CST = ZoneInfo("Asia/Shanghai")
LANES = {"EDU": ["s", "split", "check", "escalate", "escalated", "notify", "join", "e"]}


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CST)


def _check(world, case_id):
    with world.rt.db.read() as session:
        return session.execute(select(Task).where(Task.case_id == case_id, Task.element_id == "check")).scalar_one()


def test_a_provisional_deadline_is_marked_and_the_imported_notice_moves_it(app, world, issue):
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, Actor.system("test"), {"cross.bpmn": bpmn("cross", BODY, LANES, "跨年核验")})
    with time_machine.travel(at("2026-12-28", 10), tick=False), world.rt.db.write() as session:
        out = cases.start(session, world.rt, Actor.system("test"), "cross", {}, business_key="X-2026-1")
    task = _check(world, out.case_id)
    assert task.due_at == at("2027-01-05", 10)
    token = issue("edu-system", "reviewer", "EDU")
    with time_machine.travel(at("2026-12-28", 11), tick=True):
        reviewer = login(app.test_client(), "edu_reviewer")
        assert "（暂定）" in reviewer.get("/inbox?view=department").data.decode()
        page = reviewer.get(f"/tasks/{task.id}").data.decode()
        assert "data-provisional" in page and "暂定" in page
        items = {t["id"]: t for t in reviewer.get("/api/v1/tasks", headers=token).get_json()["items"]}
        assert items[task.id]["due_provisional"] is True
        admin = login(app.test_client(), "admin")
        warned = admin.get("/admin").data.decode()
        assert 'data-gap="2027"' in warned and "2027年法定节假日安排尚未确认：2个待办环节" in warned
        calendar = admin.get("/admin/calendar").data.decode()
        assert "未确认：系统推算，未含调休上班日" in calendar and "以下日期仅为推算" in calendar
        # a bad notice is named and changes nothing
        bad = NOTICE_2027.replace(b'"2027-01-02"', b'"2027-01-04"')
        answer = admin.post("/admin/calendar", data={"notice": (io.BytesIO(bad), "2027.toml")},
                            content_type="multipart/form-data", follow_redirects=True).data.decode()
        assert "通知未导入：2027.toml：[workdays] 2027-01-04本来就是工作日" in answer
        assert "Traceback" not in answer
        with world.rt.db.read() as session:
            assert session.execute(select(CalendarNotice)).first() is None
        assert _check(world, out.case_id).due_at == at("2027-01-05", 10)
        assert "请选择要导入的通知文件" in admin.post("/admin/calendar", data={}, follow_redirects=True).data.decode()
        # the notice: Saturday 2 January 2027 is a working day, the step is due a working day earlier
        answer = admin.post("/admin/calendar", data={"notice": (io.BytesIO(NOTICE_2027), "2027.toml")},
                            content_type="multipart/form-data", follow_redirects=True).data.decode()
        assert "2027年节假日通知已生效：1件在办案件的2个期限已重新计算。" in answer
        assert "已确认：已导入国务院通知" in answer and "元旦调休上班" in answer
        assert _check(world, out.case_id).due_at == at("2027-01-04", 10)
        assert 'data-gap="2027"' not in admin.get("/admin").data.decode()
        assert "data-provisional" not in reviewer.get(f"/tasks/{task.id}").data.decode()
        items = {t["id"]: t for t in reviewer.get("/api/v1/tasks", headers=token).get_json()["items"]}
        assert items[task.id]["due_provisional"] is False
        audit = admin.get("/audit?event=calendar_notice_imported").data.decode()
        assert "导入节假日通知" in audit
    with world.rt.db.read() as session:
        events = [e.event for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]
    assert events.count("calendar_notice_imported") == 1 and events.count("due_dates_recomputed") == 1


def test_the_import_card_shows_the_notice_format_on_the_page_not_in_a_readme(app, world):
    """An administrator was told the format was in the README: the page shows an example file and says what each key
    holds, in Chinese and in English; the example is a notice the import takes as it stands."""
    import html
    import re

    from engine import calendar_notices
    admin = login(app.test_client(), "admin")
    for language, words in (("zh_Hans_CN", "每个调休上班的周六或周日"), ("en", "every Saturday or Sunday made a working day")):
        admin.post("/language", data={"language": language, "next": "/admin"})
        card = admin.get("/admin/calendar").data.decode().split('id="import"')[1].split("</section>")[0]
        assert "README" not in card and words in card, card
        example = html.unescape(re.search(r'<pre class="notice-example"[^>]*>(.*?)</pre>', card, re.S).group(1))
        notice = calendar_notices.parse("2027.toml", example.encode())
        assert notice.year == 2027 and notice.holidays and notice.workdays
