"""委派 over the API: GET /tasks?view=delegated lists what the token's user has out with a delegate (as 我委派的 does),
and POST /tasks/{id}/return-to-delegate sends a delegate's answer back to redo (退回重办) with a reason."""
from __future__ import annotations

from conftest import login
from engine.models import Task
from world import opened

ANSWER = {"inquiry_subject": "社保口径", "questions": "请说明参保年限的计算方法", "reply_days": "5"}


def _draft(world) -> str:
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return opened(out)["draft_inquiry"]


def test_the_api_lists_the_steps_out_with_a_delegate_and_sends_an_answer_back(app, world, client, issue):
    chief = issue("edu-chief", "supervisor", "EDU", "edu_supervisor")
    working, answered = _draft(world), _draft(world)
    for task in (working, answered):
        r = client.post(f"/api/v1/tasks/{task}/delegate", headers=chief, json={"to_user": "edu_reviewer"})
        assert r.status_code == 200, r.data
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{answered}", data=ANSWER)
    listed = client.get("/api/v1/tasks?view=delegated", headers=chief)
    assert listed.status_code == 200, listed.data
    items = {t["id"]: t for t in listed.get_json()["items"]}
    assert set(items) == {working, answered}
    assert (items[working]["delegate"], items[working]["delegate_done"]) == ("edu_reviewer", False)
    assert (items[answered]["delegate"], items[answered]["delegate_done"]) == ("edu_reviewer", True)
    assert items[working]["delegated_since"]
    reviewer = issue("edu-rev", "reviewer", "EDU", "edu_reviewer")
    assert client.get("/api/v1/tasks?view=delegated", headers=reviewer).get_json()["items"] == []

    empty = client.post(f"/api/v1/tasks/{answered}/return-to-delegate", headers=chief, json={"reason": ""})
    assert empty.status_code == 422
    nothing = client.post(f"/api/v1/tasks/{working}/return-to-delegate", headers=chief, json={"reason": "重办"})
    assert nothing.status_code == 403, nothing.data  # still with the delegate: theirs, nothing came back to send
    sent = client.post(f"/api/v1/tasks/{answered}/return-to-delegate", headers=chief, json={"reason": "请补充依据"})
    assert sent.status_code == 200, sent.data
    assert sent.get_json()["assignee"] == "edu_reviewer"
    with world.rt.db.read() as session:
        assert session.get(Task, answered).delegated_by == "edu_supervisor"
    items = {t["id"]: t for t in client.get("/api/v1/tasks?view=delegated", headers=chief).get_json()["items"]}
    assert items[answered]["delegate_done"] is False


def test_the_api_marks_a_delegates_own_answer_in_the_queue_for_someone_else(app, world, client, issue):
    """Its delegator no longer of the department, a delegate's answer waits in the department queue for someone else
    to claim and confirm (four-eyes, delegation.authored): the task list and the task say `own_answer` to its author
    (whose claim is refused, 403 own_answer), not to a colleague, whose claim goes through; the spec describes it."""
    from engine import accounts
    from engine.routing import Actor

    task = _draft(world)
    chief = issue("edu-chief", "supervisor", "EDU", "edu_supervisor")
    assert client.post(f"/api/v1/tasks/{task}/delegate", headers=chief, json={"to_user": "edu_reviewer"}).status_code == 200
    with world.rt.db.write() as session:
        accounts.set_access(session, Actor.system("test"), "edu_supervisor", {"PSB": "supervisor"}, ())
    author, other = issue("edu-rev", "reviewer", "EDU", "edu_reviewer"), issue("edu-head", "head", "EDU", "edu_head")
    done = client.post(f"/api/v1/tasks/{task}/complete", headers=author, json={"values": ANSWER})
    assert done.status_code == 200 and done.get_json()["held_for"] == "confirmation", done.data

    def listed(who):
        items = client.get("/api/v1/tasks?view=queue", headers=who).get_json()["items"]
        return next(t for t in items if t["id"] == task)

    assert listed(author)["own_answer"] is True and listed(other)["own_answer"] is False
    assert client.get(f"/api/v1/tasks/{task}", headers=author).get_json()["own_answer"] is True
    assert client.get(f"/api/v1/tasks/{task}", headers=other).get_json()["own_answer"] is False
    refused = client.post(f"/api/v1/tasks/{task}/claim", headers=author)
    assert refused.status_code == 403 and refused.get_json()["code"] == "own_answer", refused.data
    claimed = client.post(f"/api/v1/tasks/{task}/claim", headers=other)
    assert claimed.status_code == 200 and claimed.get_json()["own_answer"] is False, claimed.data
    spec = client.get("/api/v1/openapi.json").get_json()
    described = [s["properties"]["own_answer"]["description"] for name, s in spec["components"]["schemas"].items()
                 if name.startswith(("TaskSummary", "TaskDetail"))]
    assert described and all("委派" in d and "own_answer" in d for d in described), described
    assert "own_answer" in spec["paths"]["/tasks/{task_id}/claim"]["post"]["description"]


def test_the_api_and_the_inbox_mark_an_answer_a_deputy_typed_as_the_delegates_own(app, world, client, issue):
    """A deputy (代理) typed the delegate's answer: the delegate they stood in for is an author too (four-eyes,
    delegation.authored). The API said `own_answer` false to them and let them claim it, while the department's
    notice left them out."""
    from datetime import timedelta

    from engine import accounts, deputies, wallclock
    from engine.routing import Actor, add_user, load_actor

    task = _draft(world)
    chief = issue("edu-chief", "supervisor", "EDU", "edu_supervisor")
    assert client.post(f"/api/v1/tasks/{task}/delegate", headers=chief, json={"to_user": "edu_reviewer"}).status_code == 200
    with world.rt.db.write() as session:
        add_user(session, "edu_reviewer2", "edu_reviewer2", memberships={"EDU": "reviewer"})
        now = wallclock.now()
        deputies.name(session, load_actor(session, "edu_reviewer"), "edu_reviewer", "edu_head",
                      now - timedelta(hours=1), now + timedelta(days=3), "出差")
        accounts.set_access(session, Actor.system("test"), "edu_supervisor", {"PSB": "supervisor"}, ())
    assert login(app.test_client(), "edu_head").post(f"/tasks/{task}", data=ANSWER).status_code == 302
    with world.rt.db.read() as session:
        assert session.get(Task, task).assignee is None, "in EDU's queue"
    deputy = issue("edu-head", "head", "EDU", "edu_head")
    delegate, other = issue("edu-rev", "reviewer", "EDU", "edu_reviewer"), issue("edu-rev2", "reviewer", "EDU", "edu_reviewer2")
    for who, own in ((delegate, True), (deputy, True), (other, False)):
        assert client.get(f"/api/v1/tasks/{task}", headers=who).get_json()["own_answer"] is own
    page = login(app.test_client(), "edu_reviewer").get("/inbox?view=department").data.decode()
    assert "data-own-answer" in page.split(f'data-task="{task}"')[1].split("</tr>")[0]
    refused = client.post(f"/api/v1/tasks/{task}/claim", headers=delegate)
    assert refused.status_code == 403 and refused.get_json()["code"] == "own_answer", refused.data
    claimed = client.post(f"/api/v1/tasks/{task}/claim", headers=other)
    assert claimed.status_code == 200, claimed.data
