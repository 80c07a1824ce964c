"""签收 and 取消签收 from the inbox: one claims a step to do it at once, so the claim opens the step (a failed claim
says why on the page it came from); a delegated step (委派) offers no 取消签收, and the engine refuses one posted anyway."""
from __future__ import annotations

from conftest import login
from engine.models import Task
from world import opened


def _row(inbox: str, task_id: str) -> str:
    return inbox.split(f'data-task="{task_id}"')[1].split("</tr>")[0]


def _draft(world) -> tuple[str, str]:
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return out.business_key, opened(out)["draft_inquiry"]


def test_a_delegate_is_offered_no_release_and_one_posted_anyway_is_refused(app, world):
    _, delegated = _draft(world)
    _, own = _draft(world)
    login(app.test_client(), "edu_supervisor").post(f"/tasks/{delegated}/delegate", data={"to_user": "edu_reviewer"})
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post(f"/tasks/{own}/claim")
    inbox = reviewer.get("/inbox?view=mine").data.decode()
    assert f"/tasks/{own}/release" in _row(inbox, own), "one's own claimed step may go back to the queue"
    assert "/release" not in _row(inbox, delegated), "a delegated step goes back to the delegator, not to the queue"
    refused = reviewer.post(f"/tasks/{delegated}/release")  # was a bare 409 page: now the step's page says why
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/tasks/{delegated}")
    page = reviewer.get(refused.headers["Location"]).data.decode()
    assert "由edu_supervisor委派而来，不能取消签收" in page and 'class="flash error"' in page and "Traceback" not in page
    with world.rt.db.read() as session:
        row = session.get(Task, delegated)
    assert (row.assignee, row.delegated_by) == ("edu_reviewer", "edu_supervisor"), "nothing changed"


LIST = "/inbox?view=department&process=formal_inquiry"


def test_a_claim_from_the_queue_opens_the_step_with_a_way_back_to_the_list(app, world):
    """签收 led back to 我的待办, and the clerk had to find the step again to do it (办理)."""
    key, task = _draft(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    queue = reviewer.get(LIST).data.decode()
    assert f'<input type="hidden" name="back" value="{LIST.replace("&", "&amp;")}">' in _row(queue, task)
    claimed = reviewer.post(f"/tasks/{task}/claim", data={"back": LIST})
    assert claimed.status_code == 302 and claimed.headers["Location"].startswith(f"/tasks/{task}?back=")
    page = reviewer.get(claimed.headers["Location"]).data.decode()
    assert f"已签收{key}的“撰写函询”。" in page and 'class="task-form"' in page
    assert f'<a href="{LIST.replace("&", "&amp;")}" id="back-to-list">' in page
    away = reviewer.get(f"/tasks/{task}?back=https://evil.example/").data.decode()
    assert 'id="back-to-list"' not in away and 'href="https://evil' not in away, "only a page of this site"
    with world.rt.db.read() as session:
        assert session.get(Task, task).assignee == "edu_reviewer"


def test_a_claim_from_the_step_page_stays_there(app, world):
    _, task = _draft(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    here = f"/tasks/{task}?back=/inbox"
    assert reviewer.post(f"/tasks/{task}/claim", data={"back": here}).headers["Location"] == here


def test_a_failed_claim_says_why_on_the_page_it_came_from(app, world):
    key, task = _draft(world)
    login(app.test_client(), "edu_supervisor").post(f"/tasks/{task}/claim")
    reviewer = login(app.test_client(), "edu_reviewer")
    refused = reviewer.post(f"/tasks/{task}/claim", data={"back": LIST})
    assert refused.status_code == 302 and refused.headers["Location"] == LIST
    page = reviewer.get(LIST).data.decode()
    assert "<title>" in page and "“撰写函询”刚刚已由edu_supervisor签收" in page and 'class="flash error"' in page
    outsider = login(app.test_client(), "psb_reviewer").post(f"/tasks/{task}/claim", data={"back": LIST})
    assert outsider.status_code == 404, "one who may not see the case learns nothing of the step"
    with world.rt.db.read() as session:
        assert session.get(Task, task).assignee == "edu_supervisor"
