"""退回 inside a called process: the department answering a 函询 sees the inquiry's steps in its 退回 list, not the
calling case's steps and who did them (need to know)."""
import pytest

from engine import sendback
from world import World, opened


@pytest.fixture
def world(db_url):
    return World(db_url)


def test_a_step_of_a_called_process_goes_back_only_inside_it(world):
    """An answering department's 退回 list holds the inquiry's own steps, not the calling case's (need to know)."""
    person = world.person(hud={"address": "杭州市西湖区天目山路1号"})
    out = world.start("admission_review", person.admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=False, housing_type="rent_filed",
                         hud_finding="地址不一致，需公安核实", hud_need_inquiry=True, hud_inquiry_target="PSB")
    out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                         questions="请核实申请人实际居住地址", reply_days=5)
    answer = opened(out)["draft_answer"]
    psb = world.users["psb_reviewer"]
    with world.rt.db.read() as session:
        offered = [(t.element_id, t.department_code) for t in sendback.targets(session, world.rt, psb, answer)]
    assert offered == [("draft_inquiry", "HUD")], "not review_hud nor any step of the admission case"
