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
    refused = reviewer.post(f"/tasks/{delegated}/release")
    page = refused.data.decode()
    assert refused.status_code == 409 and "由 edu_supervisor 委派而来，不能取消签收" in page and "Traceback" not in page
    with world.rt.db.read() as session:
        row = session.get(Task, delegated)
    assert (row.assignee, row.delegated_by) == ("edu_reviewer", "edu_supervisor"), "nothing changed"
