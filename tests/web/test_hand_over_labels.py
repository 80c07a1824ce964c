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


def test_a_crafted_colleague_is_named_short_in_the_refusal(app, world):
    """委派 or 转办 to a crafted name of 5,000 characters repeated it whole in the refusal, which travels to the task
    page in the session cookie: a browser drops a cookie over 4 KB, and the refusal with it. A name longer than any
    user's is shortened."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    reviewer = login(app.test_client(), "edu_reviewer")
    crafted = "".join(chr(0x4E00 + i) for i in range(5000))
    for action, data in (("delegate", {}), ("transfer", {"reason": "出差"})):
        back = reviewer.post(f"/tasks/{draft}/{action}", data={"to_user": crafted, **data})
        # the refusal comes on the task page itself now (what was typed stays in the form), not through the session
        assert back.status_code == 422 and len(back.headers.get("Set-Cookie", "")) < 4096, action
        page = back.data.decode()
        assert crafted[:64] + "…" in page and crafted[:65] not in page, action
