"""退回 in the web pages and the REST API: the chief sends 科长签发 back to 拟写答复 with a reason; the
reviewer sees the reason on the reopened task; the case timeline shows both rounds."""
from __future__ import annotations

import re

from sqlalchemy import select

from conftest import login
from engine import cases
from engine.models import Task
from world import opened


def inquiry_at_sign_off(world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保月数口径", questions="请说明社保月数的计算口径",
                         reply_days=5)
    out = world.complete("hrss_reviewer", out, "draft_answer", answer="按实际缴费月数计算", evidence="")
    return out, opened(out)["sign_answer"]


def test_a_chief_sends_the_answer_back_and_the_reviewer_sees_why(app, world):
    out, sign = inquiry_at_sign_off(world)
    chief = login(app.test_client(), "hrss_supervisor")
    page = chief.get(f"/tasks/{sign}").data.decode()
    assert "退回" in page and "拟写答复" in page
    target = re.search(r'name="target" value="([0-9a-f-]{36})"', page).group(1)
    refused = chief.post(f"/tasks/{sign}/send-back", data={"target": target, "reason": "请补充政策依据"},
                         follow_redirects=True).data.decode()
    assert "请勾选确认" in refused  # no confirmation: nothing changed
    done = chief.post(f"/tasks/{sign}/send-back", data={"target": target, "reason": "请补充政策依据", "confirm": "1"},
                      follow_redirects=True).data.decode()
    assert "已退回至“拟写答复”" in done
    reviewer = login(app.test_client(), "hrss_reviewer")
    assert "拟写答复" not in reviewer.get("/inbox?view=department").data.decode()
    inbox = reviewer.get("/inbox?view=mine").data.decode()  # back to whoever drafted it (原经办人), claimed for them
    reopened = re.search(r'/tasks/([0-9a-f-]{36})', inbox[inbox.index("拟写答复") - 400:]).group(1)
    task_page = reviewer.get(f"/tasks/{reopened}").data.decode()
    assert "hrss_supervisor从“科长签发”退回" in task_page and "请补充政策依据" in task_page
    timeline = chief.get(f"/cases/{out.business_key}").data.decode()
    assert timeline.count("拟写答复") >= 3 and "科长签发 → 拟写答复" in timeline and "请补充政策依据" in timeline
    log = login(app.test_client(), "auditor").get(f"/audit?key={out.business_key}").data.decode()
    assert "退回人" in log and reopened not in log, "who sent it back, by name; not the reopened step's id"


def test_a_send_back_without_a_reason_or_by_another_department_changes_nothing(app, world):
    out, sign = inquiry_at_sign_off(world)
    chief = login(app.test_client(), "hrss_supervisor")
    target = re.search(r'name="target" value="([0-9a-f-]{36})"', chief.get(f"/tasks/{sign}").data.decode()).group(1)
    page = chief.post(f"/tasks/{sign}/send-back", data={"target": target, "reason": " ", "confirm": "1"},
                      follow_redirects=True).data.decode()
    assert "退回须填写理由" in page
    assert login(app.test_client(), "edu_supervisor").post(
        f"/tasks/{sign}/send-back", data={"target": target, "reason": "x", "confirm": "1"}).status_code == 403
    assert 'name="target"' not in login(app.test_client(), "hrss_reviewer").get(f"/tasks/{sign}").data.decode()


def test_the_api_lists_targets_and_sends_back(app, world):
    from engine import tokens
    from engine.routing import Actor
    out, sign = inquiry_at_sign_off(world)
    with world.rt.db.write() as session:
        issued = tokens.issue(session, Actor.system("test"), "hrss-chief", "supervisor", "HRSS", "hrss_supervisor")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {issued.secret}"}
    listed = client.get(f"/api/v1/tasks/{sign}/send-back", headers=headers)
    assert listed.status_code == 200, listed.json
    targets = {t["element_id"]: t for t in listed.json["targets"]}
    assert targets["draft_answer"]["department_name"] == "人社局"
    bad = client.post(f"/api/v1/tasks/{sign}/send-back", headers=headers,
                      json={"target": targets["draft_answer"]["target"], "reason": ""})
    assert bad.status_code == 422
    sent = client.post(f"/api/v1/tasks/{sign}/send-back", headers=headers,
                       json={"target": targets["draft_answer"]["target"], "reason": "请补充政策依据"})
    assert sent.status_code == 200 and [o["step"] for o in sent.json["opened"]] == ["拟写答复"]
    again = client.post(f"/api/v1/tasks/{sign}/send-back", headers=headers,
                        json={"target": targets["draft_answer"]["target"], "reason": "再次"})
    assert again.status_code == 409


def test_the_reviewer_takes_back_an_answer_the_chief_has_not_claimed(app, world):
    out, sign = inquiry_at_sign_off(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    with world.rt.db.read() as session:
        answer = session.execute(select(Task.id).where(
            Task.case_id == out.case_id, Task.element_id == "draft_answer")).scalar_one()
    page = reviewer.get(f"/tasks/{answer}").data.decode()
    assert "撤回" in page and 'id="withdraw"' in page
    assert 'id="withdraw"' not in login(app.test_client(), "hrss_supervisor").get(f"/tasks/{answer}").data.decode()
    done = reviewer.post(f"/tasks/{answer}/withdraw", follow_redirects=True).data.decode()
    assert "已撤回" in done and "按实际缴费月数计算" in done  # the reopened task, filled in as sent
    again = reviewer.post(f"/tasks/{answer}/withdraw", follow_redirects=True).data.decode()
    assert "已撤回" not in again


def test_the_api_refuses_to_take_back_once_the_next_step_is_claimed(app, world):
    from engine import tokens
    from engine.routing import Actor
    out, sign = inquiry_at_sign_off(world)
    with world.rt.db.write() as session:
        issued = tokens.issue(session, Actor.system("test"), "hrss-desk", "reviewer", "HRSS", "hrss_reviewer")
        answer = session.execute(select(Task.id).where(
            Task.case_id == out.case_id, Task.element_id == "draft_answer")).scalar_one()
    with world.rt.db.write() as session:
        cases.claim(session, world.rt, world.users["hrss_supervisor"], sign)
    refused = app.test_client().post(f"/api/v1/tasks/{answer}/withdraw",
                                     headers={"Authorization": f"Bearer {issued.secret}"})
    assert refused.status_code == 409 and "already claimed by hrss_supervisor" in refused.json["detail"]


def test_the_task_page_says_why_the_drafter_may_not_sign(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    out = world.complete("hrss_supervisor", out, "draft_answer", answer="按实际缴费月数计算", evidence="")
    sign = opened(out)["sign_answer"]
    page = login(app.test_client(), "hrss_supervisor").get(f"/tasks/{sign}").data.decode()
    assert "按不相容岗位规定，本环节须由他人办理" in page and 'class="task-form"' not in page
    assert 'class="task-form"' in login(app.test_client(), "hrss_head").get(f"/tasks/{sign}").data.decode()


def test_a_refused_withdrawal_says_why_on_the_task_page(app, world):
    """撤回 refused (the step is another's, or the step after it was claimed meanwhile): the task page again saying
    why, 403 or 409, where a bare error page or a redirect stood; nothing was taken back."""
    from test_side_form_refusals import lost_said

    out, sign = inquiry_at_sign_off(world)
    with world.rt.db.read() as session:
        answer = session.execute(select(Task.id).where(
            Task.case_id == out.case_id, Task.element_id == "draft_answer")).scalar_one()
    refused = login(app.test_client(), "hrss_supervisor").post(f"/tasks/{answer}/withdraw")
    said = lost_said(refused.data.decode())
    assert refused.status_code == 403 and "hrss_reviewer可以撤回" in said and "拟写答复" in said, said
    assert "您填写的内容未保存" not in said, "nothing was typed"
    with world.rt.db.write() as session:
        cases.claim(session, world.rt, world.users["hrss_supervisor"], sign)
    late = login(app.test_client(), "hrss_reviewer").post(f"/tasks/{answer}/withdraw")
    said = lost_said(late.data.decode())
    assert late.status_code == 409 and "已由hrss_supervisor签收，无法撤回" in said, said
    with world.rt.db.read() as session:
        assert (session.get(Task, answer).state, session.get(Task, sign).assignee) == ("completed", "hrss_supervisor")
