"""退回 from 教育局审定 to a step of one of the parallel verification branches (公安局's manual residence-permit
check): the branch runs again and the case returns to 教育局审定 once it is done; it never stalls."""
import pytest

from engine import sendback
from world import World, opened


@pytest.fixture
def world(db_url):
    return World(db_url)


def test_a_decision_sent_back_to_a_parallel_branch_comes_back_to_the_decision(world):
    person = world.person(psb={"expires": "2025-01-31"})
    out = world.start("admission_review", person.admission())
    out = world.complete("psb_reviewer", out, "review_psb", psb_ok=True, residence_years=3, psb_finding="已核实")
    decide = opened(out)["decide"]
    edu = world.users["edu_reviewer"]
    with world.rt.db.write() as session:
        offered = sendback.targets(session, world.rt, edu, decide)
        assert {t.element_id for t in offered} <= {"review_psb", "review_hrss", "review_hud", "review_health"}, \
            "教育局审定 sends back to a department's verification only (its send_back_to), not to the intake"
        target = next(t for t in offered if t.element_id == "review_psb")
        out = sendback.send_back(session, world.rt, edu, decide, target.task_id, "居住年限与系统记录不符，请复核")
    assert opened(out).keys() == {"review_psb"} and out.status == "running"
    reopened = world.data(out.case_id, opened(out)["review_psb"])
    assert (reopened["psb_ok"], reopened["residence_years"], reopened["psb_finding"]) == (True, 3, "已核实"), \
        "the form shows the answer PSB gave, to be corrected"
    assert reopened["applicant_name"] == "张伟" and reopened["psb_registry"], "and the case data as it was"
    out = world.complete("psb_reviewer", out, "review_psb", psb_ok=True, residence_years=4, psb_finding="复核：4年")
    assert out.status == "running" and opened(out).keys() == {"decide"}, out
    assert world.data(out.case_id, opened(out)["decide"])["residence_years"] == 4
