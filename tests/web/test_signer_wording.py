"""The words of 加签 as an office reads them: the submit button says 确认加签 as the other actions say 确认转办, and a
person's name sits in a Chinese sentence without spaces around it (已送教育局科长先行签署), while English keeps its
spaces (went to … to sign first)."""
from __future__ import annotations

import re

from sqlalchemy import select

from conftest import login
from engine.models import User
from world import opened


def _named(world):
    with world.rt.db.write() as session:
        session.execute(select(User).where(User.username == "edu_supervisor")).scalar_one().display_name = "教育局科长"


def test_the_add_signer_button_says_what_it_confirms(app, world):
    draft = opened(world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"}))[
        "draft_inquiry"]
    reviewer = login(app.test_client(), "edu_reviewer")
    button = re.search(r'<button [^>]*id="add-signer"[^>]*>([^<]*)</button>', reviewer.get(f"/tasks/{draft}").data.decode())
    assert button.group(1) == "确认加签"
    reviewer.post("/language", data={"language": "en", "next": "/inbox"})
    button = re.search(r'<button [^>]*id="add-signer"[^>]*>([^<]*)</button>', reviewer.get(f"/tasks/{draft}").data.decode())
    assert button.group(1) == "Add this signer"


def test_a_name_in_a_chinese_message_has_no_spaces_around_it_and_in_english_it_keeps_them(app, world):
    _named(world)
    start = {"requester_department": "EDU", "target_department": "HRSS"}
    draft = opened(world.start("formal_inquiry", start))["draft_inquiry"]
    reviewer = login(app.test_client(), "edu_reviewer")
    sent = reviewer.post(f"/tasks/{draft}/signers", data={"signer-to": "edu_supervisor", "signer-position": "before",
                                                          "signer-reason": "先请科长审阅"}, follow_redirects=True)
    assert "已送教育局科长先行签署" in sent.data.decode()
    other = opened(world.start("formal_inquiry", start))["draft_inquiry"]
    reviewer.post("/language", data={"language": "en", "next": "/inbox"})
    sent = reviewer.post(f"/tasks/{other}/signers", data={"signer-to": "edu_supervisor", "signer-position": "before",
                                                          "signer-reason": "first"}, follow_redirects=True)
    assert "went to 教育局科长 to sign first" in sent.data.decode()
