"""The inbox's tags and the task page's 委派 / 转办 in a real browser (Chinese renders); leaves screenshots in
test-artifacts/."""
from conftest import ARTIFACTS, ui_login
from world import opened


def test_the_inbox_tags_a_delegated_step_and_the_task_page_explains_delegating_and_transferring(world, server, new_page):
    page = new_page()
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    ui_login(page, server, "edu_supervisor")
    page.goto(f"{server}/tasks/{draft}")
    page.click("#delegate summary")
    page.click("#transfer summary")
    assert "委派给" in page.inner_text("#delegate") and "交回您核对确认" in page.inner_text("#delegate")
    assert "转办给" in page.inner_text("#transfer") and "不再交回您" in page.inner_text("#transfer")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "task-hand-over.png"), full_page=True)
    page.select_option("#delegate-to", "edu_reviewer")
    page.click("#delegate button[type=submit]")
    page.wait_for_selector(".flash.success")
    page = new_page()
    ui_login(page, server, "edu_reviewer")
    page.goto(f"{server}/inbox?view=mine")
    assert page.inner_text(f"tr[data-task='{draft}'] [data-delegated]") == "受edu_supervisor委派"
    assert "到期" in page.inner_text(f"tr[data-task='{draft}'] .sla") or "剩余" in page.inner_text(f"tr[data-task='{draft}'] .sla")
    page.screenshot(path=str(ARTIFACTS / "inbox-tags.png"), full_page=True)
