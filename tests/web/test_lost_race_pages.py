"""Typing is not lost when someone else takes the step meanwhile: a reviewer fills the form, a colleague claims
(签收) the step, it is reassigned (改派) or completed, or the case moves on at the same moment; the reviewer's 提交
or 暂存 then shows the task page again with what happened and exactly what they typed (read-only when they can no
longer act, still editable when they may), and changes nothing; one who is no longer of the step's department is
told only that, with their own text."""
from __future__ import annotations

import html
import re

from sqlalchemy import delete, func, insert, select, update

from conftest import login
from engine import cases
from engine.errors import Conflict
from engine.models import AuditEntry, Membership, Task, User
from world import opened

TYPED = {"inquiry_subject": "社保口径", "questions": "请说明参保年限的计算方法（第三条）", "reply_days": "5"}


def draft_step(world) -> str:
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return opened(out)["draft_inquiry"]


def given_back(page: str, name: str) -> str | None:
    """What the read-only copy of the form shows for a field (None: no such copy)."""
    found = re.search(rf'<textarea[^>]*id="typed_{name}"[^>]*readonly[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def editable(page: str, name: str) -> str | None:
    found = re.search(rf'<textarea name="{name}" id="f_{name}"[^>]*>(.*?)</textarea>', page, re.S) or \
        re.search(rf'<input name="{name}" id="f_{name}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def snapshot(world, task: str) -> tuple:
    with world.rt.db.read() as session:
        row = session.get(Task, task)
        logged = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        return row.state, row.assignee, row.draft, row.completed_by, logged


def test_a_colleague_claims_the_step_before_submit_and_the_typing_comes_back_read_only(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    assert reviewer.get(f"/tasks/{task}").status_code == 200
    assert login(app.test_client(), "edu_supervisor").post(f"/tasks/{task}/claim").status_code == 302
    before = snapshot(world, task)
    lost = reviewer.post(f"/tasks/{task}", data=TYPED)
    page = lost.data.decode()
    assert lost.status_code == 409 and 'id="lost-race"' in page and "Traceback" not in page
    said = re.search(r'id="lost-race"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "签收" in said and "edu_supervisor" in said and "未保存" in said
    assert given_back(page, "questions") == TYPED["questions"] and given_back(page, "inquiry_subject") == "社保口径"
    assert 'id="task-form"' not in page, "no form to submit a step one no longer holds"
    assert snapshot(world, task) == before, "nothing changed"


def test_saving_for_later_after_a_reassignment_gives_the_typing_back_and_keeps_nothing(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.get(f"/tasks/{task}")
    with world.rt.db.write() as session:
        cases.reassign(session, world.rt, world.users["edu_supervisor"], [task], "edu_head", "人手调整")
    before = snapshot(world, task)
    lost = reviewer.post(f"/tasks/{task}/save", data=TYPED)
    page = lost.data.decode()
    assert lost.status_code == 409 and "Traceback" not in page
    said = re.search(r'id="lost-race"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "改派" in said and "edu_head" in said
    assert given_back(page, "questions") == TYPED["questions"]
    assert snapshot(world, task) == before and before[2] is None, "no draft was kept for someone else's step"


def test_a_step_done_by_a_colleague_meanwhile_says_so_and_gives_the_typing_back(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.get(f"/tasks/{task}")
    world.complete("edu_supervisor", task, None, inquiry_subject="学籍口径", questions="另拟问题", reply_days=3)
    before = snapshot(world, task)
    for url in (f"/tasks/{task}", f"/tasks/{task}/save"):
        lost = reviewer.post(url, data=TYPED)
        page = lost.data.decode()
        assert lost.status_code == 409 and "Traceback" not in page
        said = re.search(r'id="lost-race"[^>]*>(.*?)</div>', page, re.S).group(1)
        assert "edu_supervisor" in said and "办结" in said
        assert given_back(page, "questions") == TYPED["questions"], url
    assert snapshot(world, task) == before and before[0] == "completed"


def test_a_case_changed_at_the_same_moment_keeps_the_form_editable_and_filled(app, world, monkeypatch):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.get(f"/tasks/{task}")

    def moved_on(session, task_ref, case, *rest):  # what the engine says when the case row's version moved meanwhile
        raise Conflict.coded("case_moved_on", key=case.business_key)

    monkeypatch.setattr(cases, "finish", moved_on)
    before = snapshot(world, task)
    lost = reviewer.post(f"/tasks/{task}", data=TYPED)
    page = lost.data.decode()
    assert lost.status_code == 409 and "Traceback" not in page
    said = re.search(r'id="lost-race"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "同时" in said and "重新提交" in said
    assert editable(page, "questions") == TYPED["questions"] and editable(page, "reply_days") == "5"
    assert 'id="task-form"' in page and given_back(page, "questions") is None, "they may still act: the form itself"
    assert snapshot(world, task) == before


def test_a_confirmed_answer_lost_to_a_colleague_comes_back_read_only(app, world):
    out = world.start("admission_review", world.person().admission())
    task = opened(out)["decide"]
    reviewer = login(app.test_client(), "edu_reviewer")
    form = {"decision": "reject", "decision_reasons": "居住证地址与实际居住地不符"}
    asked = reviewer.post(f"/tasks/{task}", data=form).data.decode()
    assert 'id="confirming"' in asked
    login(app.test_client(), "edu_supervisor").post(f"/tasks/{task}/claim")
    before = snapshot(world, task)
    lost = reviewer.post(f"/tasks/{task}", data={**form, "confirmed": "reject"})
    page = lost.data.decode()
    assert lost.status_code == 409 and 'id="confirming"' not in page and 'id="confirm-submit"' not in page
    assert given_back(page, "decision_reasons") == form["decision_reasons"]
    assert given_back(page, "decision") == "不予录取", "a choice comes back by its name"
    assert snapshot(world, task) == before


def test_one_no_longer_of_the_department_and_without_a_part_in_the_case_learns_nothing_of_it(app, world):
    """They once had their own text back on a 403 page naming the step's fields: that told anyone who posts to a
    step's address that it exists. One who may not open the case now gets what a step that is not there gets."""
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.get(f"/tasks/{task}")
    with world.rt.db.write() as session:  # moved to another department between opening the step and sending it
        uid = session.execute(select(User.id).where(User.username == "edu_reviewer")).scalar_one()
        session.execute(delete(Membership).where(Membership.user_id == uid))
        session.execute(insert(Membership).values(user_id=uid, department_code="PSB", role="reviewer"))
    world.complete("edu_supervisor", task, None, inquiry_subject="学籍口径", questions="另拟的问题", reply_days=3)
    before = snapshot(world, task)
    missing = "0b7e5a52-6f0e-4f57-a9c4-4d1b9c2f8e11"
    for url in (f"/tasks/{task}", f"/tasks/{task}/save"):
        lost = reviewer.post(url, data=TYPED)
        page = lost.data.decode()
        assert lost.status_code == 404 and "Traceback" not in page
        assert "另拟的问题" not in page and "edu_supervisor" not in page and "学籍口径" not in page, \
            "nothing of the step as it is now"
        assert "问题" not in page and reviewer.post(url.replace(task, missing), data=TYPED).status_code == 404
    assert snapshot(world, task) == before


def test_one_whose_role_no_longer_suffices_is_told_so_on_the_page_with_their_text(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="参保年限", reply_days=5)
    out = world.complete("hrss_reviewer", out, "draft_answer", answer="按实际缴费月数计算", evidence="参保记录")
    task = opened(out)["sign_answer"]
    chief = login(app.test_client(), "hrss_supervisor")
    assert 'id="task-form"' in chief.get(f"/tasks/{task}").data.decode()
    with world.rt.db.write() as session:  # no longer a section chief of HRSS meanwhile
        uid = session.execute(select(User.id).where(User.username == "hrss_supervisor")).scalar_one()
        session.execute(update(Membership).where(Membership.user_id == uid).values(role="reviewer"))
    before = snapshot(world, task)
    lost = chief.post(f"/tasks/{task}", data={"sign_decision": "revise", "sign_comment": "请补充缴费依据"})
    page = lost.data.decode()
    assert lost.status_code == 403 and "Traceback" not in page
    said = re.search(r'id="lost-race"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "不能再办理" in said and "重新提交" not in said
    assert given_back(page, "sign_comment") == "请补充缴费依据" and given_back(page, "sign_decision") == "退回修改"
    assert snapshot(world, task) == before
