"""The team page in a real browser: the list of members offers only who may take every selected step; a batch
with a step that may not go moves the others and says why that one stayed. Leaves screenshots in test-artifacts/."""
from sqlalchemy import update

from conftest import ARTIFACTS, ui_login
from engine.models import Task


def _offered(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('#to_user option')].filter(o => o.value && !o.hidden)"
                         ".map(o => o.value)")


def test_the_team_page_offers_only_who_may_take_the_selection_and_reports_each_step(world, server, page):
    outs = [world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"}) for _ in range(2)]
    chief_step = outs[1].opened[0]["id"]
    with world.rt.db.write() as session:
        session.execute(update(Task).where(Task.id == chief_step).values(role="supervisor"))
    ui_login(page, server, "edu_supervisor")
    page.goto(f"{server}/team")
    page.wait_for_load_state("load")
    reviewer_box = page.locator(f"tr[data-task='{outs[0].opened[0]['id']}'] input[name=task_id]")
    chief_box = page.locator(f"tr[data-task='{chief_step}'] input[name=task_id]")
    reviewer_box.check()
    assert "edu_reviewer" in _offered(page) and "edu_supervisor" in _offered(page)
    chief_box.check()
    assert "edu_reviewer" not in _offered(page) and "edu_supervisor" in _offered(page)
    reviewer_box.uncheck()
    chief_box.uncheck()
    page.check("#select-all")
    assert page.is_hidden("#nobody")
    # the box of the step the reviewer may not take is ticked again by hand: the page still refuses it, step by step
    page.evaluate("document.querySelector('#to_user option[value=edu_reviewer]').hidden = false;"
                  "document.querySelector('#to_user option[value=edu_reviewer]').disabled = false")
    page.select_option("#to_user", "edu_reviewer")
    page.fill("#reason", "王科员出差，临时改派")
    page.click("button:has-text('改派')")
    page.wait_for_selector(".flash.success")
    assert "已将1项任务改派给edu_reviewer" in page.inner_text(".flash.success")
    assert "1项任务未改派" in page.inner_text(".flash.error") and "不能办理" in page.inner_text(".flash.error")
    assert chief_box.is_checked()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "team-reassign-report.png"), full_page=True)
