"""提交确认 has a way back: 返回修改 closes the box and leaves the form as typed, nothing submitted, with the page's
script (Chromium) and without it (the server gives the same page back); the answer is asked again when submitted."""
from sqlalchemy import select

from conftest import ARTIFACTS, login, ui_login
from engine.models import AuditEntry, Task
from world import opened

REASON = "居住证地址与实际居住地不符"


def _untouched(world, task: str) -> None:
    with world.rt.db.read() as session:
        assert session.get(Task, task).state == "open"
        assert session.execute(select(AuditEntry).where(AuditEntry.event == "task_completed",
                                                        AuditEntry.task_id == task)).first() is None


def test_back_to_edit_closes_the_confirmation_and_keeps_the_form(world, server, page):
    task = opened(world.start("admission_review", world.person().admission()))["decide"]
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    ui_login(page, server, "edu_reviewer")
    page.goto(f"{server}/tasks/{task}")
    page.select_option("#f_decision", "reject")
    page.fill("#f_decision_reasons", REASON)
    page.click("#complete")
    page.wait_for_selector("#confirming")
    assert not page.is_visible("#complete"), "while asked, the one way on is to confirm or go back"
    page.click("#back-to-edit")
    page.wait_for_selector("#confirming", state="detached")
    assert page.is_visible("#complete") and page.is_visible("#save-typed")
    assert page.input_value("#f_decision") == "reject" and page.input_value("#f_decision_reasons") == REASON
    assert "/tasks/" in page.url and page.locator(".flash.success").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"confirm-back-to-edit-{world.rt.db.engine.dialect.name}.png"), full_page=True)
    _untouched(world, task)
    page.fill("#f_decision_reasons", REASON + "（已核）")
    page.click("#complete")  # submitted again: asked again, not sent
    page.wait_for_selector("#confirming")
    assert "确认提交：不予录取？" in page.inner_text("#confirming")
    _untouched(world, task)
    assert not problems, problems


def test_back_to_edit_without_the_script_gives_the_form_back_unsent(app, world):
    task = opened(world.start("admission_review", world.person().admission()))["decide"]
    client = login(app.test_client(), "edu_reviewer")
    form = {"decision": "reject", "decision_reasons": REASON}
    asked = client.post(f"/tasks/{task}", data=form).data.decode()
    assert 'id="back-to-edit"' in asked and "返回修改" in asked
    back = client.post(f"/tasks/{task}", data={**form, "confirmed": "reject", "edit": "1"})
    page = back.data.decode()
    assert back.status_code == 200 and 'id="confirming"' not in page and '<div id="form-buttons">' in page
    assert REASON in page and 'value="reject" selected' in page
    _untouched(world, task)
