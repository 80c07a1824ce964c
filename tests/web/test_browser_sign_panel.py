"""The signer's panel (加签) in a real browser: 同意 / 不同意 are two radio buttons beside their words, and
neither is chosen for the signer, who must pick one (a signature is a decision, as on the form)."""
from conftest import login, ui_login
from test_signers_pages import inquiry


def test_the_signer_chooses_agree_or_disagree_beside_their_words(app, world, server, page):
    out, draft = inquiry(world)
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{draft}/signers", data={
        "signer-to": "edu_supervisor", "signer-position": "before", "signer-reason": "先请科长审阅"})
    ui_login(page, server, "edu_supervisor")
    page.goto(f"{server}/tasks/{draft}")
    radios = page.locator("#sign input[name=decision]")
    assert radios.count() == 2
    for i in range(2):
        radio, label = radios.nth(i), radios.nth(i).locator("xpath=..")
        box, text = radio.bounding_box(), label.bounding_box()
        assert box["width"] < 40, "a radio button, not a field as wide as the form"
        assert text["height"] < 2 * box["height"] + 12, "the button and its word on one line"
        assert not radio.is_checked()
    page.click("#sign button[type=submit]")
    assert page.url.endswith(f"/tasks/{draft}")  # nothing chosen: the browser asks for a choice, nothing is sent
    assert page.locator("#sign").count() == 1
    page.check("#sign input[value=agree]")
    page.click("#sign button[type=submit]")
    page.wait_for_selector(".flash.success")
