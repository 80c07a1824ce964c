"""A colleague claims (签收) the step while the reviewer is typing in a real browser: after 提交 the page says who has
it now and what the reviewer typed is still there, read-only, to copy."""
from conftest import ui_login
from engine import cases
from test_lost_race_pages import TYPED, draft_step


def test_the_typed_text_is_still_on_the_page_after_a_lost_submit(world, server, page):
    task = draft_step(world)
    ui_login(page, server, "edu_reviewer")
    page.goto(f"{server}/tasks/{task}")
    page.fill("#f_inquiry_subject", TYPED["inquiry_subject"])
    page.fill("#f_questions", TYPED["questions"])
    page.fill("#f_reply_days", TYPED["reply_days"])
    with world.rt.db.write() as session:
        cases.claim(session, world.rt, world.users["edu_supervisor"], task)
    page.click("#complete")
    page.wait_for_selector("#lost-race")
    assert "edu_supervisor" in page.inner_text("#lost-race") and "签收" in page.inner_text("#lost-race")
    assert page.input_value("#typed_questions") == TYPED["questions"]
    assert page.get_attribute("#typed_questions", "readonly") is not None
    assert page.input_value("#typed_inquiry_subject") == TYPED["inquiry_subject"]
