"""A 委派 that ends without its delegator confirming it, as the pages show it: 改派 of a delegated step says in the
case history that the delegation ended (and who had delegated it), and an answer whose delegator left the department
lands in the department's inbox, marked as a delegate's answer to confirm."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from conftest import login
from engine import accounts
from engine.models import Case, Task, User
from engine.routing import Actor
from test_delegation_pages import ANSWER, _draft, _row
from test_saving_pages import field


def _names(world) -> dict[str, str]:
    with world.rt.db.read() as session:
        return dict(session.execute(select(User.username, User.display_name)).all())


def _text(page: bytes) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.decode())))


def test_the_case_history_says_a_reassignment_ended_the_delegation(app, world):
    task = _draft(world)
    chief = login(app.test_client(), "edu_supervisor")
    assert chief.post(f"/tasks/{task}/delegate", data={"to_user": "edu_reviewer"}).status_code == 302
    page = chief.post("/team/reassign", data={"task_id": [task], "to_user": "edu_head", "reason": "人员调整"},
                      follow_redirects=True)
    assert "改派给" in page.data.decode()
    with world.rt.db.read() as session:
        row = session.get(Task, task)
        assert (row.assignee, row.delegated_by) == ("edu_head", None)
        key = session.get(Case, row.case_id).business_key
    names = _names(world)
    task_page = _text(login(app.test_client(), "edu_head").get(f"/tasks/{task}").data)
    assert "本事项由" not in task_page, "the new holder's answer no longer goes back to the delegator"
    history = _text(chief.get(f"/cases/{key}").data)
    assert f"{names['edu_supervisor']}对{names['edu_reviewer']}的委派随之结束" in history
    log = _text(login(app.test_client(), "auditor").get("/audit").data)
    assert f"委派结束（原委派人）：{names['edu_supervisor']}" in log and f"受委派人：{names['edu_reviewer']}" in log


def test_an_answer_whose_delegator_left_waits_in_the_department_inbox_to_be_confirmed(app, world):
    task = _draft(world)
    chief, reviewer = login(app.test_client(), "edu_supervisor"), login(app.test_client(), "edu_reviewer")
    assert chief.post(f"/tasks/{task}/delegate", data={"to_user": "edu_reviewer"}).status_code == 302
    with world.rt.db.write() as session:
        accounts.set_access(session, Actor.system("test"), "edu_supervisor", {"PSB": "supervisor"}, ())
    page = reviewer.post(f"/tasks/{task}", data=ANSWER, follow_redirects=True).data.decode()
    names = _names(world)
    assert f"委派人{names['edu_supervisor']}已不能办理" in html.unescape(page)
    head = login(app.test_client(), "edu_head")
    inbox = head.get("/inbox?view=department").data.decode()
    assert f'data-task="{task}"' in inbox and "data-to-confirm" in _row(inbox, task)
    shown = head.get(f"/tasks/{task}").data.decode()
    assert field(shown, "questions") == ANSWER["questions"], "the delegate's answer is in the form to confirm"
    assert "退回重办" not in shown, "nobody holds it yet to send it back"
