"""One day at a time in the official calendar: an administrator adds a make-up working day or a day off and removes
it, without a notice file; the due dates move with it, every change is audited, a bad date or a duplicate is named
and changes nothing, and a guessed year stays provisional until the notice its days come from is named."""
from __future__ import annotations

from datetime import date

import time_machine
from sqlalchemy import select

from conftest import login
from engine import cases, repository
from engine.models import AuditEntry
from engine.routing import Actor
from tests.engine.test_calendar_notices import BODY
from tests.factories import bpmn
from tests.web.test_calendar_pages import LANES, _check, at


def _events(world) -> list[str]:
    with world.rt.db.read() as session:
        return [e for e in session.execute(select(AuditEntry.event).order_by(AuditEntry.seq)).scalars()
                if e.startswith("calendar_")]


def test_an_administrator_adds_and_removes_one_day_and_the_due_dates_follow(app, world):
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, Actor.system("test"), {"cross.bpmn": bpmn("cross", BODY, LANES, "跨年核验")})
    with time_machine.travel(at("2026-12-28", 10), tick=False), world.rt.db.write() as session:
        out = cases.start(session, world.rt, Actor.system("test"), "cross", {}, business_key="X-2026-1")
    assert _check(world, out.case_id).due_at == at("2027-01-05", 10)
    with time_machine.travel(at("2026-12-28", 11), tick=True):
        admin = login(app.test_client(), "admin")
        page = admin.get("/admin/calendar?year=2027").data.decode()
        assert 'id="days"' in page and '<label for="day_date">日期</label>' in page
        added = admin.post("/admin/calendar/days", data={"day": "2027-01-02", "kind": "workday", "name": "元旦调休上班"},
                           follow_redirects=True).data.decode()
        assert "2027-01-02已设为调休上班日。" in added and "1件在办案件的2个办理期限已随之调整。" in added
        assert _check(world, out.case_id).due_at == at("2027-01-04", 10), "the working-day computation sees the day"
        assert "未确认：已在此逐日录入，尚未填写所依据的通知" in added, "one day does not confirm a guessed year"
        assert 'data-provisional' in login(app.test_client(), "edu_reviewer").get(
            f"/tasks/{_check(world, out.case_id).id}").data.decode()
        for data, said in [
                ({"day": "2027-01-02", "kind": "workday", "name": "又一次"}, "2027-01-02已是调休上班日（元旦调休上班）"),
                ({"day": "2027-01-02", "kind": "holiday", "name": "元旦"}, "2027-01-02是调休上班日（元旦调休上班）：请先将其删除"),
                ({"day": "2027-02-30", "kind": "holiday", "name": "x"}, "日期未修改：请填写日期，如2027-10-01"),
                ({"day": "2027-01-06", "kind": "workday", "name": "x"}, "日期未修改：2027-01-06是周一至周五，本来就是工作日"),
                ({"day": "2027-01-09", "kind": "holiday", "name": "x"}, "2027-01-09是周六或周日，本来就不上班"),
                ({"day": "2027-01-06", "kind": "holiday", "name": " "}, "日期未修改：名称：必填，如春节，不超过50个字符"),
                ({"day": "2027-01-06", "kind": "other", "name": "x"}, "日期未修改：类型：请选择放假或调休上班")]:
            answer = admin.post("/admin/calendar/days", data=data, follow_redirects=True).data.decode()
            assert said in answer, said
        assert _events(world) == ["calendar_day_added"], "a refused day changes nothing"
        wrong = admin.post("/admin/calendar/days/remove", data={"day": "2027-01-05"}, follow_redirects=True).data.decode()
        assert "2027-01-05既不是2027年的放假日，也不是调休上班日" in wrong
        removed = admin.post("/admin/calendar/days/remove", data={"day": "2027-01-02"}, follow_redirects=True).data.decode()
        assert "2027-01-02已恢复为正常日期。" in removed
        assert _check(world, out.case_id).due_at == at("2027-01-05", 10)
        admin.post("/admin/calendar/days", data={"day": "2027-01-02", "kind": "workday", "name": "元旦调休上班"})
        with world.rt.db.read() as session:  # another process of the app: the day, the year still guessed
            world.rt.refresh_calendar(session, force=True)
        assert world.rt.calendar.is_workday(at("2027-01-02", 0).date()) and world.rt.calendar.confirmation(2027) is None
        assert "请填写所依据的通知" in admin.post("/admin/calendar/2027/source", data={"source": " "},
                                                  follow_redirects=True).data.decode()
        named = admin.post("/admin/calendar/2027/source", data={"source": "国务院办公厅关于2027年部分节假日安排的通知"},
                           follow_redirects=True).data.decode()
        assert "2027年的节假日安排已确认。" in named and "已确认：已导入国务院通知" in named
        assert 'data-provisional' not in login(app.test_client(), "edu_reviewer").get(
            f"/tasks/{_check(world, out.case_id).id}").data.decode()
        audit = admin.get("/audit?event=calendar_day_added").data.decode()
        assert "添加放假或调休上班日" in audit and "元旦调休上班" in audit
    assert _events(world) == ["calendar_day_added", "calendar_day_removed", "calendar_day_added",
                              "calendar_notice_named"]
    with world.rt.db.read() as session:  # another process sees the year confirmed (the notice named, no day changed)
        world.rt.refresh_calendar(session, force=True)
    assert world.rt.calendar.confirmation(2027) == "notice"


def test_a_confirmed_years_day_is_added_to_what_the_package_knows(app, world):
    with time_machine.travel(at("2026-06-01", 10), tick=True):
        admin = login(app.test_client(), "admin")
        before = admin.get("/admin/calendar?year=2026").data.decode()
        assert 'data-day="2026-10-01"' in before
        admin.post("/admin/calendar/days", data={"day": "2026-06-05", "kind": "holiday", "name": "地方节日"})
        page = admin.get("/admin/calendar?year=2026").data.decode()
        assert 'data-day="2026-06-05"' in page and 'data-day="2026-10-01"' in page, "the package's days stay"
        assert "已确认（部分日期在此修改）" in page and "节假日数据包的官方数据（已在此修改）" in page
    with world.rt.db.read() as session:  # another process of the app takes the change on its next reading
        world.rt.refresh_calendar(session, force=True)
    assert not world.rt.calendar.is_workday(at("2026-06-05", 0).date())
    assert not world.rt.calendar.is_workday(at("2026-10-01", 0).date())
    assert world.rt.calendar.confirmation(2026) == "notice"


def test_hidden_characters_in_a_days_name_and_an_endless_or_hidden_notice_name_are_refused(app, world):
    """A day's name with a text-direction override was kept (shown in every due date's explanation), and the notice
    named for a year could be 100,000 characters or hide such marks (found by a hostile review): each is refused
    naming the field, and nothing is stored or audited."""
    admin = login(app.test_client(), "admin")
    nul = admin.post("/admin/calendar/days", data={"day": "2027-10-08", "kind": "holiday", "name": "国庆\x00节"})
    assert nul.status_code == 400 and "“name”含有空字符" in nul.data.decode()  # refused before the page (web/nul.py)
    for name in ("国庆\u202e节", "国庆\x01节", "国庆\u200b节"):
        page = admin.post("/admin/calendar/days", data={"day": "2027-10-08", "kind": "holiday", "name": name},
                          follow_redirects=True).data.decode()
        assert "不可见字符" in page and "已设为放假" not in page, name
    assert _events(world) == []
    admin.post("/admin/calendar/days", data={"day": "2027-10-08", "kind": "holiday", "name": "国庆节"})
    for source in ("国务院办公厅通知" * 30, "国办发明电\u202e〔2026〕1号"):
        page = admin.post("/admin/calendar/2027/source", data={"source": source}, follow_redirects=True).data.decode()
        assert "2027年的节假日安排已确认" not in page and ("不可见字符" in page or "200" in page), source[:20]
    assert _events(world) == ["calendar_day_added"]


def test_a_day_entered_years_ahead_is_shown_where_it_can_be_seen_and_removed(app, world):
    """A day of 2072 typed for 2027 was stored, but the page then showed 2031 (only five years either side are shown),
    so the day, its year's unconfirmed notice and the form to confirm it could not be seen (found by a hostile review):
    a year with days entered is shown when asked for."""
    admin = login(app.test_client(), "admin")
    page = admin.post("/admin/calendar/days", data={"day": "2072-10-11", "kind": "holiday", "name": "国庆节"},
                      follow_redirects=True).data.decode()
    assert "2072-10-11已设为放假。" in page and "2072" in page.split('id="exceptions"')[1].split("</section>")[0]
    assert 'action="/admin/calendar/2072/source"' in page
    gone = admin.post("/admin/calendar/days/remove", data={"day": "2072-10-11"}, follow_redirects=True).data.decode()
    assert "2072-10-11已恢复为正常日期。" in gone


def test_two_administrators_changing_one_year_at_once_lose_neither_change(world, monkeypatch):
    """Each one-day change read the year's days, then stored the whole year: of two made at once the later one wrote
    over the earlier, which was audited as made but gone (found by a hostile review). The later is refused, the
    earlier stays, and nothing of the later is stored or audited."""
    import pytest

    from engine import calendar_days
    from engine.errors import Conflict

    rt, admin = world.rt, Actor.system("test")
    stale = calendar_days._fresh(rt).copy()  # what the second administrator's change starts from
    calendar_days.add(rt, admin, "2027-11-16", "holiday", "甲")
    monkeypatch.setattr(calendar_days, "_fresh", lambda rt: stale)
    with pytest.raises(Conflict):
        calendar_days.add(rt, admin, "2027-11-17", "holiday", "乙")
    monkeypatch.undo()
    known = calendar_days._fresh(rt).notices[2027].holidays
    assert known.get(date(2027, 11, 16)) == "甲" and date(2027, 11, 17) not in known
    assert _events(world) == ["calendar_day_added"]

    stale = calendar_days._fresh(rt).copy()
    calendar_days.remove(rt, admin, "2027-11-16")
    monkeypatch.setattr(calendar_days, "_fresh", lambda rt: stale)
    with pytest.raises(Conflict):
        calendar_days.name_notice(rt, admin, 2027, "国办发明电〔2026〕1号")


def test_a_day_whose_year_starts_with_a_digit_no_number_is_refused_not_a_server_error(app, world):
    """'²026-01-01' (a crafted form: str.isdigit() passes ², int() refuses it) was a 500 page after the engine had
    refused the day, when the page worked out which year to show again; now the refusal is said on this year's page."""
    admin = login(app.test_client(), "admin")
    for path, data in (("/admin/calendar/days", {"day": "²026-01-01", "kind": "holiday", "name": "节日"}),
                       ("/admin/calendar/days/remove", {"day": "²026-01-01"})):
        refused = admin.post(path, data=data)
        assert refused.status_code == 302 and "year=" not in refused.headers["Location"], path
