"""A delegate's answer in the department's queue (its delegator can no longer take the step), as the pages show it:
the department is told, the delegate is offered no 签收 of their own answer (someone else confirms it), and one whose
action lost a race reads where the answer went."""
from __future__ import annotations

import html
import re

from conftest import login
from engine import accounts, delegation
from engine.models import Task
from engine.routing import Actor
from test_delegation_pages import ANSWER, _draft, _row


def _text(page: bytes) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.decode())))


def _queued(app, world) -> tuple[str, object]:
    """A step edu_supervisor delegated to edu_reviewer, answered after edu_supervisor moved to PSB."""
    task = _draft(world)
    chief, reviewer = login(app.test_client(), "edu_supervisor"), login(app.test_client(), "edu_reviewer")
    assert chief.post(f"/tasks/{task}/delegate", data={"to_user": "edu_reviewer"}).status_code == 302
    with world.rt.db.write() as session:
        accounts.set_access(session, Actor.system("test"), "edu_supervisor", {"PSB": "supervisor"}, ())
    assert reviewer.post(f"/tasks/{task}", data=ANSWER).status_code == 302
    return task, reviewer


def test_the_department_is_told_of_an_answer_in_its_queue(app, world):
    task, reviewer = _queued(app, world)
    head = login(app.test_client(), "edu_head")
    page = _text(head.get("/notifications").data)
    assert "在部门待办中，须由他人签收确认" in page and "受委派办理" in page
    assert "在部门待办中" not in _text(reviewer.get("/notifications").data), "not its author"
    head.post("/language", data={"language": "en", "next": "/notifications"})
    assert "in the department queue for someone else to claim and confirm" in _text(head.get("/notifications").data)


def test_the_delegate_is_not_offered_to_claim_their_own_answer(app, world):
    task, reviewer = _queued(app, world)
    row = _row(reviewer.get("/inbox?view=department").data.decode(), task)
    assert "data-own-answer" in row and f"/tasks/{task}/claim" not in row
    row = _row(login(app.test_client(), "edu_head").get("/inbox?view=department").data.decode(), task)
    assert f"/tasks/{task}/claim" in row and "data-own-answer" not in row
    refused = reviewer.post(f"/tasks/{task}/claim", data={"back": "/inbox?view=department"}, follow_redirects=True)
    assert refused.status_code == 200 and "须由edu_reviewer以外的人确认" in _text(refused.data)
    with world.rt.db.read() as session:
        assert session.get(Task, task).assignee is None
    shown = reviewer.get(f"/tasks/{task}").data.decode()
    assert 'id="own-answer"' in shown and 'id="task-form"' not in shown


def test_the_queue_reads_whose_answer_it_is_from_the_engines_rule(app, world, monkeypatch):
    """The template decided itself whose answer a queued step holds (a second copy of the four-eyes rule); now the
    row carries the engine's answer (delegation.authored, which refuses the claim): told that the answer is
    edu_head's, the queue offers edu_head no 签收 and offers it to the delegate."""
    task, reviewer = _queued(app, world)
    monkeypatch.setattr(delegation, "authored", lambda step, username: username == "edu_head")
    row = _row(login(app.test_client(), "edu_head").get("/inbox?view=department").data.decode(), task)
    assert "data-own-answer" in row and f"/tasks/{task}/claim" not in row
    row = _row(reviewer.get("/inbox?view=department").data.decode(), task)
    assert f"/tasks/{task}/claim" in row and "data-own-answer" not in row


def test_submitting_ones_own_answer_again_says_it_waits_in_the_queue(app, world):
    """The page said the step was delegated (委派) to someone, from the last task_delegated entry."""
    task, reviewer = _queued(app, world)
    page = reviewer.post(f"/tasks/{task}", data=ANSWER)
    assert page.status_code == 409
    assert "您作为受委派人办理的答复已在部门待办中" in _text(page.data) and "已委派给" not in _text(page.data)


def test_a_lost_race_says_the_answer_went_back_to_the_delegator(app, world):
    task = _draft(world)
    chief, reviewer = login(app.test_client(), "edu_supervisor"), login(app.test_client(), "edu_reviewer")
    assert chief.post(f"/tasks/{task}/delegate", data={"to_user": "edu_reviewer"}).status_code == 302
    assert reviewer.post(f"/tasks/{task}", data=ANSWER).status_code == 302
    page = _text(reviewer.post(f"/tasks/{task}/save", data=ANSWER).data)  # 暂存 from a page opened before
    assert "受委派人的答复已交回委派人" in page and "确认" in page and "已委派给" not in page
