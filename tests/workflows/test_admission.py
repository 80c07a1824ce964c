"""积分入学联审 end to end, on SQLite and PostgreSQL, through every path; each step reloads the case
from the database (save/restore between every step)."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from engine import assessment, clock
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.periods import parse_period
from workflows.portal import PUBLIC
from world import World, opened

CST = timezone(timedelta(hours=8))
ALL_OK = {"psb_ok", "hrss_ok", "hud_ok", "health_ok"}


@pytest.fixture
def world(db_url):
    return World(db_url)


def test_clean_application_passes_every_check_automatically(world):
    person = world.person()
    out = world.start("admission_review", person.admission())
    assert opened(out).keys() == {"decide"}
    data = world.data(out.case_id)
    assert all(data[k] for k in ALL_OK)
    assert data["points_total"] == 50 + 48 + 20 + 10 and data["recommendation"] == "admit"
    assert "居住证年限：50分" in data["points_detail"]
    assert world.inbox("EDU") == [(out.business_key, "decide")]
    assert world.inbox("PSB") == [] and world.inbox("HRSS") == []
    out = world.complete("edu_reviewer", out, "decide", decision="admit", school_assigned="文三街小学")
    assert out.opened == [] and out.status == "running"  # published, waiting out the appeal window
    due = world.data(out.case_id)["appeal_deadline"]
    with time_machine.travel(datetime.fromisoformat(due) + timedelta(seconds=1), tick=False):
        out = world.fire(out.case_id)
    assert out.status == "completed"
    events = world.events(out.case_id)
    assert events[0] == "case_started" and events[-1] == "case_completed" and "timer_fired" in events


def test_incomplete_application_lists_every_missing_item_and_takes_a_resubmission(world):
    person = world.person()
    out = world.start("admission_review", person.admission(phone="", child_id="123", materials=["residence_permit"]))
    assert out.opened == []
    missing = world.data(out.case_id)["missing_items"]
    assert missing == ["联系电话", "儿童身份证号有误（应为18位，实为3位）", "社保缴纳证明",
                       "房产证明或租赁备案证明", "儿童预防接种证明", "户口簿"]
    with pytest.raises(Conflict, match="not waiting for 'appeal'"):
        world.message(out.business_key, "appeal")
    assert world.events(out.case_id)[-1] == "clock_stopped"  # 补正: waiting on the applicant stops the clock
    out = world.message(out.business_key, "materials_resubmitted", phone="13800000000", child_id=person.child_id,
                        materials=["social_insurance", "housing", "vaccination", "household_register"])
    assert opened(out).keys() == {"decide"} and "clock_resumed" in world.events(out.case_id)
    assert world.data(out.case_id)["intake_rounds"] == 2


def test_registry_findings_write_dates_the_chinese_way(world):
    """A finding is read by reviewers and quoted in decisions: 2026年10月, not 2026-10."""
    out = world.start("admission_review", world.person().admission())
    finding = world.data(out.case_id)["hrss_finding"]
    assert finding.endswith("最近缴费2026年10月") and "2026-10" not in finding  # last paid 2026-10-01


def test_no_resubmission_within_ten_working_days_ends_the_case(world):
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=CST), tick=False):
        out = world.start("admission_review", world.person().admission(materials=[]))
    with time_machine.travel(datetime(2026, 12, 11, 10, 0, 1, tzinfo=CST), tick=False):
        out = world.fire(out.case_id)
    assert out.status == "completed" and "timer_fired" in out.events


def test_registry_mismatch_goes_to_that_departments_reviewer(world):
    person = world.person(psb={"expires": "2025-01-31"})
    out = world.start("admission_review", person.admission())
    assert opened(out).keys() == {"review_psb"}
    assert world.data(out.case_id, opened(out)["review_psb"])["psb_finding"] == "居住证已于2025年1月31日过期"
    assert world.inbox("PSB") == [(out.business_key, "review_psb")] and world.inbox("EDU") == []
    with pytest.raises(PermissionDenied):
        world.complete("hrss_reviewer", out, "review_psb", psb_ok=True, residence_years=8, psb_finding="-")
    out = world.complete("psb_reviewer", out, "review_psb", psb_ok=True, residence_years=8,
                         psb_finding="已现场换领新证，有效期至2031年")
    assert opened(out).keys() == {"decide"}


def test_manual_review_opens_an_inquiry_and_continues_with_the_answer(world):
    person = world.person(hud={"address": "杭州市西湖区天目山路1号"})
    out = world.start("admission_review", person.admission())
    assert opened(out).keys() == {"review_hud"}
    assert "不一致" in world.data(out.case_id, opened(out)["review_hud"])["hud_finding"]
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=False, housing_type="rent_filed",
                         hud_finding="地址不一致，需公安核实", hud_need_inquiry=True, hud_inquiry_target="PSB")
    assert opened(out).keys() == {"draft_inquiry"} and out.opened[0]["department_code"] == "HUD"
    out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                         questions="请核实申请人实际居住地址", reply_days=5)
    assert world.inbox("PSB") == [(out.business_key, "draft_answer")]
    out = world.complete("psb_reviewer", out, "draft_answer", answer="经核实，申请人已于2025年迁至天目山路1号")
    out = world.complete("psb_supervisor", out, "sign_answer", sign_decision="approve")
    out = world.complete("hud_reviewer", out, "review_answer", review_decision="accept")
    assert opened(out).keys() == {"review_hud"}, "back to the reviewer with the answer"
    assert world.data(out.case_id, opened(out)["review_hud"])["answer"].startswith("经核实")
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=True, housing_type="rent_filed",
                         hud_finding="公安函复确认新址，备案有效")
    assert opened(out).keys() == {"decide"}


def _housing_check_asks_psb(world, monday: datetime):
    """An admission case whose housing check (住建局) finds the address wrong and asks 公安局 (函询) on Monday 10:00."""
    person = world.person(hud={"address": "杭州市西湖区天目山路1号"})
    with time_machine.travel(monday, tick=False):
        out = world.start("admission_review", person.admission())
        return world.complete("hud_reviewer", out, "review_hud", hud_ok=False, housing_type="rent_filed",
                              hud_finding="地址不一致", hud_need_inquiry=True, hud_inquiry_target="PSB")


def test_a_department_waiting_on_another_departments_reply_has_that_wait_counted_apart(world):
    """住建局 asks 公安局 (函询): from the question to the answer the wait is kept as 住建局's, the node assessment
    shows it as waiting on another department, and the case's own clock runs on (the applicant still waits)."""
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    out = _housing_check_asks_psb(world, monday)
    assert "department_wait_started" in world.events(out.case_id)
    with world.rt.db.read() as session:
        assert clock.standing(session, out.case_id) is None  # not the applicant's 补正: the case clock runs
    with time_machine.travel(monday + timedelta(days=2), tick=False):  # Wednesday: two working days later
        out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                             questions="请核实申请人实际居住地址", reply_days=5)
        out = world.complete("psb_reviewer", out, "draft_answer", answer="申请人已迁至天目山路1号")
        out = world.complete("psb_supervisor", out, "sign_answer", sign_decision="approve")
        out = world.complete("hud_reviewer", out, "review_answer", review_decision="accept")
    assert opened(out).keys() == {"review_hud"} and "department_wait_ended" in world.events(out.case_id)
    with world.rt.db.read() as session:
        waits = [p for p in clock.of_case(session, out.case_id) if p.reason == "department"]
        assert [(p.department, p.element_id, p.days) for p in waits] == [("HUD", "inquiry_hud", 2.0)]
        period = parse_period("2026-11")
        rows = {r["department"]: r for r in assessment.assess(session, period, ["HUD", "PSB"], world.rt.calendar.tz,
                                                              now=monday + timedelta(days=7))["departments"]}
        assert rows["HUD"]["waited_days"] == 2.0 and rows["PSB"]["waited_days"] == 0.0
        assert assessment.flat(rows["HUD"])["waited_days"] == 2.0


def test_an_inquiry_sent_from_a_review_step_counts_for_the_department_asked(world):
    """住建局's reviewer asks 公安局 from the housing check (the inquiry is a called process of the admission case):
    the node assessment counts it as received and answered by 公安局, with its reply time, and the admission case
    keeps its own acceptance (the inquiry's `accepted` is the inquiry's, not the case's)."""
    from sqlalchemy import select

    from engine import facts, rollups
    from engine.models import CaseFact, InquiryFact
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    out = _housing_check_asks_psb(world, monday)
    with time_machine.travel(monday + timedelta(hours=1), tick=False):  # sent on Monday 11:00, due in 5 working days
        out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                             questions="请核实申请人实际居住地址", reply_days=5)
    with time_machine.travel(monday + timedelta(days=1), tick=False):
        out = world.complete("psb_reviewer", out, "draft_answer", answer="申请人已迁至天目山路1号")
    with time_machine.travel(monday + timedelta(days=1, hours=7), tick=False):  # signed Tuesday 17:00
        out = world.complete("psb_supervisor", out, "sign_answer", sign_decision="approve")
    with time_machine.travel(monday + timedelta(days=7), tick=False), world.rt.db.write() as session:
        while facts.refresh(session, world.rt):
            pass
        rollups.refresh(session, world.rt.calendar.tz)
    with world.rt.db.read() as session:
        own = session.execute(select(CaseFact).where(CaseFact.case_id == out.case_id)).scalar_one()
        assert own.accepted_at == monday and own.addressee is None and own.answered_at is None
        asked = session.execute(select(InquiryFact).where(InquiryFact.case_id == out.case_id)).scalar_one()
        assert (asked.process_key, asked.addressee, asked.asked_at, asked.reply_days) == (
            "admission_review", "PSB", monday + timedelta(hours=1), 1.25)
        assert asked.reply_due_at == monday + timedelta(days=7, hours=1)
        rows = {r["department"]: r for r in assessment.assess(session, parse_period("2026-11"), ["HUD", "PSB"],
                                                              world.rt.calendar.tz, now=monday + timedelta(days=7))
                ["departments"]}
    assert (rows["PSB"]["inquiries_received"], rows["PSB"]["inquiries_answered"]) == (1, 1)
    assert rows["PSB"]["reply_days"] == {"n": 1, "too_few": True} and rows["HUD"]["inquiries_received"] == 0


def test_two_inquiries_in_parallel_keep_their_own_answers(world):
    """住建局 and 人社局 each ask 公安局 at the same time; when both checks are done, the decision sees both
    answers (each under its department's key), not the second in place of the first."""
    person = world.person(hud={"address": "杭州市西湖区天目山路1号"}, hrss=None)
    out = world.start("admission_review", person.admission())
    assert opened(out).keys() == {"review_hud", "review_hrss"}
    hud_review, hrss_review = opened(out)["review_hud"], opened(out)["review_hrss"]
    out = world.complete("hud_reviewer", hud_review, hud_ok=False, housing_type="rent_filed", hud_finding="地址不一致",
                         hud_need_inquiry=True, hud_inquiry_target="PSB")
    hud_draft = opened(out)["draft_inquiry"]
    out = world.complete("hrss_reviewer", hrss_review, insured_months=0, employed=False, hrss_finding="本市无记录",
                         hrss_need_inquiry=True, hrss_inquiry_target="PSB")  # the verdict waits for the answer
    hrss_draft = opened(out)["draft_inquiry"]
    answers = {}
    for dept, draft, subject, answer in (("hud", hud_draft, "居住地址核实", "申请人已迁至天目山路1号"),
                                         ("hrss", hrss_draft, "就业情况核实", "申请人在外省参保至2025年")):
        out = world.complete(f"{dept}_reviewer", draft, inquiry_subject=subject, questions=f"请核实{subject}", reply_days=5)
        out = world.complete("psb_reviewer", opened(out)["draft_answer"], answer=answer)
        out = world.complete("psb_supervisor", opened(out)["sign_answer"], sign_decision="approve")
        out = world.complete(f"{dept}_reviewer", opened(out)["review_answer"], review_decision="accept")
        answers[dept] = opened(out)[f"review_{dept}"]
    world.complete("hud_reviewer", answers["hud"], hud_ok=True, housing_type="rent_filed", hud_finding="新址已核实")
    out = world.complete("hrss_reviewer", answers["hrss"], hrss_ok=True, insured_months=40, employed=True,
                         hrss_finding="外省参保已核实")
    assert opened(out).keys() == {"decide"}
    data = world.data(out.case_id, opened(out)["decide"])
    assert data["hud_inquiry"]["answer"] == "申请人已迁至天目山路1号"
    assert data["hrss_inquiry"]["answer"] == "申请人在外省参保至2025年"
    assert data["hud_inquiry"]["inquiry_subject"] == "居住地址核实" and data["hrss_inquiry"]["inquiry_subject"] == "就业情况核实"


def test_overdue_inquiry_is_escalated_to_the_joint_office(world):
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=CST)
    with time_machine.travel(friday, tick=False):
        out = world.start("admission_review", world.person(hrss=None).admission())
        out = world.complete("hrss_reviewer", out, "review_hrss", insured_months=0, employed=False,
                             hrss_finding="本市无记录，函询公安", hrss_need_inquiry=True, hrss_inquiry_target="PSB")
        out = world.complete("hrss_reviewer", out, "draft_inquiry", inquiry_subject="就业情况",
                             questions="请提供申请人就业登记", reply_days=2)
    with time_machine.travel(friday + timedelta(days=4, seconds=1), tick=False):  # Tue 10:00 = 2 working days
        out = world.fire(out.case_id)
    assert "escalation" in out.events
    assert (out.business_key, "supervise") in world.inbox("JOINT")
    assert (out.business_key, "draft_answer") in world.inbox("PSB")


def test_borderline_score_needs_the_section_chief(world):
    person = world.person(years=3, months=40, employed=False)  # 30 + 40 + 20 = 90: borderline
    out = world.start("admission_review", person.admission())
    data = world.data(out.case_id)
    assert data["points_total"] == 90 and data["needs_sign_off"] is True
    out = world.complete("edu_reviewer", out, "decide", decision="admit", school_assigned="文三街小学")
    assert opened(out).keys() == {"sign_off"} and out.opened[0]["role"] == "supervisor"
    with pytest.raises(PermissionDenied):
        world.complete("edu_reviewer", out, "sign_off", sign_off_decision="confirm", sign_off_note="同意")
    out = world.complete("edu_supervisor", out, "sign_off", sign_off_decision="waitlist", sign_off_note="名额已满，改为候补")
    assert world.data(out.case_id)["final_decision"] == "waitlist"


@pytest.mark.parametrize("upheld", [True, False])
def test_an_appeal_is_a_countersign_of_joint_and_the_departments_it_concerns(world, upheld):
    person = world.person(hud=None, years=3, months=24)  # no housing record: 30 + 24 + 0 + 10 = 64, waitlist
    out = world.start("admission_review", person.admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=True, housing_type="none", hud_finding="无房产")
    out = world.complete("edu_reviewer", out, "decide", decision="waitlist", decision_reasons="积分未达录取线")
    out = world.message(out.business_key, "appeal", reason="本人有租赁合同，住建局未备案")
    assert opened(out).keys() == {"joint_review"} and out.opened[0]["department_code"] == "JOINT"
    assert world.data(out.case_id)["appeal"]["reason"].startswith("本人有租赁合同")
    out = world.complete("joint_reviewer", out, "joint_review", consult_hud=True, consult_edu=True,
                         joint_note="涉及住建备案与积分认定")
    # 会签: JOINT and the two departments consulted each sign; the step waits for all three
    signatures = {row["department_code"]: row["id"] for row in out.opened}
    assert sorted(signatures) == ["EDU", "HUD", "JOINT"] and {r["element_id"] for r in out.opened} == {"appeal_countersign"}
    with pytest.raises(PermissionDenied):
        world.complete("edu_reviewer", signatures["HUD"], dept_upheld=True, dept_opinion="-")
    opinions = {"HUD": (upheld, "租赁合同已补办备案" if upheld else "无备案记录"), "EDU": (upheld, "按住建意见重算积分"),
                "JOINT": (False, "请各部门充分说明")}
    for department, user in (("HUD", "hud_reviewer"), ("JOINT", "joint_reviewer"), ("EDU", "edu_reviewer")):
        agreed, text = opinions[department]
        out = world.complete(user, signatures[department], dept_upheld=agreed, dept_opinion=text)
        if department != "EDU":
            assert out.opened == []  # 会签: every department signs before the decision
    assert opened(out).keys() == {"joint_decision"}
    summary = world.data(out.case_id)["panel_summary"]
    assert "住建局：申诉" in summary and "教育局：" in summary and "联席办：申诉不成立，请各部门充分说明" in summary
    assert [o["panel_department"] for o in world.data(out.case_id)["panel_opinions"]] == ["HUD", "JOINT", "EDU"]
    out = world.complete("joint_reviewer", out, "joint_decision", appeal_upheld=upheld,
                         joint_opinion="住建局补办备案" if upheld else "材料不足")
    if upheld:
        out = world.complete("edu_supervisor", out, "redecide", final_decision="admit", final_reasons="联席审核认定租赁属实",
                             school_assigned="文三街小学")
        assert world.data(out.case_id)["final_decision"] == "admit"
    assert out.status == "completed"
    assert "message_received" in world.events(out.case_id)


def test_unreachable_registry_routes_to_manual_review_and_says_why(world, monkeypatch):
    monkeypatch.setenv("JOINTREVIEW_REGISTRY_URL_HEALTH", "http://127.0.0.1:9/registry")  # nothing listens there
    monkeypatch.setenv("JOINTREVIEW_REGISTRY_TIMEOUT", "0.5")
    out = world.start("admission_review", world.person().admission())
    assert opened(out).keys() == {"review_health"}
    assert "接口暂不可用" in world.data(out.case_id, opened(out)["review_health"])["health_finding"]
    assert "registry_unavailable" in world.events(out.case_id)


def test_a_rejection_or_waiting_list_needs_reasons(world):
    out = world.start("admission_review", world.person().admission())
    with pytest.raises(InvalidInput) as info:
        world.complete("edu_reviewer", out, "decide", decision="reject")
    assert info.value.fields == {"decision_reasons": "is required"}
    out = world.complete("edu_reviewer", out, "decide", decision="reject", decision_reasons="居住证地址与实际不符")
    assert opened(out).keys() == {"sign_off"}  # differs from the recommendation: the chief signs off


def test_incomplete_vaccination_is_a_catch_up_requirement_not_a_refusal(world):
    """A child missing a vaccination is not refused: the health check passes with a catch-up (补种) due
    before the school year starts, and the published result states it as a condition of admission."""
    out = world.start("admission_review", world.person(vaccinated=False).admission())
    assert "review_health" not in opened(out), "no manual review, no refusal for a missing vaccination"
    data = world.data(out.case_id, opened(out)["decide"])
    assert data["health_ok"] is True and data["catch_up"] == "乙脑疫苗第二剂"
    assert data["catch_up_by"].endswith("-08-31") and "补种" in data["health_finding"]
    world.complete("edu_reviewer", out, "decide", decision="admit", decision_reasons="积分达到录取线",
                   school_assigned="文三街小学")
    shown = PUBLIC["admission_review"].published(world.data(out.case_id))
    assert shown["入学条件"].startswith(f"须于{data['catch_up_by']}前补种乙脑疫苗第二剂")
