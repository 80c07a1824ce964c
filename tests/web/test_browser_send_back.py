"""退回 in a real browser: the chief sends the answer back with a reason, the reviewer sees why and
answers again, and the case timeline shows both rounds."""
from conftest import ARTIFACTS, ui_login
from test_send_back_pages import inquiry_at_sign_off


def test_a_chief_sends_back_and_the_reviewer_answers_again(world, server, page, new_page):
    out, sign = inquiry_at_sign_off(world)
    ui_login(page, server, "hrss_supervisor")
    page.goto(f"{server}/tasks/{sign}")
    page.click("#send-back summary")
    assert "拟写答复" in page.inner_text("#send-back fieldset")
    page.fill("#send-back-reason", "答复未引用政策依据，请补充《社会保险法》相关条款。")
    page.check("#send-back input[name=confirm]")
    page.click("button:has-text('确认退回')")
    page.wait_for_selector(".flash.success")
    assert "已退回至“拟写答复”" in page.inner_text(".flash.success")

    reviewer = new_page()
    ui_login(reviewer, server, "hrss_reviewer")
    reviewer.goto(f"{server}/inbox?view=mine")  # back with whoever drafted it
    reviewer.click("a.step:has-text('拟写答复')")
    banner = reviewer.inner_text("#sent-back")
    assert "hrss_supervisor从“科长签发”退回" in banner and "社会保险法" in banner
    reviewer.fill("#f_answer", "按实际缴费月数计算，依据《社会保险法》第十条。")
    reviewer.click("button:has-text('提交')")
    reviewer.wait_for_selector(".flash.success")

    page.goto(f"{server}/cases/{out.business_key}")
    timeline = page.inner_text(".timeline")
    assert "科长签发 → 拟写答复" in timeline and "社会保险法" in timeline
    assert timeline.count("拟写答复") >= 4  # ready, completed, sent back to, ready and completed again
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"send-back-timeline-{world.rt.db.engine.dialect.name}.png"), full_page=True)
