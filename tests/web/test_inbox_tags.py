"""The inbox marks the steps that need a second look: sent back (退回), delegated to me (委派) and a delegate's answer
waiting for my confirmation, as it marks 加签; with the same number of queries for a page of one row or of many."""
from __future__ import annotations

import re

from sqlalchemy import event, update

from conftest import login
from engine.models import Task
from test_send_back_pages import inquiry_at_sign_off
from web.context import runtime
from world import opened


def _row(inbox: str, task_id: str) -> str:
    return inbox.split(f'data-task="{task_id}"')[1].split("</tr>")[0]


def test_a_step_sent_back_is_tagged_with_who_sent_it_back_and_why(app, world):
    out, sign = inquiry_at_sign_off(world)
    chief = login(app.test_client(), "hrss_supervisor")
    target = re.search(r'name="target" value="([0-9a-f-]{36})"', chief.get(f"/tasks/{sign}").data.decode()).group(1)
    chief.post(f"/tasks/{sign}/send-back", data={"target": target, "reason": "请补充政策依据", "confirm": "1"})
    reviewer = login(app.test_client(), "hrss_reviewer")
    inbox = reviewer.get("/inbox?view=mine").data.decode()
    reopened = re.search(r'data-task="([0-9a-f-]{36})"', inbox).group(1)
    tag = re.search(r'<span class="tag escalated" data-sent-back title="([^"]*)">([^<]*)</span>', _row(inbox, reopened))
    assert tag and tag.group(2) == "被退回"
    assert tag.group(1) == "hrss_supervisor从“科长签发”退回：请补充政策依据"
    assert "data-sent-back" not in login(app.test_client(), "edu_reviewer").get("/inbox?view=mine").data.decode()


def test_a_delegated_step_is_tagged_for_the_delegate_and_then_for_the_holder_to_confirm(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    chief = login(app.test_client(), "edu_supervisor")
    chief.post(f"/tasks/{draft}/delegate", data={"to_user": "edu_reviewer", "note": "先起草"})
    reviewer = login(app.test_client(), "edu_reviewer")
    row = _row(reviewer.get("/inbox?view=mine").data.decode(), draft)
    assert '<span class="tag" data-delegated>受edu_supervisor委派</span>' in row and "data-to-confirm" not in row
    reviewer.post(f"/tasks/{draft}", data={"inquiry_subject": "社保口径", "questions": "请说明", "reply_days": "5"})
    row = _row(chief.get("/inbox?view=mine").data.decode(), draft)
    assert '<span class="tag" data-to-confirm>委派办结待确认</span>' in row and "data-delegated" not in row
    chief.post("/language", data={"language": "en", "next": "/inbox"})
    assert "Done by a delegate: to confirm" in _row(chief.get("/inbox?view=mine").data.decode(), draft)
    with world.rt.db.write() as session:  # what a holder typed before adding a signer (加签) is no answer to confirm
        session.execute(update(Task).where(Task.id == draft).values(
            draft='{"by": "edu_supervisor", "values": {}, "kept": "signer"}', draft_kind="signer"))
    assert "data-to-confirm" not in _row(chief.get("/inbox?view=mine").data.decode(), draft)


def test_the_tags_cost_no_query_per_row(app, world):
    reviewer = login(app.test_client(), "edu_reviewer")
    with app.app_context():
        engine = runtime().db.engine
    counted = []
    listener = lambda *args, **kwargs: counted.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    statements = {}
    try:
        for total in (1, 12):
            while len(re.findall(r'data-task="', reviewer.get("/inbox?view=department").data.decode())) < total:
                world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
            counted.clear()
            reviewer.get("/inbox?view=department")
            statements[total] = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements[12] == statements[1], statements


def test_claiming_and_releasing_say_which_case(app, world):
    """A queue holds many steps of one name (教育局审定 × 15): the message names the case as well."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    reviewer = login(app.test_client(), "edu_reviewer")
    claimed = reviewer.post(f"/tasks/{draft}/claim", follow_redirects=True).data.decode()
    assert f"已签收{out.business_key}的“撰写函询”。" in claimed
    released = reviewer.post(f"/tasks/{draft}/release", follow_redirects=True).data.decode()
    assert f"已取消签收，{out.business_key}的“撰写函询”已回到本部门待签收。" in released
