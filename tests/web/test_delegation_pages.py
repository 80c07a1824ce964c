"""委派 from the delegator's side: 我委派的 in the inbox lists each step out with a delegate (who has it, since when,
whether they finished: 委派办结待确认), within the departments the user still works in; and 退回重办 sends the
delegate's answer back to them with a reason, their answer kept in the form and the reason shown."""
from __future__ import annotations

import json
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from conftest import login
from engine import accounts
from engine.models import AuditEntry, Task
from engine.routing import Actor
from test_saving_pages import field
from world import opened

ANSWER = {"inquiry_subject": "社保口径", "questions": "请说明参保年限的计算方法", "reply_days": "5"}


def _draft(world) -> str:
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return opened(out)["draft_inquiry"]


def _row(inbox: str, task_id: str) -> str:
    return inbox.split(f'data-task="{task_id}"')[1].split("</tr>")[0]


def _delegated(app, world) -> tuple[str, str, object, object]:
    """Two steps edu_supervisor delegated to edu_reviewer: one still with them, one they answered."""
    working, answered = _draft(world), _draft(world)
    chief, reviewer = login(app.test_client(), "edu_supervisor"), login(app.test_client(), "edu_reviewer")
    for task in (working, answered):
        assert chief.post(f"/tasks/{task}/delegate", data={"to_user": "edu_reviewer"}).status_code == 302
    reviewer.post(f"/tasks/{answered}", data=ANSWER)
    return working, answered, chief, reviewer


def test_delegated_by_me_lists_who_has_each_step_since_when_and_whether_it_is_done(app, world):
    working, answered, chief, reviewer = _delegated(app, world)
    inbox = chief.get("/inbox?view=delegated").data.decode()
    assert re.search(r'id="count-delegated">2<', inbox) and "我委派的" in inbox
    row = _row(inbox, working)
    assert re.search(r"<td data-delegate>\s*edu_reviewer\s*</td>", row) and "data-with-delegate" in row
    with world.rt.db.read() as session:
        since = session.get(Task, working).claimed_at
    shown = since.astimezone(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
    assert f"<td>{shown}</td>" in row, "since when, in the office's time zone"
    row = _row(inbox, answered)
    assert "edu_reviewer" in row and '<span class="tag" data-to-confirm>委派办结待确认</span>' in row
    for other in ("edu_reviewer", "edu_head"):  # the delegate and a colleague delegated nothing
        page = login(app.test_client(), other).get("/inbox?view=delegated").data.decode()
        assert f'data-task="{working}"' not in page and re.search(r'id="count-delegated">0<', page)
    chief.post("/language", data={"language": "en", "next": "/inbox"})
    inbox = chief.get("/inbox?view=delegated").data.decode()
    assert "Delegated by me" in inbox and "Done by the delegate: to confirm" in _row(inbox, answered)


def test_delegated_by_me_lists_nothing_of_a_department_one_left(app, world):
    working, answered, chief, reviewer = _delegated(app, world)
    with world.rt.db.write() as session:
        accounts.set_access(session, Actor.system("test"), "edu_supervisor", {"PSB": "supervisor"}, ())
    chief = login(app.test_client(), "edu_supervisor")
    inbox = chief.get("/inbox?view=delegated").data.decode()
    assert working not in inbox and answered not in inbox and re.search(r'id="count-delegated">0<', inbox)


def test_the_holder_sends_the_delegate_s_answer_back_to_redo_with_a_reason(app, world):
    working, answered, chief, reviewer = _delegated(app, world)
    page = chief.get(f"/tasks/{answered}").data.decode()
    assert 'id="redo"' in page and f'action="/tasks/{answered}/return-to-delegate"' in page
    assert 'id="redo"' not in chief.get(f"/tasks/{working}").data.decode(), "nothing came back from that one yet"
    for reason, said in (("", "需要填写理由"), ("长" * 501, "500")):
        refused = chief.post(f"/tasks/{answered}/return-to-delegate", data={"reason": reason}, follow_redirects=True)
        assert said in refused.data.decode()
    with world.rt.db.read() as session:
        assert session.get(Task, answered).assignee == "edu_supervisor", "a refusal changes nothing"
    assert login(app.test_client(), "psb_reviewer").post(f"/tasks/{answered}/return-to-delegate",
                                                         data={"reason": "重办"}).status_code == 404
    sent = chief.post(f"/tasks/{answered}/return-to-delegate", data={"reason": "请补充参保年限的依据"},
                      follow_redirects=True).data.decode()
    assert "退回edu_reviewer重办" in sent and "data-with-delegate" in _row(sent, answered)
    with world.rt.db.read() as session:
        row = session.get(Task, answered)
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "delegation_sent_back")).scalar_one()
    assert (row.assignee, row.delegated_by) == ("edu_reviewer", "edu_supervisor")
    assert json.loads(entry.details)["reason"] == "请补充参保年限的依据"
    page = reviewer.get(f"/tasks/{answered}").data.decode()
    reason = re.search(r'<div class="flash error" role="status" id="redo-reason">(.*?)</div>', page, re.S)
    assert reason and "edu_supervisor" in reason.group(1) and "请补充参保年限的依据" in reason.group(1)
    assert 'id="draft-returned"' in page and field(page, "questions") == ANSWER["questions"], "their answer is kept"
    assert 'id="redo"' not in page
    page = chief.get(f"/tasks/{answered}").data.decode()  # the holder, while the delegate redoes it
    reason = re.search(r'<div class="flash error" role="status" id="redo-reason">(.*?)</div>', page, re.S)
    assert reason and "已退回edu_reviewer重办" in reason.group(1) and 'id="draft-returned"' not in page
    reviewer.post(f"/tasks/{answered}/save", data={**ANSWER, "questions": "改了一半"})
    assert "请补充参保年限的依据" in reviewer.get(f"/tasks/{answered}").data.decode(), "saving keeps the reason shown"
    reviewer.post(f"/tasks/{answered}", data={**ANSWER, "questions": "按实际缴费月数计算"})
    row = _row(chief.get("/inbox?view=delegated").data.decode(), answered)
    assert "data-to-confirm" in row
    page = chief.get(f"/tasks/{answered}").data.decode()
    assert field(page, "questions") == "按实际缴费月数计算" and 'id="redo-reason"' not in page
    assert "已办结" in chief.post(f"/tasks/{answered}", data={**ANSWER, "questions": "按实际缴费月数计算"},
                                follow_redirects=True).data.decode()


def test_delegated_by_me_is_read_through_its_partial_index(db):
    """Every inbox page counts the steps out with a delegate (web/inbox.py delegated_parts): the plan, with the
    parameters bound as the inbox sends them, reads ix_tasks_open_delegated, not every open step of the department."""
    from sqlalchemy import event, text

    from web.inbox import delegated_parts

    me = Actor("edu_supervisor", "edu_supervisor", {"EDU": "supervisor"}, frozenset())
    stmt = delegated_parts(select(Task.id).where(Task.state == "open"), me, ["edu_supervisor"])[0]
    postgres = db.dialect == "postgresql"
    with db.engine.connect() as conn:
        if postgres:
            conn.execute(text("SET enable_seqscan = off"))  # the tables are empty: ask whether the index can serve
        prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        event.listen(conn, "before_cursor_execute", lambda c, cursor, sql, params, context, many: (prefix + sql, params),
                     retval=True)
        plan = " ".join(str(row[0] if postgres else row[-1]) for row in conn.execute(stmt))
    assert "ix_tasks_open_delegated" in plan, plan
