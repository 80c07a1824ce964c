"""Inbox, task and case pages through the test client: routing, validation, masking, comments."""
import json
import re

from sqlalchemy import select

from conftest import login
from engine.models import AuditEntry
from world import opened


def audit_events(world, event):
    with world.rt.db.read() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.event == event)).scalars())


def test_inbox_lists_and_filters_department_tasks(app, world):
    person = world.person("张伟")
    zhang = world.start("admission_review", person.admission())
    world.start("admission_review", world.person("李娜").admission())
    client = login(app.test_client(), "edu_reviewer")
    page = client.get("/inbox?view=department").data.decode()
    assert page.count("data-task=") == 2 and "张伟" in page and "李娜" in page
    assert 'id="count-department">2<' in page and 'id="count-mine">0<' in page
    for typed in ("张伟", person.id_number.lower(), person.child_id):  # exact values, through the index
        page = client.get(f"/inbox?view=department&applicant={typed}").data.decode()
        assert page.count("data-task=") == 1 and zhang.business_key in page, typed
    assert "data-task=" not in client.get("/inbox?view=department&applicant=张").data.decode()
    assert client.get("/inbox?view=department&due=overdue").data.decode().count("data-task=") == 0
    assert "data-task=" not in login(app.test_client(), "psb_reviewer").get("/inbox?view=department").data.decode()


def test_inbox_pages_by_cursor_without_repeating(app, world):
    for i in range(30):
        world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    client = login(app.test_client(), "edu_reviewer")
    first = client.get("/inbox?view=department").data.decode()
    ids = re.findall(r'data-task="([^"]+)"', first)
    after = re.search(r'href="([^"]*after=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = re.findall(r'data-task="([^"]+)"', client.get(after).data.decode())
    assert len(ids) == 25 and len(second) == 5 and not set(ids) & set(second)


def test_task_form_keeps_input_and_names_each_bad_field(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    task = opened(out)["draft_inquiry"]
    client = login(app.test_client(), "edu_reviewer")
    response = client.post(f"/tasks/{task}", data={"inquiry_subject": "社保核实", "questions": "", "reply_days": "99"})
    page = response.data.decode()
    assert response.status_code == 422
    assert "请填写“函询问题（逐条列明）”" in page and "“答复期限（工作日）”不得大于20" in page
    assert 'value="社保核实"' in page and 'value="99"' in page
    response = client.post(f"/tasks/{task}", data={"inquiry_subject": "社保核实", "questions": "请核实", "reply_days": "5"})
    assert response.status_code == 302
    assert "data-task" in login(app.test_client(), "hrss_reviewer").get("/inbox?view=department").data.decode()


def test_personal_data_is_masked_and_revealing_is_recorded(app, world):
    person = world.person()
    out = world.start("admission_review", person.admission())
    task = opened(out)["decide"]
    client = login(app.test_client(), "edu_reviewer")
    page = client.get(f"/tasks/{task}").data.decode()
    assert person.id_number not in page and f"{person.id_number[:6]}********{person.id_number[-4:]}" in page
    client.post(f"/cases/{out.business_key}/reveal", data={"field": "applicant_id", "task_id": task})
    assert person.id_number in client.get(f"/tasks/{task}").data.decode()
    revealed = audit_events(world, "data_revealed")
    assert revealed and revealed[0].actor == "edu_reviewer" and json.loads(revealed[0].details) == {"field": "applicant_id"}
    chief = login(app.test_client(), "edu_supervisor").get(f"/tasks/{task}").data.decode()
    assert person.id_number in chief


def test_case_page_records_the_view_and_shows_comments(app, world):
    out = world.start("admission_review", world.person().admission())
    task = opened(out)["decide"]
    client = login(app.test_client(), "edu_reviewer")
    client.post(f"/cases/{out.business_key}/comments", data={"task_id": task, "text": "请核对积分明细"})
    page = client.get(f"/cases/{out.business_key}").data.decode()
    assert "请核对积分明细" in page and "案件受理" in page
    assert [e.actor for e in audit_events(world, "case_viewed")] == ["edu_reviewer"]
    diagram = client.get(f"/cases/{out.business_key}/diagram").json
    assert diagram["current"] == ["decide"] and 'id="admission_review"' in diagram["xml"]
    assert {"start_application", "check_completeness", "auto_psb", "join_verification", "compute_points"} <= set(diagram["done"])
    assert "decide" not in diagram["done"]


def test_someone_else_completing_first_gives_a_conflict_page(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    task = opened(out)["draft_inquiry"]
    first, second = login(app.test_client(), "edu_reviewer"), login(app.test_client(), "edu_supervisor")
    form = {"inquiry_subject": "事项", "questions": "问题", "reply_days": "5"}
    assert first.post(f"/tasks/{task}", data=form).status_code == 302
    late = second.post(f"/tasks/{task}", data=form)
    assert late.status_code == 409 and "返回待办".encode() in late.data


def test_reviewers_are_not_offered_tasks_for_supervisors(app, world):
    person = world.person(years=3, months=40, employed=False)  # 90 points: the section chief signs off
    out = world.start("admission_review", person.admission())
    world.complete("edu_reviewer", out, "decide", decision="admit", school_assigned="文三街小学")
    reviewer = login(app.test_client(), "edu_reviewer").get("/inbox?view=department").data.decode()
    chief = login(app.test_client(), "edu_supervisor").get("/inbox?view=department").data.decode()
    assert "科长签批" not in reviewer and "科长签批" in chief


def test_internal_values_stay_hidden_and_options_read_as_words(app, world):
    out = world.start("admission_review", world.person().admission())
    page = login(app.test_client(), "edu_reviewer").get(f"/tasks/{opened(out)['decide']}").data.decode()
    assert "all_checks_ok" not in page and "needs_sign_off" not in page and "intake_rounds" not in page
    assert "租赁备案" in page and "rent_filed" not in page and "户口簿" in page


def test_the_timeline_masks_personal_data_and_reads_in_words(app, world):
    person = world.person()
    out = world.start("admission_review", person.admission())
    page = login(app.test_client(), "edu_reviewer").get(f"/cases/{out.business_key}").data.decode()
    assert person.id_number not in page and f"{person.id_number[:6]}********{person.id_number[-4:]}" in page
    assert "申请人身份证号" in page and "\\u" not in page
    assert person.id_number in login(app.test_client(), "auditor").get(f"/cases/{out.business_key}").data.decode()


def test_the_timeline_names_each_milestone_and_what_it_stated(app, world):
    out = world.start("admission_review", world.person().admission())
    world.complete("edu_reviewer", out, "decide", decision="admit", school_assigned="文三街小学")
    client = login(app.test_client(), "auditor")
    page = client.get(f"/cases/{out.business_key}").data.decode()
    reached = re.findall(r'<li class="ev-milestone">.*?</li>', page, re.S)
    named = [re.search(r'<span class="milestone">([^<]+)</span>', li) for li in reached]
    assert len(reached) == 2 and all(named), reached  # each entry says which milestone, not 办理节点 · 系统 alone
    assert [n.group(1) for n in named] == ["并联核验", "结果公示（录取）"]  # the marking element's name, the outcome
    client.post("/language", data={"language": "en"})
    assert '<span class="milestone">Publish the result (Admit)</span>' in client.get(f"/cases/{out.business_key}").data.decode()


def test_a_case_waiting_for_the_applicant_says_so_with_what_is_missing(app, world):
    out = world.start("admission_review", world.person().admission(materials=["residence_permit"]))
    page = login(app.test_client(), "auditor").get(f"/cases/{out.business_key}").data.decode()
    assert "等待：申请人补正材料" in page and "社保缴纳证明" in page and "户口簿" in page


def test_english_pages_name_events_and_departments_in_english(app, world):
    out = world.start("admission_review", world.person().admission())
    client = login(app.test_client(), "edu_reviewer")
    client.post("/language", data={"language": "en"})
    page = client.get(f"/cases/{out.business_key}").data.decode()
    assert "case started" in page and "Education Bureau" in page and "案件受理" not in page


def test_tab_counts_stop_at_a_cap(app, world, monkeypatch):
    from web import inbox
    for _ in range(3):
        world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    page = login(app.test_client(), "edu_reviewer").get("/inbox?view=department").data.decode()
    assert 'id="count-department">1+<' in page


def test_engine_refusals_read_in_chinese_with_department_names(app, world):
    """A task another reviewer has claimed, completed by someone else: the refusal is said in Chinese, with the
    department's name, not the engine's English; in English mode it reads in English (since a lost race gives the
    typing back, it is the task page's sentence of what happened, test_lost_race_pages.py)."""
    out = world.start("admission_review", world.person(psb={"status": "revoked"}).admission())
    task = opened(out)["review_psb"]
    first, second = login(app.test_client(), "psb_reviewer"), login(app.test_client(), "psb_supervisor")
    first.post(f"/tasks/{task}/claim")
    page = second.post(f"/tasks/{task}", data={"psb_finding": "x", "residence_years": "3"}, follow_redirects=True)
    text = page.data.decode()
    assert "在您填写期间，psb_reviewer已签收此环节。" in text and "claimed" not in text
    english = login(app.test_client(), "psb_supervisor")
    english.post("/language", data={"language": "en"})
    text = english.post(f"/tasks/{task}", data={"psb_finding": "x", "residence_years": "3"}, follow_redirects=True).data.decode()
    assert "While you were typing, psb_reviewer claimed this step." in text
