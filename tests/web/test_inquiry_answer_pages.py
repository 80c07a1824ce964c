"""Once a formal inquiry (部门函询) is answered, the asking department's step that decides on it shows the answer
and its grounds and attachments read-only next to the form: the 审阅答复 of an inquiry of its own, and the review
step a case returns to after the inquiry it called."""
import re

from conftest import login
from world import opened

from workflows import idcards


def rests_on(page: str) -> dict[str, str]:
    """The `id="rests-on"` section as label → text."""
    section = page.split('id="rests-on"')[1].split("</section>")[0]
    return {dt: re.sub(r"<[^>]+>", "\n", dd).strip() for dt, dd in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", section)}


def _asked_and_answered(world, person):
    out = world.start("admission_review", person.admission())
    out = world.complete("hud_reviewer", out, "review_hud", hud_ok=False, housing_type="rent_filed",
                         hud_finding="地址不一致", hud_need_inquiry=True, hud_inquiry_target="PSB")
    out = world.complete("hud_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实",
                         questions="请核实申请人实际居住地址", reply_days=5)
    assert 'id="rests-on"' not in world_page(world, "psb_reviewer", opened(out)["draft_answer"])
    out = world.complete("psb_reviewer", out, "draft_answer", answer=f"经核实，{person.id_number}已迁至天目山路1号",
                         evidence="户籍迁移登记表一份（附件1）")
    return world.complete("psb_supervisor", out, "sign_answer", sign_decision="approve")


def world_page(world, user: str, task: str) -> str:
    return login(world.app.test_client(), user).get(f"/tasks/{task}").data.decode()


def test_the_asking_department_reads_the_answer_where_it_decides(app, world):
    world.app = app
    person = world.person(hud={"address": "杭州市西湖区天目山路1号"})
    out = _asked_and_answered(world, person)
    page = world_page(world, "hud_reviewer", opened(out)["review_answer"])
    assert page.index('id="rests-on"') < page.index('id="task-form"'), "above the form it decides with"
    assert rests_on(page) == {"答复意见": f"经核实，{idcards.mask(person.id_number)}已迁至天目山路1号",
                              "依据及附件说明": "户籍迁移登记表一份（附件1）"}
    assert "<h2>办理依据</h2>" in page
    out = world.complete("hud_reviewer", out, "review_answer", review_decision="accept")
    page = world_page(world, "hud_reviewer", opened(out)["review_hud"])
    assert rests_on(page) == {"部门函询 · 答复意见": f"经核实，{idcards.mask(person.id_number)}已迁至天目山路1号",
                              "部门函询 · 依据及附件说明": "户籍迁移登记表一份（附件1）"}
    chief = world_page(world, "hud_supervisor", opened(out)["review_hud"])
    assert person.id_number in rests_on(chief)["部门函询 · 答复意见"], "a section chief reads it in full, as elsewhere"


def test_a_review_step_that_asked_nobody_shows_no_answer(app, world):
    world.app = app
    out = world.start("admission_review", world.person(hud={"address": "杭州市西湖区天目山路1号"}).admission())
    assert 'id="rests-on"' not in world_page(world, "hud_reviewer", opened(out)["review_hud"])
