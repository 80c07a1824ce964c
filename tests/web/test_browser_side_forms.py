"""A refused 退回 in a real browser keeps the reason typed: the chief types why the answer goes back, a colleague
claims (签收) the step meanwhile, and the page that answers 确认退回 says so and holds the reason to copy. A
signer who disagrees (签署) without an opinion is told so with 不同意 still chosen and the opinion box as typed."""
from conftest import ARTIFACTS, ui_login
from engine import cases
from test_send_back_pages import inquiry_at_sign_off

REASON = "答复未引用政策依据，请补充《社会保险法》第十条。"


def test_a_send_back_refused_after_a_colleague_claimed_the_step_keeps_the_typed_reason(world, server, page):
    _, sign = inquiry_at_sign_off(world)
    ui_login(page, server, "hrss_supervisor")
    page.goto(f"{server}/tasks/{sign}")
    page.click("#send-back summary")
    page.fill("#send-back-reason", REASON)
    page.check("#send-back input[name=confirm]")
    with world.rt.db.write() as session:  # while the chief was typing
        cases.claim(session, world.rt, world.users["hrss_head"], sign)
    page.click("button:has-text('确认退回')")
    page.wait_for_selector("#lost-race")
    said = page.inner_text("#lost-race")
    assert "hrss_head" in said and "签收" in said and "未保存" in said
    assert page.input_value("#typed_send-back-reason") == REASON
    assert page.locator("#send-back").count() == 0, "no send-back form for a step someone else holds"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"send-back-refused-{world.rt.db.engine.dialect.name}.png"), full_page=True)


def test_an_added_signer_refused_for_want_of_a_reason_keeps_the_answer_and_the_choices(world, server, page):
    from test_signer_drafts import ANSWER, answering

    task = answering(world)
    ui_login(page, server, "hrss_reviewer")
    page.goto(f"{server}/tasks/{task}")
    page.fill("#f_answer", ANSWER)
    page.click("#signers summary")
    page.select_option("#signer-to", "hrss_reviewer2")
    page.check("#signer-add input[value=before]")
    page.click("#add-signer")
    page.wait_for_selector("#side-refused")
    assert "加签需要填写事由" in page.inner_text("#side-refused")
    assert page.is_visible("#signer-reason"), "the panel is open where the refusal stands"
    assert page.input_value("#f_answer") == ANSWER and page.input_value("#signer-to") == "hrss_reviewer2"
    assert page.is_checked("#signer-add input[value=before]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"signer-refused-{world.rt.db.engine.dialect.name}.png"), full_page=True)


def test_a_disagreement_without_an_opinion_keeps_the_choice_and_the_text(app, world, server, page):
    from test_signer_refusals import at_signature

    draft, _, _, _ = at_signature(app, world)
    ui_login(page, server, "edu_supervisor")
    page.goto(f"{server}/tasks/{draft}")
    page.check("#sign input[value=disagree]")
    page.fill("#sign-opinion", "   ")  # blank to the eye: no opinion
    page.click("#sign button:has-text('签署')")
    page.wait_for_selector("#side-refused")
    assert "需要填写意见" in page.inner_text("#side-refused")
    assert page.is_checked("#sign input[value=disagree]") and not page.is_checked("#sign input[value=agree]")
    assert page.input_value("#sign-opinion") == "   "
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"sign-refused-{world.rt.db.engine.dialect.name}.png"), full_page=True)
