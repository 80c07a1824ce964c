"""补贴审批 end to end on SQLite and PostgreSQL: every approval tier, fraud screening, public notice
with an objection, disbursement and its deadline."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from engine import announce, cases, clock, directory
from engine.errors import InvalidInput, PermissionDenied
from engine.routing import Actor, add_user, load_actor
from engine.models import AuditEntry, Case, Task
from workflows.models import Application
from workflows.portal import PUBLIC
from world import World, opened

CST = timezone(timedelta(hours=8))
ADMIN = Actor.system("test")
EMPLOYMENT = dict(subsidy_type="employment", household_type="normal", income_per_capita=2000, unemployed_months=6,
                  first_check_ok=True, street_note="材料齐全")


@pytest.fixture
def world(db_url):
    return World(db_url)


def through_street(world, person, **form):
    out = world.start("subsidy_approval", person.subsidy(**form.pop("start", {})))
    assert opened(out).keys() == {"street_check"} and out.opened[0]["department_code"] == "STREET"
    return world.complete("street_reviewer", out, "street_check", **{**EMPLOYMENT, **form})


def notice_and_pay(world, out, reference="PAY2026112700001"):
    until = world.data(out.case_id)["notice_until"]
    with time_machine.travel(datetime.fromisoformat(until) + timedelta(seconds=1), tick=False):
        out = world.fire(out.case_id)
    assert opened(out).keys() == {"disburse"} and out.opened[0]["department_code"] == "FIN"
    return world.complete("fin_reviewer", out, "disburse", payment_status="paid", payment_reference=reference,
                          paid_on="2026-12-08", paid_amount=world.data(out.case_id)["amount"])


def at_payment(world):
    """An employment subsidy approved by the section chief, its public notice over: FIN's 资金发放 is open."""
    out = through_street(world, world.person(employed=False))
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=True, approval_note="同意")
    until = world.data(out.case_id)["notice_until"]
    with time_machine.travel(datetime.fromisoformat(until) + timedelta(seconds=1), tick=False):
        return world.fire(out.case_id)


def application(world, key):
    with world.rt.db.read() as session:
        return session.execute(select(Application).where(Application.business_key == key)).scalar_one()


def test_employment_subsidy_up_to_5000_is_approved_by_the_section_chief_and_paid(world):
    person = world.person(employed=False)
    out = through_street(world, person)
    data = world.data(out.case_id, opened(out)["approve_chief"])
    assert (data["eligible"], data["amount"], data["competent_department"]) == (True, 3000, "HRSS")
    assert data["risk_level"] == "low" and data["verify_ok"] is True
    assert out.opened[0]["department_code"] == "HRSS" and out.opened[0]["role"] == "supervisor"
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=True, approval_note="同意")
    assert out.opened == []  # public notice running
    out = notice_and_pay(world, out)
    assert out.status == "completed"
    assert application(world, out.business_key).status == "paid"


def test_housing_subsidy_above_5000_needs_the_bureau_head(world):
    person = world.person()
    out = through_street(world, person, subsidy_type="housing", monthly_rent=1800, income_per_capita=3000)
    assert opened(out).keys() == {"approve_head"}
    assert out.opened[0]["department_code"] == "HUD" and out.opened[0]["role"] == "head"
    assert world.data(out.case_id, opened(out)["approve_head"])["amount"] == 10800
    out = world.complete("hud_head", out, "approve_head", approved=True, approval_note="同意发放")
    assert notice_and_pay(world, out).status == "completed"


def test_not_eligible_is_rejected_and_recorded(world):
    out = through_street(world, world.person(), income_per_capita=8000)
    assert out.status == "completed" and out.opened == []
    assert application(world, out.business_key).status == "rejected"


def test_refusals_tell_the_applicant_why_and_what_they_can_do(world):
    """A first check not corrected in time and an ineligible application each carry their reasons and the notice
    of rights (行政复议 within 60 days, 行政诉讼 within 6 months) in what the portal shows."""
    view = PUBLIC["subsidy_approval"]
    with time_machine.travel(datetime(2026, 11, 27, 10, 0, tzinfo=CST), tick=False):
        out = through_street(world, world.person(), first_check_ok=False, street_note="材料不全",
                             correction_items="失业登记证明原件")
    with time_machine.travel(datetime(2026, 12, 11, 10, 0, 1, tzinfo=CST), tick=False):  # 10 working days later
        out = world.fire(out.case_id)
    with world.rt.db.read() as session:
        assert "end_first_check_failed" in session.get(Case, out.case_id).visited.split()
    assert out.status == "completed"
    shown = view.published(world.data(out.case_id), "end_first_check_failed")
    assert "失业登记证明原件" in shown["理由"] and "不予受理" in shown["理由"]
    assert "六十日内" in shown["救济途径"] and "六个月内" in shown["救济途径"]
    out = through_street(world, world.person(name="李娜"), income_per_capita=8000)
    shown = view.published(world.data(out.case_id), "end_rejected")
    assert shown["理由"] and "行政诉讼" in shown["救济途径"]
    assert "救济途径" not in view.published(world.data(out.case_id), "end_paid")


def test_a_failed_first_check_lists_every_correction_at_once_and_checks_again(world):
    """一次性告知: the window lists every item to correct, the case waits on the applicant (its clock stopped),
    and what the applicant brings goes back to the same window check, which can then pass."""
    person = world.person(employed=False)
    out = through_street(world, person, first_check_ok=False, street_note="材料不全",
                         correction_items="失业登记证明原件\n 收款银行卡复印件 \n")
    assert out.status == "running" and out.opened == []
    assert world.data(out.case_id)["missing_items"] == ["失业登记证明原件", "收款银行卡复印件"]
    assert world.events(out.case_id)[-1] == "clock_stopped"
    out = world.message(out.business_key, "materials_resubmitted", note="已补交证明原件和银行卡复印件",
                        bank_account="6222021202009876543")
    assert opened(out).keys() == {"street_check"} and "clock_resumed" in world.events(out.case_id)
    data = world.data(out.case_id, opened(out)["street_check"])
    assert data["bank_account"] == "6222021202009876543" and data["correction_note"].startswith("已补交")
    out = world.complete("street_reviewer", out, "street_check", **EMPLOYMENT)
    assert opened(out).keys() == {"approve_chief"}


def test_the_window_checks_what_the_registry_knows_instead_of_retyping_it(world):
    """The months out of work come from the social-insurance record, filled in for the clerk, who still sees
    and may correct them; a registry that cannot answer is named and the clerk fills them in."""
    with time_machine.travel(datetime(2026, 12, 15, 10, 0, tzinfo=CST), tick=False):
        out = world.start("subsidy_approval", world.person(employed=False).subsidy())
    data = world.data(out.case_id, opened(out)["street_check"])
    assert data["unemployed_months"] == 2 and "最近缴费2026年10月" in data["prefill_note"]  # last paid 2026-10-01
    out = world.start("subsidy_approval", world.person("李娜", employed=True).subsidy())
    assert world.data(out.case_id, opened(out)["street_check"])["unemployed_months"] == 0


def test_a_failed_first_check_must_say_what_to_correct(world):
    out = world.start("subsidy_approval", world.person().subsidy())
    with pytest.raises(InvalidInput) as info:
        world.complete("street_reviewer", out, "street_check", **{**EMPLOYMENT, "first_check_ok": False})
    assert "correction_items" in info.value.fields


def test_mismatch_goes_to_the_competent_departments_reviewer(world):
    person = world.person(employed=True)  # HRSS says employed: automatic verification fails
    out = through_street(world, person)
    assert opened(out).keys() == {"manual_verify"} and out.opened[0]["department_code"] == "HRSS"
    out = world.complete("hrss_reviewer", out, "manual_verify", verify_ok=True, verify_finding="10月已离职，单位出具离职证明")
    assert opened(out).keys() == {"approve_chief"}


def test_the_verifier_asks_another_department_and_decides_on_its_answer(world):
    """人社局's reviewer, unsure of the employment record, sends a formal inquiry to 公安局 from the verification
    step; the signed answer comes back to the same step, kept under `verify_inquiry`."""
    out = through_street(world, world.person(employed=True))
    out = world.complete("hrss_reviewer", out, "manual_verify", verify_ok=False, verify_finding="在职记录存疑，函询公安",
                         verify_need_inquiry=True, verify_inquiry_target="PSB")
    assert opened(out).keys() == {"draft_inquiry"} and out.opened[0]["department_code"] == "HRSS"
    out = world.complete("hrss_reviewer", out, "draft_inquiry", inquiry_subject="实际居住与就业情况",
                         questions="请核实申请人是否仍在原单位所在地居住", reply_days=3)
    out = world.complete("psb_reviewer", out, "draft_answer", answer="申请人已于9月迁出原单位宿舍")
    out = world.complete("psb_supervisor", out, "sign_answer", sign_decision="approve")
    out = world.complete("hrss_reviewer", out, "review_answer", review_decision="accept")
    assert opened(out).keys() == {"manual_verify"} and out.opened[0]["department_code"] == "HRSS"
    data = world.data(out.case_id, opened(out)["manual_verify"])
    assert data["verify_inquiry"]["answer"] == "申请人已于9月迁出原单位宿舍"
    out = world.complete("hrss_reviewer", out, "manual_verify", verify_ok=True, verify_finding="公安函复确认已离职迁出")
    assert opened(out).keys() == {"approve_chief"}
    with world.rt.db.read() as session:  # the competent department (named in the data) waited on 公安局
        assert [(p.department, p.element_id) for p in clock.of_case(session, out.case_id)
                if p.reason == "department"] == [("HRSS", "verify_inquiry")]


def test_a_reviewer_who_asks_must_name_the_department(world):
    out = through_street(world, world.person(employed=True))
    with pytest.raises(InvalidInput) as info:
        world.complete("hrss_reviewer", out, "manual_verify", verify_ok=False, verify_finding="待核",
                       verify_need_inquiry=True)
    assert set(info.value.fields) == {"verify_inquiry_target"}


def test_shared_bank_account_sends_a_grid_worker_on_site(world):
    first, second = world.person("李娜", employed=False), world.person("王芳", employed=False)
    through_street(world, first)
    out = through_street(world, second)  # same bank account as 李娜
    data = world.data(out.case_id, opened(out)["onsite_check"])
    assert data["risk_level"] == "high" and "收款银行账户被多名申请人共用" in data["fraud_reasons"]
    assert out.opened[0]["department_code"] == "STREET"
    out = world.complete("street_reviewer", out, "onsite_check", onsite_ok=False, onsite_note="上门核查，申请人不在该址居住")
    assert out.status == "completed"
    assert application(world, out.business_key).status == "rejected"
    assert "fraud_screened" in world.events(out.case_id)


def test_the_on_site_check_goes_to_the_grid_of_the_applicants_street(world):
    """Street offices are units of 街道办 with an area; the on-site check goes to the office whose area covers
    the applicant's address (its grid workers), not to anyone of 街道办; an overdue check reaches the 街道办's
    supervisors when the office has nobody above its grid workers; an address no office covers is dispatched
    by 街道办 itself."""
    with world.rt.db.write() as session:
        directory.add_unit(session, ADMIN, "STREET-WX", "文新街道", "Wenxin", "STREET", "西湖区", ["文三路", "文一西路"])
        directory.add_unit(session, ADMIN, "STREET-BS", "北山街道", "", "STREET", "西湖区", ["北山路"])
        add_user(session, "wx_grid", "王网格", memberships={"STREET-WX": "reviewer"})
    with world.rt.db.read() as session:
        grid = load_actor(session, "wx_grid")
    first, second = world.person("李娜", employed=False), world.person("王芳", employed=False)  # 杭州市西湖区文三路100号
    through_street(world, first)
    out = through_street(world, second)  # same bank account as 李娜: high risk, on site
    assert out.opened[0]["department_code"] == "STREET-WX"
    assert world.data(out.case_id, opened(out)["onsite_check"])["onsite_unit"] == "文新街道"
    with pytest.raises(PermissionDenied):
        world.complete("street_reviewer", out, "onsite_check", onsite_ok=True, onsite_note="不是本网格")
    with world.rt.db.read() as session:
        task = session.get(Task, opened(out)["onsite_check"])
        assert announce.reported_to(session, task) == ["street_head", "street_supervisor"]
    with world.rt.db.write() as session:
        done = cases.complete(session, world.rt, grid, opened(out)["onsite_check"],
                              {"onsite_ok": True, "onsite_note": "网格员上门核实，情况属实"})
    assert "approve_chief" in opened(done)
    elsewhere = world.person("赵敏", employed=False)
    elsewhere.address = "杭州市西湖区灵隐路1号"  # no office's area names it
    out = through_street(world, elsewhere, start={"bank_account": "6222021202001234567"})
    assert out.opened[0]["department_code"] == "STREET"


def test_identity_mismatch_is_high_risk_and_duplicate_is_flagged(world):
    person = world.person(psb={"name": "张卫"}, employed=False)
    out = through_street(world, person, start={"bank_account": "6222000000000000001"})
    data = world.data(out.case_id, opened(out)["onsite_check"])
    assert data["identity_mismatch"] is True
    out = world.complete("street_reviewer", out, "onsite_check", onsite_ok=True, onsite_note="户籍登记笔误，已核实本人")
    again = through_street(world, person, start={"bank_account": "6222000000000000001"})
    flags = world.data(again.case_id, again.opened[0]["id"])["fraud_flags"]
    assert "duplicate" in flags and "identity_mismatch" in flags


def test_an_identical_second_application_is_sent_on_site_by_itself(world):
    person = world.person(employed=False)
    first = through_street(world, person)
    assert "onsite_check" not in opened(first)
    again = through_street(world, person)  # the same person, the same subsidy, the same year, the same account
    assert opened(again).keys() == {"onsite_check"}
    data = world.data(again.case_id, again.opened[0]["id"])
    assert data["fraud_flags"] == ["duplicate"] and data["risk_level"] == "high"
    assert data["fraud_reasons"] == ["同一申请人本年度已申请过同类补贴"]


def test_declarations_are_cross_checked_against_the_registries(world):
    """An address other than the police registration's, unemployment the social-insurance record contradicts,
    and a 特困 household declaring a high income are each flagged with their reason; with two of them the
    application goes on site."""
    person = world.person("赵敏", employed=True, psb={"address": "杭州市西湖区古墩路8号"})
    out = through_street(world, person, household_type="special", income_per_capita=3000,
                         start={"bank_account": "6222000000000000777"})
    if "manual_verify" in opened(out):  # the competent department's own comparison sees the employment too
        out = world.complete("hrss_reviewer", out, "manual_verify", verify_ok=True, verify_finding="申请人称已离职，待核")
    data = world.data(out.case_id, out.opened[0]["id"])
    assert set(data["fraud_flags"]) == {"address_mismatch", "employment_mismatch", "household_income_mismatch"}
    assert "申报失业，但人社局社保记录显示在职参保" in data["fraud_reasons"]
    assert opened(out).keys() == {"onsite_check"} and data["risk_level"] == "high"


def test_a_registry_that_does_not_answer_is_named(world, monkeypatch):
    monkeypatch.setenv("JOINTREVIEW_REGISTRY_URL_HUD", "http://127.0.0.1:9/registry")  # nothing listens there
    out = through_street(world, world.person(employed=False), start={"bank_account": "6222000000000000888"})
    data = world.data(out.case_id, out.opened[0]["id"])
    assert "registry_unavailable" in data["fraud_flags"]
    assert any(r.startswith("住建局数据接口暂不可用，未能核对租赁备案") for r in data["fraud_reasons"])
    assert data["risk_level"] == "medium"  # not verified: a person looks at it, and the approver sees why


def test_objection_during_public_notice_reopens_the_check(world):
    out = through_street(world, world.person(employed=False))
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=True, approval_note="同意")
    out = world.message(out.business_key, "objection", reason="群众反映申请人仍在经营个体户")
    assert opened(out).keys() == {"manual_verify"} and out.opened[0]["department_code"] == "HRSS"
    data = world.data(out.case_id, opened(out)["manual_verify"])
    assert data["objection_count"] == 1 and data["objection_reason"].startswith("群众反映")
    out = world.complete("hrss_reviewer", out, "manual_verify", verify_ok=True, verify_finding="已核实个体户已注销")
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=True, approval_note="复核后同意")
    assert notice_and_pay(world, out).status == "completed"


def test_disbursement_overdue_is_escalated(world):
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=CST), tick=False):
        out = through_street(world, world.person(employed=False))
        out = world.complete("hrss_supervisor", out, "approve_chief", approved=True, approval_note="同意")
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, 1, tzinfo=CST), tick=False):
        out = world.fire(out.case_id)  # notice over: FIN has 5 working days
    disburse = opened(out)["disburse"]
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, 2, tzinfo=CST), tick=False):
        out = world.fire(out.case_id)
    assert "escalation" in out.events
    with world.rt.db.read() as session:
        assert session.get(Task, disburse).escalated_at is not None
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "escalation")).scalars().one()
        assert entry.department == "FIN"
    out = world.complete("fin_reviewer", disburse, payment_status="paid", payment_reference="PAY2026120700009",
                         paid_on="2026-12-07", paid_amount=3000)
    assert out.status == "completed"


def test_payment_reference_is_validated(world):
    out = at_payment(world)
    with pytest.raises(InvalidInput) as info:
        world.complete("fin_reviewer", out, "disburse", payment_status="paid", payment_reference="abc",
                       paid_on="tomorrow", paid_amount=0)
    assert set(info.value.fields) == {"payment_reference", "paid_on", "paid_amount"}
    with pytest.raises(InvalidInput) as info:
        world.complete("fin_reviewer", out, "disburse", payment_status="paid")
    assert set(info.value.fields) == {"payment_reference", "paid_on", "paid_amount"}  # all needed once paid


def test_a_paid_amount_other_than_the_approved_one_is_refused(world):
    out = at_payment(world)
    amount = world.data(out.case_id)["amount"]
    with pytest.raises(InvalidInput) as info:
        world.complete("fin_reviewer", out, "disburse", payment_status="paid", payment_reference="PAY2026120800001",
                       paid_on="2026-12-08", paid_amount=amount + 500)
    assert info.value.fields == {"paid_amount": f"须与核定的补贴金额{amount}元一致"}
    assert world.inbox("FIN") and world.complete("fin_reviewer", out, "disburse", payment_status="paid",
                                                 payment_reference="PAY2026120800001", paid_on="2026-12-08",
                                                 paid_amount=amount).status == "completed"


def test_a_returned_payment_is_checked_with_the_applicant_and_paid_again_within_a_deadline(world):
    """退票: the street office checks the account with the applicant (due in 5 working days, reminded and
    escalated), FIN pays again; a third return ends the case as not paid, never as paid."""
    out = at_payment(world)
    out = world.complete("fin_reviewer", out, "disburse", payment_status="returned", return_reason="账户已销户")
    assert opened(out).keys() == {"correct_account"} and out.opened[0]["department_code"] == "STREET"
    assert out.opened[0]["due_at"] is not None
    assert world.data(out.case_id, out.opened[0]["id"])["return_reason"] == "账户已销户"
    out = world.complete("street_reviewer", out, "correct_account", bank_account="6222021202009876543",
                         account_note="已电话联系申请人，更换为本人一类账户")
    assert opened(out).keys() == {"disburse"}
    assert world.data(out.case_id)["bank_account"] == "6222021202009876543"
    for _ in range(2):  # two more returns: the third ends the case
        out = world.complete("fin_reviewer", out, "disburse", payment_status="returned", return_reason="户名不符")
        if out.status == "running":
            out = world.complete("street_reviewer", out, "correct_account", bank_account="6222021202001111111",
                                 account_note="再次核对")
    assert out.status == "completed" and world.data(out.case_id)["payment_returns"] == 3
    with world.rt.db.read() as session:
        milestones = [e for e in session.execute(select(AuditEntry.details).where(
            AuditEntry.case_id == out.case_id, AuditEntry.event == "milestone")).scalars()]
    assert any("payment_failed" in m for m in milestones) and not any('"paid"' in m for m in milestones)


def test_hud_sends_a_housing_application_back_to_the_street_window(world):
    from engine import sendback
    person = world.person()
    out = through_street(world, person, subsidy_type="housing", monthly_rent=1800, income_per_capita=3000)
    approve = opened(out)["approve_head"]
    with world.rt.db.write() as session:
        targets = sendback.targets(session, world.rt, world.users["hud_head"], approve)
        assert [t.element_id for t in targets] == ["street_check"]  # as the process allows (send_back_to)
        back = sendback.send_back(session, world.rt, world.users["hud_head"], approve, targets[0].task_id,
                                  "租赁合同未备案，请窗口补收备案证明")
    assert opened(back).keys() == {"street_check"} and back.opened[0]["department_code"] == "STREET"
    with world.rt.db.read() as session:
        reason = sendback.reopened_reason(session, back.case_id, back.opened[0]["id"])
    assert reason["reason"].startswith("租赁合同未备案") and reason["sent_back_by"] == "hud_head"
    out = world.complete("street_reviewer", back, "street_check", **{**EMPLOYMENT, "subsidy_type": "housing",
                                                                      "monthly_rent": 1800, "income_per_capita": 3000})
    assert opened(out).keys() == {"approve_head"}
    out = world.complete("hud_head", out, "approve_head", approved=True, approval_note="备案已补，同意发放")
    assert notice_and_pay(world, out).status == "completed"


def test_a_purged_subsidy_case_takes_its_application_record_along(world):
    from sqlalchemy import update as sql_update

    from engine import audit, retention
    from engine.models import Case
    from engine.routing import Actor
    out = through_street(world, world.person(employed=False))
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=True, approval_note="同意")
    out = notice_and_pay(world, out)
    assert application(world, out.business_key).status == "paid"
    with world.rt.db.write() as session:  # finished eleven years ago: past the process's ten years
        session.execute(sql_update(Case).where(Case.id == out.case_id).values(ended_at=datetime(2015, 6, 1, tzinfo=CST)))
    with world.rt.db.read() as session:
        (item,) = [d for d in retention.due(session, world.rt) if d.business_key == out.business_key]
    assert item.years == 10
    with world.rt.db.write() as session:
        retention.purge(session, world.rt, Actor.system("retention"), item)
    with world.rt.db.read() as session:
        assert session.execute(select(Application).where(Application.business_key == out.business_key)).first() is None
        assert audit.verify(session).ok
