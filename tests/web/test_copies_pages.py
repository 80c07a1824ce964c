"""抄送 in the pages: the holder copies the case to a department; its members see it under 抄送我的 and open
the case read-only (no task of theirs in it); reading is recorded."""
from __future__ import annotations

import re

from conftest import login
from engine import directory
from engine.routing import Actor
from world import opened


def test_a_holder_copies_the_case_and_the_department_reads_it(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    hud = login(app.test_client(), "hud_reviewer")
    assert hud.get(f"/cases/{out.business_key}").status_code == 404  # not theirs to know of
    edu = login(app.test_client(), "edu_reviewer")
    assert 'id="cc"' in edu.get(f"/tasks/{draft}").data.decode()
    bad = edu.post(f"/tasks/{draft}/cc", data={"to": "NOWHERE"}, follow_redirects=True).data.decode()
    assert "不是部门或在岗用户：NOWHERE" in bad
    done = edu.post(f"/tasks/{draft}/cc", data={"to": "HUD，jointoffice", "note": "涉及住房核查口径"},
                    follow_redirects=True).data.decode()
    assert "不是部门或在岗用户：jointoffice" in done  # one unknown name: nothing is copied
    done = edu.post(f"/tasks/{draft}/cc", data={"to": "HUD", "note": "涉及住房核查口径"}, follow_redirects=True).data.decode()
    assert f"已将{out.business_key}抄送给3人" in done
    listed = hud.get("/cc").data.decode()
    assert out.business_key in listed and "涉及住房核查口径" in listed and "未读" in listed
    page = hud.get(f"/cases/{out.business_key}")
    assert page.status_code == 200 and 'class="task-form"' not in page.data.decode()
    assert "未读" not in hud.get("/cc").data.decode()
    assert hud.get(f"/tasks/{draft}").status_code == 403  # read-only: no task page of another department


def test_a_chief_delegates_the_draft_and_confirms_what_comes_back(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    chief = login(app.test_client(), "edu_supervisor")
    chief.post(f"/tasks/{draft}/delegate", data={"to_user": "edu_reviewer", "note": "先起草"})
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get(f"/tasks/{draft}").data.decode()
    assert "本事项由edu_supervisor委派" in page
    back = reviewer.post(f"/tasks/{draft}", data={"inquiry_subject": "社保口径", "questions": "请说明", "reply_days": "5"},
                         follow_redirects=True).data.decode()
    assert "已交回edu_supervisor确认" in back
    confirm = chief.get(f"/tasks/{draft}").data.decode()
    assert "edu_reviewer已代为办理" in confirm and 'value="社保口径"' in confirm
    done = chief.post(f"/tasks/{draft}", data={"inquiry_subject": "社保口径", "questions": "请说明", "reply_days": "5"},
                      follow_redirects=True).data.decode()
    assert "已办结" in done


def test_the_joint_office_supervises_an_overdue_inquiry_from_the_case_page(app, world):
    from datetime import datetime, timedelta, timezone
    from sqlalchemy import update
    from engine.models import Task
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    with world.rt.db.write() as session:
        session.execute(update(Task).values(due_at=datetime.now(timezone.utc) - timedelta(days=3)))
    joint = login(app.test_client(), "joint_reviewer")
    page = joint.get(f"/cases/{out.business_key}").data.decode()
    assert 'id="supervise"' in page
    done = joint.post(f"/cases/{out.business_key}/supervision", data={"reason": "函询超期未办", "days": "2"},
                      follow_redirects=True)
    assert done.status_code == 200 and "督办中" in done.data.decode()
    listed = joint.get("/supervision").data.decode()
    assert out.business_key in listed and "函询超期未办" in listed
    back = joint.post("/supervision/999999/close", data={"note": "", "back": "/cases/x\r\nX-Evil: 1"})
    assert back.status_code == 302 and back.headers["Location"].endswith("/supervision"), "was a 500: a header with a line break"
    assert login(app.test_client(), "edu_reviewer").get("/supervision").status_code == 403
    notes = login(app.test_client(), "edu_supervisor").get("/notifications").data.decode()
    assert "发起督办：函询超期未办" in notes


def test_the_copy_form_lists_the_departments_in_the_order_of_every_department_picker(app, world):
    with world.rt.db.write() as session:  # a unit, which follows its department
        directory.add_unit(session, Actor.system("test"), "STREET-WX", "文新街道", "Wenxin Street", "STREET", "西湖区", ["文三路"])
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    page = login(app.test_client(), "edu_reviewer").get(f"/tasks/{opened(out)['draft_inquiry']}").data.decode()
    copied = re.findall(r'<option value="([^"]+)"', page.split('id="cc-to"')[1].split("</optgroup>")[0])
    dashboard = login(app.test_client(), "joint_head").get("/dashboard").data.decode()
    picked = re.findall(r'<option value="([^"]+)"', dashboard.split('<select name="department">')[1].split("</select>")[0])
    assert copied == [code for code in picked if code] == sorted(copied)
    assert copied.index("STREET-WX") == copied.index("STREET") + 1 and len(copied) >= 9
