"""委派 and 转办 on the task page: two different actions, each named for what it does and explained in one line, in
Chinese and in English (both once read "转交同事")."""
from __future__ import annotations

import re

from conftest import login
from world import opened


def _section(page: str, anchor: str) -> str:
    return page.split(f'id="{anchor}"')[1].split("</details>")[0]


def test_delegating_and_transferring_are_named_and_explained_apart(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get(f"/tasks/{draft}").data.decode()
    delegate, transfer = _section(page, "delegate"), _section(page, "transfer")
    assert "<summary>委派同事办理（办后交回我确认）</summary>" in delegate
    assert re.search(r'<label for="delegate-to">委派给</label>', delegate)
    assert "交回您核对确认" in delegate
    assert "<summary>转办给同事（由其接手办结）</summary>" in transfer
    assert re.search(r'<label for="transfer-to">转办给</label>', transfer)
    assert "不再交回您" in transfer
    assert "转交同事" not in page
    reviewer.post("/language", data={"language": "en", "next": "/inbox"})
    english = reviewer.get(f"/tasks/{draft}").data.decode()
    assert "Delegate: a colleague prepares it, you confirm" in _section(english, "delegate")
    assert "comes back to you to check and confirm" in _section(english, "delegate")
    assert "Transfer: a colleague takes the step over" in _section(english, "transfer")
    assert '<label for="transfer-to">Transfer to</label>' in _section(english, "transfer")
