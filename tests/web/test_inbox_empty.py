"""An empty inbox says what to do next: “my tasks” empty while the department has steps waiting to be claimed
points to them; a filter that matches nothing says so and offers to clear it."""
from __future__ import annotations

import re

from conftest import login


def _empty(page: str) -> str:
    box = re.search(r'<div class="empty" id="inbox-empty">(.*?)</div>', page, re.S)
    assert box, "the inbox shows its empty-state box"
    return box.group(1)


def test_my_empty_inbox_points_to_the_steps_waiting_to_be_claimed(app, world):
    world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    reviewer = login(app.test_client(), "edu_reviewer")
    box = _empty(reviewer.get("/inbox?view=mine").data.decode())
    assert "本部门有1件待签收" in box and 'href="/inbox?view=department"' in box


def test_a_filter_that_matches_nothing_offers_to_clear_it(app, world):
    world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    reviewer = login(app.test_client(), "edu_reviewer")
    box = _empty(reviewer.get("/inbox?view=department&key=NO-SUCH-KEY").data.decode())
    assert "没有符合筛选条件的待办" in box and 'href="/inbox?view=department"' in box
    assert "待签收" not in box


def test_an_empty_department_queue_says_only_that(app, world):
    box = _empty(login(app.test_client(), "edu_reviewer").get("/inbox?view=mine").data.decode())
    assert box.strip() == "暂无待办。"
