"""代理 in the pages: the chief names a deputy for tomorrow's absence; while it runs the deputy's inbox
shows the chief's claimed tasks and the top bar says whom they act for."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import login
from world import opened


def test_a_chief_names_a_deputy_who_then_sees_the_chiefs_tasks(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    chief = login(app.test_client(), "edu_supervisor")
    chief.post(f"/tasks/{draft}/claim")
    today = datetime.now(timezone(timedelta(hours=8))).date()
    bad = chief.post("/deputies", data={"deputy": "edu_supervisor", "from": str(today), "until": str(today),
                                        "reason": "出差"}, follow_redirects=True).data.decode()
    assert "代理人：是被代理人本人" in bad
    done = chief.post("/deputies", data={"deputy": "edu_reviewer", "from": str(today),
                                         "until": str(today + timedelta(days=2)), "reason": "赴省厅开会"},
                      follow_redirects=True).data.decode()
    assert "代理人已设置" in done and "赴省厅开会" in done
    deputy = login(app.test_client(), "edu_reviewer")
    mine = deputy.get("/inbox?view=mine").data.decode()
    assert "代理edu_supervisor" in mine and "撰写函询" in mine
    assert 'class="task-form"' in deputy.get(f"/tasks/{draft}").data.decode()
    refused = login(app.test_client(), "psb_reviewer").post("/deputies", data={
        "principal": "edu_supervisor", "deputy": "psb_reviewer", "from": str(today), "until": str(today),
        "reason": "x"}, follow_redirects=True).data.decode()
    assert "psb_reviewer不能为edu_supervisor指定代理人" in refused


def test_the_deputy_is_chosen_among_colleagues_by_name_and_the_days_are_labelled(app, world):
    from sqlalchemy import update
    from engine.models import User
    with world.rt.db.write() as session:
        session.execute(update(User).where(User.username == "edu_reviewer").values(display_name="李华"))
        session.execute(update(User).where(User.username == "edu_head").values(active=False))
    page = login(app.test_client(), "edu_supervisor").get("/deputies").data.decode()
    form = page.split('id="name-deputy"')[1].split("</form>")[0]
    deputy = form.split('<select name="deputy"')[1].split("</select>")[0]
    assert '<option value="edu_reviewer">李华（教育局）</option>' in deputy
    assert "psb_reviewer" not in deputy and "edu_supervisor" not in deputy, "another department's, or oneself"
    assert "edu_head" not in deputy, "an inactive user cannot be named"
    assert '<label for="deputy_from">开始日期</label>' in form and '<label for="deputy_until">结束日期（含当日）</label>' in form
    assert "<th>开始时间</th><th>结束时间</th>" in page, "the list and the form name the period alike"
    assert 'id="deputy_from"' in form and 'id="deputy_until"' in form
    absent = form.split('<select name="principal"')[1].split("</select>")[0]
    assert 'value="edu_reviewer"' in absent and "edu_head" not in absent, "a supervisor names for their members"
    reviewer = login(app.test_client(), "edu_reviewer").get("/deputies").data.decode()
    assert 'name="principal"' not in reviewer.split('id="name-deputy"')[1], "a reviewer names only their own"


def test_dates_out_of_range_and_hidden_or_endless_reasons_are_refused_and_name_no_deputy(app, world):
    """A crafted POST with the last day 9999-12-31, or days in the year 1, answered 500 (the date overflowed), and a
    reason of any length with hidden text-direction marks was kept and shown to the colleagues (found by a hostile
    review): each is refused plainly and nothing is named."""
    from sqlalchemy import func, select

    from engine.models import Deputy

    chief = login(app.test_client(), "edu_supervisor")
    today = datetime.now(timezone(timedelta(hours=8))).date()
    for first, last, reason, said in (
            ("2026-12-01", "9999-12-31", "出差", "日期"), ("0001-01-01", "0001-01-02", "出差", "起：须在2000年至2100年之间"),
            (str(today), str(today), "出差\u202e三天", "不可见字符"), (str(today), str(today), "出差" * 300, "500")):
        response = chief.post("/deputies", data={"deputy": "edu_reviewer", "from": first, "until": last,
                                                 "reason": reason}, follow_redirects=True)
        page = response.data.decode()
        assert response.status_code == 200 and said in page and "代理人已设置" not in page, (first, last, page[-3000:])
    with world.rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(Deputy)).scalar() == 0
