"""One visibility rule everywhere, reads of personal data and bulk exports recorded, exports masked for
administrators without the auditor role, and auditors only read."""
from __future__ import annotations

import json

from conftest import login
from sqlalchemy import select

from engine.models import AuditEntry, Task
from workflows import idcards
from world import opened


def events(world, event):
    with world.rt.db.read() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.event == event)).scalars())


def test_a_peer_reviewer_does_not_see_another_departments_finding_but_those_who_decide_do(app, world):
    """背靠背: the parallel reviewers do not see each other's findings (fields marked `peer_blind` in the BPMN);
    the department that decides (the process's owner) sees every finding, labelled with the department's name."""
    person = world.person(hrss=None)  # no social-insurance record: HRSS reviews by hand
    out = world.start("admission_review", person.admission())
    out = world.complete("hrss_reviewer", out, "review_hrss", hrss_ok=True, insured_months=40, employed=True,
                         hrss_finding="人社内部核验意见：单位代缴")
    psb = login(app.test_client(), "psb_reviewer").get(f"/cases/{out.business_key}").data.decode()
    assert "人社内部核验意见" not in psb and "社保缴纳记录" not in psb
    hrss = login(app.test_client(), "hrss_reviewer").get(f"/cases/{out.business_key}").data.decode()
    assert "人社内部核验意见" in hrss
    edu = login(app.test_client(), "edu_reviewer")
    assert "人社内部核验意见" in edu.get(f"/cases/{out.business_key}").data.decode()
    page = edu.get(f"/tasks/{opened(out)['decide']}").data.decode()  # the decision rests on every finding
    assert "人社局 · 核验意见" in page and "人社内部核验意见" in page and "人社局 · 系统比对结果" in page


def test_reading_personal_data_in_full_is_recorded(app, world):
    out = world.start("admission_review", world.person().admission())
    login(app.test_client(), "edu_supervisor").get(f"/tasks/{opened(out)['decide']}")
    read = events(world, "data_read")
    assert read and read[-1].actor == "edu_supervisor" and "applicant_id" in json.loads(read[-1].details)["fields"]
    before = len(read)
    login(app.test_client(), "edu_reviewer").get(f"/tasks/{opened(out)['decide']}")  # masked: nothing read in full
    assert len(events(world, "data_read")) == before


def test_bulk_exports_are_masked_for_administrators_and_recorded(app, world):
    person = world.person()
    world.start("admission_review", person.admission())
    admin = login(app.test_client(), "admin").get("/audit/export.csv").data.decode("utf-8-sig")
    auditor = login(app.test_client(), "auditor").get("/audit/export.csv").data.decode("utf-8-sig")
    assert person.id_number not in admin and f"{person.id_number[:6]}********" in admin
    assert person.id_number in auditor
    exported = events(world, "audit_exported")
    assert [e.actor for e in exported] == ["admin", "auditor"] and json.loads(exported[0].details)["masked"] is True


def test_auditors_only_read(app, world):
    out = world.start("admission_review", world.person().admission())
    response = login(app.test_client(), "auditor").post(f"/cases/{out.business_key}/comments", data={"text": "审计意见"})
    assert response.status_code == 403 and not events(world, "comment_added")


def test_a_department_answering_an_inquiry_sees_the_inquiry_not_the_case_file(app, world):
    """公安局 passed its registry check by itself; its only part in the case is the 住建局's inquiry, so it sees
    the inquiry (what the inquiry's process declares) and the inquiry's steps, not the findings or the applicant's
    ID number."""
    person = world.person(hud={"address": "杭州市西湖区天目山路1号"})
    out = world.start("admission_review", person.admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=False, housing_type="rent_filed",
                         hud_finding="地址不一致需公安核实", hud_need_inquiry=True, hud_inquiry_target="PSB")
    out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                         questions="请核实申请人实际居住地址", reply_days=5)
    psb = login(app.test_client(), "psb_reviewer")
    task = psb.get(f"/tasks/{opened(out)['draft_answer']}").data.decode()
    assert "请核实申请人实际居住地址" in task and "函询部门" in task and "住建局" in task
    assert "地址不一致需公安核实" not in task and "总积分" not in task
    assert person.id_number not in task and idcards.mask(person.id_number) in task, "whom it concerns, masked"
    case = psb.get(f"/cases/{out.business_key}").data.decode()
    assert "拟写答复" in case and "撰写函询" in case
    assert "住房备案核验（人工）" not in case and "地址不一致需公安核实" not in case
    drawn = psb.get(f"/cases/{out.business_key}/diagram").get_json()
    assert drawn["done"] == [] and drawn["current"] == ["draft_answer"], "nor the path the rest of the case took"
    hud = login(app.test_client(), "hud_reviewer").get(f"/cases/{out.business_key}").data.decode()
    assert "住房备案核验（人工）" in hud and "地址不一致需公安核实" in hud
    assert "函询期间计时中止" in hud and "补正计时中止" not in hud, "a department's wait is no 补正"
    assert "review_hud" in login(app.test_client(), "hud_reviewer").get(f"/cases/{out.business_key}/diagram").get_json()["done"]


def test_the_subsidy_approver_sees_what_the_approval_rests_on(app, world):
    person = world.person("李娜", employed=False)
    out = world.start("subsidy_approval", {**person.subsidy(), "district": "西湖区"})
    out = world.complete("street_reviewer", out, "street_check", subsidy_type="employment", household_type="normal",
                         income_per_capita=2000, unemployed_months=6, first_check_ok=True, street_note="材料齐全，与原件核对一致")
    page = login(app.test_client(), "hrss_supervisor").get(f"/tasks/{opened(out)['approve_chief']}").data.decode()
    for text in ("初审意见", "材料齐全，与原件核对一致", "家庭人均月收入（元）", "失业月数", "主管部门系统核验结果",
                 "人社局登记为失业状态", "补贴金额（元）", "3000", "风险等级"):
        assert text in page, text
    assert "verify_finding" not in page and "None" not in page


def test_objectors_are_masked_like_applicants(app, world):
    from test_notices import OBJECTION, under_notice
    out, notice_id = under_notice(world)
    app.test_client().post(f"/notices/{notice_id}/objection", data=OBJECTION)
    reviewer = login(app.test_client(), "hrss_reviewer")
    with world.rt.db.read() as session:
        verify = session.execute(select(Task.id).where(Task.case_id == out.case_id, Task.element_id == "manual_verify",
                                                       Task.state == "open")).scalar_one()
    task = reviewer.get(f"/tasks/{verify}").data.decode()
    case = reviewer.get(f"/cases/{out.business_key}").data.decode()
    assert "异议理由" in case and "申请人仍在经营个体户" in case and "王*" in case and "137****7000" in case
    assert "王强" not in case and "13700137000" not in case and "objector_phone" not in case
    assert "王*" in task and "王强" not in task and "13700137000" not in task
    chief = login(app.test_client(), "hrss_supervisor").get(f"/cases/{out.business_key}").data.decode()
    assert "王强" in chief and "13700137000" in chief


def test_the_appeal_is_decided_on_its_reasons_every_finding_and_the_joint_opinion(app, world):
    person = world.person(hud=None, years=3, months=24)  # no housing record: the reviewer decides by hand
    out = world.start("admission_review", person.admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=True, housing_type="none", hud_finding="无房产备案记录")
    out = world.complete("edu_reviewer", out, "decide", decision="waitlist", decision_reasons="积分未达录取线")
    out = world.message(out.business_key, "appeal", reason="本人有租赁合同，住建局未备案")
    joint = login(app.test_client(), "joint_reviewer").get(f"/tasks/{opened(out)['joint_review']}").data.decode()
    for text in ("申诉理由：本人有租赁合同，住建局未备案", "住建局 · 核验意见", "无房产备案记录", "审定结果", "列入候补",
                 "积分未达录取线"):
        assert text in joint, text
    out = world.complete("joint_reviewer", out, "joint_review", consult_hud=True, joint_note="涉及住建备案")
    for row in out.opened:
        user = {"HUD": "hud_reviewer", "JOINT": "joint_reviewer"}[row["department_code"]]
        out = world.complete(user, row["id"], dept_upheld=True, dept_opinion="租赁合同已补办备案")
    out = world.complete("joint_reviewer", out, "joint_decision", appeal_upheld=True, joint_opinion="住建局补办备案，申诉成立")
    redecide = login(app.test_client(), "edu_supervisor").get(f"/tasks/{opened(out)['redecide']}").data.decode()
    assert "联席审定意见" in redecide and "住建局补办备案，申诉成立" in redecide and "joint_opinion" not in redecide
