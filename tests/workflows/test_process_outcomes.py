"""What each finished case came to and why, as the BPMN words it (end events' outcome_from / outcome_reasons):
录取 / 列入候补 / 不予录取 with the reasons and the school, 不予补贴 with the finding of the step that said no."""
from datetime import datetime, timedelta

import pytest
import time_machine

from engine import cases, outcomes
from engine.errors import InvalidInput
from engine.models import Case
from world import World, opened

from test_subsidy import through_street


@pytest.fixture
def world(db_url):
    return World(db_url)


def stated(world, out) -> outcomes.Stated | None:
    with world.rt.db.read() as session:
        case = session.get(Case, out.case_id)
        model = world.rt.model(session, case.definition_id)
        data = cases.current_data(cases.load(session, world.rt, case))
        return outcomes.stated(model.outcome_ends, case.visited.split(), data, model.glossary)


def reasons(found: outcomes.Stated) -> dict[str, object]:
    return {label: value for _, label, value in found.reasons}


def test_an_admission_takes_effect_with_its_decision_reasons_and_school(world):
    out = world.start("admission_review", world.person().admission())
    out = world.complete("edu_reviewer", out, "decide", decision="admit", school_assigned="文三街小学")
    assert out.status == "running" and stated(world, out) is None  # published, the appeal window open
    with time_machine.travel(datetime.fromisoformat(world.data(out.case_id)["appeal_deadline"]) + timedelta(seconds=1),
                             tick=False):
        out = world.fire(out.case_id)
    found = stated(world, out)
    assert out.status == "completed" and (found.text, found.end) == ("录取", "审定结果生效")
    assert reasons(found) == {"安排学校（录取须填）": "文三街小学", "总积分": world.data(out.case_id)["points_total"]}


def test_a_rejected_appeal_keeps_the_decision_and_says_why(world):
    out = world.start("admission_review", world.person(hud=None, years=3, months=24).admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=True, housing_type="none", hud_finding="无房产")
    out = world.complete("edu_reviewer", out, "decide", decision="waitlist", decision_reasons="积分未达录取线")
    out = world.message(out.business_key, "appeal", reason="有租赁合同")
    out = world.complete("joint_reviewer", out, "joint_review", joint_note="仅联席办会签")
    out = world.complete("joint_reviewer", out, "appeal_countersign", dept_upheld=False, dept_opinion="无新材料")
    out = world.complete("joint_reviewer", out, "joint_decision", appeal_upheld=False, joint_opinion="未提供备案材料")
    found = stated(world, out)
    assert (found.text, found.end) == ("列入候补", "申诉不成立，维持原审定")
    assert list(reasons(found))[:2] == ["联席审定意见", "理由（不予录取、列入候补须列明）"]
    assert reasons(found)["联席审定意见"] == "未提供备案材料"


@pytest.mark.parametrize("path", ["ineligible", "verify", "onsite", "approval"])
def test_a_refused_subsidy_names_the_finding_of_the_step_that_said_no(world, path):
    if path == "ineligible":
        out = through_street(world, world.person(employed=False), income_per_capita=9000)
        expected = "不符合补贴条件"
    elif path == "verify":
        out = through_street(world, world.person(employed=True))
        out = world.complete("hrss_reviewer", out, "manual_verify", verify_ok=False, verify_finding="仍在职，不符合")
        expected = "仍在职，不符合"
    elif path == "onsite":
        through_street(world, world.person("李娜", employed=False))
        out = through_street(world, world.person("王芳", employed=False))  # a shared account: on site
        out = world.complete("street_reviewer", out, "onsite_check", onsite_ok=False, onsite_note="申请人不在该址居住")
        expected = "申请人不在该址居住"
    else:
        out = through_street(world, world.person(employed=False))
        out = world.complete("hrss_supervisor", out, "approve_chief", approved=False, approval_note="家庭收入材料存疑")
        expected = "家庭收入材料存疑"
    found = stated(world, out)
    assert out.status == "completed" and found.text == "不予补贴"
    assert reasons(found) == {"不予补贴理由": expected}


def test_a_formal_inquiry_ends_with_its_answer(world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保", questions="请核实", reply_days=3)
    out = world.complete("hrss_reviewer", out, "draft_answer", answer="缴费48个月")
    out = world.complete("hrss_supervisor", out, "sign_answer", sign_decision="approve")
    out = world.complete("edu_reviewer", out, "review_answer", review_decision="accept")
    found = stated(world, out)
    assert (found.text, reasons(found)) == ("函询办结", {"答复意见": "缴费48个月"})


def test_a_revision_and_a_follow_up_say_what_is_wanted(world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保", questions="请核实", reply_days=3)
    out = world.complete("hrss_reviewer", out, "draft_answer", answer="缴费48个月")
    with pytest.raises(InvalidInput) as info:
        world.complete("hrss_supervisor", out, "sign_answer", sign_decision="revise")
    assert info.value.fields == {"sign_comment": "is required"}
    assert opened(out).keys() == {"sign_answer"}


def test_a_changed_decision_at_sign_off_carries_its_reason_and_an_admission_its_school(world):
    out = world.start("admission_review", world.person(years=3, months=40, employed=False).admission())  # borderline
    out = world.complete("edu_reviewer", out, "decide", decision="waitlist", decision_reasons="名额紧张")
    assert opened(out).keys() == {"sign_off"}
    with pytest.raises(InvalidInput) as info:
        world.complete("edu_supervisor", out, "sign_off", sign_off_decision="admit", sign_off_note="积分达线，改为录取")
    assert info.value.fields == {"school_assigned": "is required"}
    out = world.complete("edu_supervisor", out, "sign_off", sign_off_decision="reject", sign_off_note="居住证已过期")
    data = world.data(out.case_id)
    assert (data["decision"], data["decision_reasons"]) == ("reject", "居住证已过期")  # the change's reason is shown
