"""Decisions that cannot be made by accident (issue #13 item 3), on the pages and in the API: a decision is one of
two named answers with none chosen beforehand, refused by name when left out; a refusal needs its reason; an
admission needs its school; an irreversible step says so; a finished case states its outcome and why."""
import re
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from conftest import login
from engine.models import Task
from workflows.walkthrough import BPMN
from world import opened


def radios(page: str, field: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{field}" value="(\w+)"[^>]*>\s*([^<]+?)\s*</label>', page)


def test_a_decision_is_two_named_answers_and_an_empty_one_is_refused_by_name(app, world):
    out = world.start("admission_review", world.person(hrss=None).admission())  # no social-insurance record
    task = opened(out)["review_hrss"]
    client = login(app.test_client(), "hrss_reviewer")
    page = client.get(f"/tasks/{task}").data.decode()
    assert radios(page, "hrss_ok") == [("true", "通过"), ("false", "不通过")]
    assert radios(page, "employed") == [("true", "在职"), ("false", "不在职")]
    assert not re.search(r'name="(hrss_ok|employed)"[^>]*checked', page)  # nothing chosen beforehand
    assert 'type="checkbox" name="hrss_need_inquiry"' in page  # asking another department is an optional flag
    form = {"insured_months": "36", "hrss_finding": "外省参保"}
    refused = client.post(f"/tasks/{task}", data=form)
    page = refused.data.decode()
    assert refused.status_code == 422
    assert "请选择“社保核验结论”" in page and "请选择“是否在职”" in page
    assert world.data(out.case_id, task).get("hrss_finding") != "外省参保"  # nothing was saved
    asked = client.post(f"/tasks/{task}", data={**form, "employed": "false", "hrss_need_inquiry": "on"})
    assert "请选择“函询部门（需函询时填写）”" in asked.data.decode()  # a department to ask must be named
    assert re.search(r'name="employed" value="false"[^>]*checked', asked.data.decode())  # the answer is kept
    done = client.post(f"/tasks/{task}", data={**form, "employed": "false", "hrss_ok": "false"})
    assert done.status_code == 302
    assert world.data(out.case_id)["hrss_ok"] is False and world.data(out.case_id)["employed"] is False


def test_an_empty_decision_is_refused_by_the_api_with_its_code(app, world, client, issue):
    first = world.start("subsidy_approval", world.person("李娜", employed=False).subsidy())
    world.complete("street_reviewer", first, "street_check", subsidy_type="employment", household_type="normal",
                   income_per_capita=2000, unemployed_months=6, first_check_ok=True, street_note="材料齐全")
    out = world.start("subsidy_approval", world.person("王芳", employed=False).subsidy())  # the same bank account
    out = world.complete("street_reviewer", out, "street_check", subsidy_type="employment", household_type="normal",
                         income_per_capita=2000, unemployed_months=6, first_check_ok=True, street_note="材料齐全")
    task = opened(out)["onsite_check"]
    street = issue("street-sys", "reviewer", "STREET")
    form = client.get(f"/api/v1/tasks/{task}", headers=street).get_json()["form"]
    onsite = next(f for f in form if f["id"] == "onsite_ok")
    assert onsite["required"] and onsite["options"] == [{"id": "true", "name": "属实"}, {"id": "false", "name": "不属实（不予补贴）"}]
    client.post(f"/api/v1/tasks/{task}/claim", headers=street)
    for values in ({"onsite_note": "已上门"}, {"onsite_ok": None, "onsite_note": "已上门"}):
        refused = client.post(f"/api/v1/tasks/{task}/complete", headers=street, json={"values": values})
        assert refused.status_code == 422
        assert refused.get_json()["errors"] == [{"field": "onsite_ok", "message": "is a decision: choose one answer",
                                                 "code": "not_chosen"}]
    done = client.post(f"/api/v1/tasks/{task}/complete", headers=street,
                       json={"values": {"onsite_ok": True, "onsite_note": "已上门，属实"}})
    assert done.status_code == 200, done.data


def confirmed(client, task: str, form: dict, asked: str):
    """Submit an irreversible step as a person does: the form is checked first, then the page asks to confirm the
    answer by name (nothing saved yet), then the confirmation sends it."""
    page = client.post(f"/tasks/{task}", data=form)
    assert page.status_code == 200 and 'id="confirming"' in page.data.decode()
    assert f"确认提交：{asked}？" in page.data.decode() and '<div id="form-buttons" hidden>' in page.data.decode()
    answer = re.search(r'name="confirmed" value="(\w+)"', page.data.decode()).group(1)
    return client.post(f"/tasks/{task}", data={**form, "confirmed": answer})


def test_a_refusal_needs_its_reason_and_an_admission_its_school(app, world):
    out = world.start("admission_review", world.person().admission())
    task = opened(out)["decide"]
    client = login(app.test_client(), "edu_reviewer")
    page = client.get(f"/tasks/{task}").data.decode()
    assert 'id="irreversible"' in page and 'id="confirming"' not in page
    refused = client.post(f"/tasks/{task}", data={"decision": "reject"}).data.decode()  # checked before asked
    assert "请填写“理由（不予录取、列入候补须列明）”" in refused and 'id="confirming"' not in refused
    refused = client.post(f"/tasks/{task}", data={"decision": "admit", "decision_reasons": "积分达标"}).data.decode()
    assert "请填写“安排学校（录取须填）”" in refused and "理由（不予录取" not in refused.split("field-error")[-1]
    assert confirmed(client, task, {"decision": "admit", "school_assigned": "文三街小学"}, "录取").status_code == 302


def test_an_answer_changed_after_it_was_confirmed_is_asked_again_and_nothing_is_saved_before(app, world):
    out = world.start("admission_review", world.person().admission())
    task = opened(out)["decide"]
    client = login(app.test_client(), "edu_reviewer")
    form = {"decision": "reject", "decision_reasons": "居住证地址与实际居住地不符"}
    asked = client.post(f"/tasks/{task}", data=form).data.decode()
    assert "确认提交：不予录取？" in asked and "居住证地址与实际居住地不符" in asked  # the form keeps what was typed
    with world.rt.db.read() as session:
        assert session.get(Task, task).state == "open"  # asking saved nothing
    changed = client.post(f"/tasks/{task}", data={"decision": "waitlist", "decision_reasons": "学位已满",
                                                   "confirmed": "reject"})
    assert changed.status_code == 200 and "确认提交：列入候补？" in changed.data.decode()
    with world.rt.db.read() as session:
        assert session.get(Task, task).state == "open"
    assert confirmed(client, task, {"decision": "waitlist", "decision_reasons": "学位已满"}, "列入候补").status_code == 302
    with world.rt.db.read() as session:
        assert session.get(Task, task).state == "completed"


def test_a_subsidy_refusal_and_a_failed_first_check_need_their_reasons(app, world):
    out = world.start("subsidy_approval", world.person(employed=False).subsidy())
    task = opened(out)["street_check"]
    client = login(app.test_client(), "street_reviewer")
    page = client.get(f"/tasks/{task}").data.decode()
    assert radios(page, "first_check_ok") == [("true", "通过（材料齐全、信息真实）"), ("false", "需补正（一次性告知）")]
    form = {"subsidy_type": "employment", "household_type": "normal", "income_per_capita": "2000",
            "unemployed_months": "6", "street_note": "缺离职证明"}
    refused = client.post(f"/tasks/{task}", data={**form, "first_check_ok": "false"}).data.decode()
    assert "请填写“需补正的材料及事项（一次性告知，每行一项）”" in refused
    client.post(f"/tasks/{task}", data={**form, "first_check_ok": "true"})
    with world.rt.db.read() as session:
        approval = session.execute(select(Task.id).where(Task.case_id == out.case_id, Task.state == "open")).scalar_one()
    chief = login(app.test_client(), "hrss_supervisor")
    page = chief.get(f"/tasks/{approval}").data.decode()
    assert radios(page, "approved") == [("true", "同意"), ("false", "不同意（不予补贴）")]
    assert 'id="irreversible"' in page
    refused = chief.post(f"/tasks/{approval}", data={"approval_note": ""}).data.decode()
    assert "请选择“审批结论”" in refused and "请填写“审批意见（不同意须列明理由）”" in refused
    assert confirmed(chief, approval, {"approved": "false", "approval_note": "收入材料存疑"},
                     "不同意（不予补贴）").status_code == 302


def test_a_finished_case_states_its_outcome_and_why(app, world):
    out = world.start("subsidy_approval", world.person(employed=False).subsidy())
    out = world.complete("street_reviewer", out, "street_check", subsidy_type="employment", household_type="normal",
                         income_per_capita=2000, unemployed_months=6, first_check_ok=True, street_note="材料齐全")
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=False, approval_note="收入材料存疑")
    page = login(app.test_client(), "street_reviewer").get(f"/cases/{out.business_key}").data.decode()
    outcome = page.split('id="outcome"')[1].split("</section>")[0]
    assert "<strong data-outcome>不予补贴</strong>" in outcome
    assert "<dt>不予补贴理由</dt><dd>收入材料存疑</dd>" in outcome
    assert "审批结论" in page and "不同意（不予补贴）" in page  # the timeline reads the answer by its name

    admitted = world.start("admission_review", world.person("李娜").admission())
    admitted = world.complete("edu_reviewer", admitted, "decide", decision="admit", school_assigned="文三街小学")
    client = login(app.test_client(), "edu_reviewer")
    assert 'id="outcome"' not in client.get(f"/cases/{admitted.business_key}").data.decode()  # not finished yet
    deadline = datetime.fromisoformat(world.data(admitted.case_id)["appeal_deadline"])
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        world.fire(admitted.case_id)
    outcome = client.get(f"/cases/{admitted.business_key}").data.decode().split('id="outcome"')[1].split("</section>")[0]
    assert "<strong data-outcome>录取</strong>" in outcome and "（审定结果生效）" in outcome
    assert "<dt>安排学校（录取须填）</dt><dd>文三街小学</dd>" in outcome


def test_an_inquiry_names_an_existing_case_at_the_window_and_in_the_api(app, world, issue):
    about = world.start("admission_review", world.person().admission()).business_key
    client = login(app.test_client(), "psb_reviewer")
    missing = client.post("/applications/new/formal_inquiry", data={"target_department": "HUD", "case_ref": ""})
    assert missing.status_code == 422 and "请填写“关联业务编号（函询所涉案件）”" in missing.data.decode()
    unknown = client.post("/applications/new/formal_inquiry", data={"target_department": "HUD", "case_ref": "ADM-2026-999999"})
    assert unknown.status_code == 422
    assert "关联业务编号（函询所涉案件）：找不到业务编号为ADM-2026-999999的案件" in unknown.data.decode()
    assert 'value="ADM-2026-999999"' in unknown.data.decode()  # what was typed stays to be corrected
    own = client.post("/applications/new/formal_inquiry", data={"target_department": "PSB", "case_ref": about})
    assert own.status_code == 422 and "被函询部门：不能选择本部门，函询须发往其他部门" in own.data.decode()
    both = client.post("/applications/new/formal_inquiry", data={"target_department": "PSB",
                                                                 "case_ref": "ADM-2026-999999"}).data.decode()
    assert "被函询部门：不能选择本部门" in both and "找不到业务编号为ADM-2026-999999的案件" in both, "all at once"
    form = client.get("/applications/new/formal_inquiry").data.decode()
    assert ">下一步：撰写正文</button>" in form and ">发送</button>" not in form, "the form only opens the draft"
    offered = re.findall(r'<option value="(\w+)"', form.split('name="target_department"')[1].split("</select>")[0])
    assert "PSB" not in offered and {"HUD", "EDU", "JOINT"} <= set(offered), "not its own bureau to ask"
    assert 'value="PSB"' not in own.data.decode().split('name="target_department"')[1].split("</select>")[0]
    started = client.post("/applications/new/formal_inquiry", data={"target_department": "HUD", "case_ref": about})
    assert started.status_code == 302 and "/tasks/" in started.headers["Location"], "on to drafting it"
    drafting = client.get(started.headers["Location"]).data.decode()
    assert "已创建，尚未发出：请在此撰写正文，点击“提交发送”后发出" in drafting and ">提交发送</button>" in drafting and "已发出" not in drafting and "撰写函询" in drafting and 'class="task-form"' in drafting, "claimed for its starter"

    api, psb = app.test_client(), issue("psb-sys", "reviewer", "PSB")
    body = {"target_department": "HUD", "inquiry_subject": "核实", "questions": "请核实。"}
    for extra, code in (({}, "missing"), ({"case_ref": "ADM-2026-999999"}, "no_case")):
        r = api.post("/api/v1/inquiries", headers={**psb, "Idempotency-Key": f"i-{code}"}, json={**body, **extra})
        assert r.status_code == 422 and [(e["field"], e["code"]) for e in r.get_json()["errors"]] == [("case_ref", code)]
        if code == "no_case":
            assert r.get_json()["errors"][0]["message"] == "there is no case with the business key ADM-2026-999999"
    sent = api.post("/api/v1/inquiries", headers={**psb, "Idempotency-Key": "i-ok"}, json={**body, "case_ref": about})
    assert sent.status_code == 201, sent.data


def test_a_deploy_says_why_in_the_api_as_on_the_designer_page(world, client, issue):
    designer = issue("designer-sys", "designer")
    files = [{"name": "formal_inquiry.bpmn", "content": (BPMN / "formal_inquiry.bpmn").read_text(encoding="utf-8")
              .replace('name="撰写函询"', 'name="撰写函询（新）"')}]
    for note in ({}, {"note": "  "}):
        r = client.post("/api/v1/processes/deployments", headers=designer, json={"files": files, **note})
        assert r.status_code == 422 and r.get_json()["errors"] == [{"field": "note", "message": "is required",
                                                                    "code": "required"}]
    assert client.post("/api/v1/processes/deployments", headers=designer,
                       json={"files": files, "dry_run": True}).status_code == 200  # a check needs no note
    broken = [{"name": "formal_inquiry.bpmn", "content": "<not-xml"}]
    r = client.post("/api/v1/processes/deployments", headers=designer, json={"files": broken})
    assert r.status_code == 422 and r.get_json()["errors"][0]["code"] == "invalid_model"  # the file's problems first
    done = client.post("/api/v1/processes/deployments", headers=designer, json={"files": files, "note": "环节更名"})
    assert done.status_code == 201, done.data



def test_in_english_a_decision_reads_as_the_bpmn_translates_its_answers(app, world):
    out = world.start("admission_review", world.person(hrss=None).admission())
    client = login(app.test_client(), "hrss_reviewer")
    client.post("/language", data={"language": "en", "next": "/"})
    page = client.get(f"/tasks/{opened(out)['review_hrss']}").data.decode()
    assert radios(page, "hrss_ok") == [("true", "Passed"), ("false", "Not passed")]
    assert radios(page, "employed") == [("true", "In work"), ("false", "Not in work")]
    refused = client.post(f"/tasks/{opened(out)['review_hrss']}", data={"insured_months": "36", "hrss_finding": "-"})
    assert "Choose an answer for “Social insurance verdict”" in refused.data.decode()
