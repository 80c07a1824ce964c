"""The department asked in a formal inquiry (部门函询) sees whom it concerns — the applicant's name and ID number,
masked as everywhere — whether the inquiry was started at a window about a case or from a case's own step; an ID
number typed into the inquiry's free text is masked the same way."""
from conftest import login
from world import opened

from workflows import idcards


def _answer_page(app, world, draft_task: str) -> str:
    return login(app.test_client(), "hud_reviewer").get(f"/tasks/{draft_task}").data.decode()


def test_an_inquiry_from_the_window_carries_the_applicant_of_the_case_it_names(app, world):
    person = world.person("李娜")
    about = world.start("admission_review", person.admission()).business_key
    psb = login(app.test_client(), "psb_reviewer")
    started = psb.post("/applications/new/formal_inquiry", data={"target_department": "HUD", "case_ref": about})
    draft = started.headers["Location"].rsplit("/", 1)[1]
    out = world.complete("psb_reviewer", draft, inquiry_subject="租赁备案核实",
                         questions=f"请核实身份证号{person.id_number}名下的租赁备案。", reply_days=5)
    page = _answer_page(app, world, opened(out)["draft_answer"])
    assert "申请人" in page and "李娜" in page and "申请人身份证号" in page
    assert person.id_number not in page, "the ID number, in its field and in the questions, is masked"
    assert page.count(idcards.mask(person.id_number)) == 2
    chief = login(app.test_client(), "hud_supervisor").get(f"/tasks/{opened(out)['draft_answer']}").data.decode()
    assert person.id_number in chief, "a section chief reads personal data in full, as elsewhere"


def test_an_inquiry_called_from_a_review_step_carries_the_applicant(app, world):
    person = world.person("王芳", psb={"expires": "2025-01-31"})
    out = world.start("admission_review", person.admission())
    out = world.complete("psb_reviewer", out, "review_psb", psb_ok=False, residence_years=8, psb_finding="需住建核实",
                         psb_need_inquiry=True, psb_inquiry_target="HUD")
    out = world.complete("psb_reviewer", out, "draft_inquiry", inquiry_subject="居住地址核实", questions="请核实居住地址",
                         reply_days=5)
    page = _answer_page(app, world, opened(out)["draft_answer"])
    assert "王芳" in page and idcards.mask(person.id_number) in page and person.id_number not in page


def test_an_id_number_in_free_text_is_masked_where_it_stands():
    number = "33010619880503412X"
    assert idcards.mask_in_text(f"请核实{number}，及 1{number}") == f"请核实{idcards.mask(number)}，及 1{number}"


def test_the_reply_deadline_is_not_labelled_like_the_working_days_beside_it(app, world):
    about = world.start("admission_review", world.person().admission()).business_key
    psb = login(app.test_client(), "psb_reviewer")
    started = psb.post("/applications/new/formal_inquiry", data={"target_department": "HUD", "case_ref": about})
    draft = started.headers["Location"].rsplit("/", 1)[1]
    out = world.complete("psb_reviewer", draft, inquiry_subject="租赁备案核实", questions="请核实租赁备案。", reply_days=5)
    hud, task = login(app.test_client(), "hud_reviewer"), f"/tasks/{opened(out)['draft_answer']}"
    page = hud.get(task).data.decode()
    assert "答复截止时间" in page and "答复期限（工作日）" in page and ">答复期限<" not in page
    hud.post("/language", data={"language": "en", "next": "/inbox"})
    assert "Reply due by" in hud.get(task).data.decode()
