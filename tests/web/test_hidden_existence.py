"""An outsider (a user of a department with no part in a case) must not learn that a case, a step of it or one of
its files exists, nor which department holds it: what they cannot see answers exactly as what is not there (404,
the same page or problem). One who may see the case but not act on the step is still refused (403)."""
from __future__ import annotations

import re

from conftest import PASSWORD, login
from world import opened
from engine import signers
from engine.passwords import hash_password
from engine.routing import add_user, load_actor

MISSING_TASK = "0b7e5a52-6f0e-4f57-a9c4-4d1b9c2f8e11"


def inquiry(world) -> tuple[str, str]:
    """A formal inquiry from 教育局 to 人社局 waiting at 人社局's 拟写答复: (its key, that step)."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="请说明参保年限",
                         reply_days=5)
    return out.business_key, opened(out)["draft_answer"]


def same(a, b, *ids: tuple[str, str]) -> bool:
    """Whether two answers are alike once the id asked for is put in its place (and each page's own CSRF token
    left out: it carries the second it was made)."""
    text_a, text_b = (re.sub(r'name="csrf_token" value="[^"]*"', "", r.get_data(as_text=True)) for r in (a, b))
    for real, missing in ids:
        text_a = text_a.replace(real, missing)
    return a.status_code == b.status_code and text_a == text_b


def test_the_api_answers_a_step_an_outsider_cannot_see_as_a_missing_one(world, client, issue):
    key, task = inquiry(world)
    psb, edu = issue("psb-sys", "reviewer", "PSB"), issue("edu-sys", "reviewer", "EDU")
    for method, path, body in (("get", "/api/v1/tasks/{}", None), ("post", "/api/v1/tasks/{}/claim", None),
                               ("post", "/api/v1/tasks/{}/complete", {"values": {"answer": "x"}}),
                               ("post", "/api/v1/tasks/{}/signers", {"to_user": "x", "position": "after", "reason": "r"})):
        send = getattr(client, method)
        hidden = send(path.format(task), headers=psb, json=body)
        missing = send(path.format(MISSING_TASK), headers=psb, json=body)
        assert hidden.status_code == 404, (path, hidden.status_code, hidden.data)
        assert same(hidden, missing, (task, MISSING_TASK)), (path, hidden.data, missing.data)
        assert "HRSS" not in hidden.get_data(as_text=True)
    # 教育局 sent the inquiry: it sees the case, so it is told it may not take 人社局's step
    assert client.get(f"/api/v1/tasks/{task}", headers=edu).status_code == 403


def test_pages_answer_a_case_or_step_an_outsider_cannot_see_as_a_missing_one(app, world):
    key, task = inquiry(world)
    psb = login(app.test_client(), "psb_reviewer")
    missing_key = "INQ-2099-999999"
    for method, path, data in (("get", "/tasks/{t}", None), ("post", "/tasks/{t}", {"answer": "已核实"}),
                               ("post", "/tasks/{t}/save", {"answer": "已核实"}), ("post", "/tasks/{t}/claim", {}),
                               ("post", "/tasks/{t}/release", {}), ("post", "/tasks/{t}/transfer", {"to_user": "x"}),
                               ("post", "/tasks/{t}/delegate", {"to_user": "x"}), ("post", "/tasks/{t}/attachments", {}),
                               ("post", "/tasks/{t}/urge", {"note": "请尽快"}), ("get", "/cases/{k}", None),
                               ("get", "/cases/{k}/diagram", None), ("get", "/cases/{k}/attachments/1", None),
                               ("post", "/cases/{k}/reveal", {"field": "x"})):
        hidden = psb.open(path.format(t=task, k=key), method=method.upper(), data=data)
        missing = psb.open(path.format(t=MISSING_TASK, k=missing_key), method=method.upper(), data=data)
        assert hidden.status_code == 404, (path, hidden.status_code)
        assert same(hidden, missing, (task, MISSING_TASK), (key, missing_key)), path
        assert "人社局" not in hidden.get_data(as_text=True) and "已核实" not in hidden.get_data(as_text=True)
    edu = login(app.test_client(), "edu_reviewer")
    assert edu.get(f"/tasks/{task}").status_code == 403, "教育局 sees the case: it is refused the step, as before"
    assert edu.get(f"/cases/{key}").status_code == 200



def test_a_signer_of_a_step_an_outsider_cannot_see_is_missing_to_them(app, world, client, issue):
    key, task = inquiry(world)
    with world.rt.db.write() as session:
        add_user(session, "hrss_reviewer2", "人社审核员二", hash_password(PASSWORD), memberships={"HRSS": "reviewer"})
    with world.rt.db.write() as session:
        row = signers.add(session, world.rt, load_actor(session, "hrss_reviewer"), task, "hrss_reviewer2", "after", "请复核")
        signer = row.id
    psb = login(app.test_client(), "psb_reviewer")
    hidden, missing = (psb.post(f"/signers/{n}/remove", data={"reason": "减签"}) for n in (signer, 999999))
    assert hidden.status_code == 404 and same(hidden, missing, (f"/signers/{signer}/", "/signers/999999/"))
    token = issue("psb-sys", "reviewer", "PSB")
    hidden, missing = (client.post(f"/api/v1/signers/{n}/removal", headers=token, json={"reason": "减签"})
                       for n in (signer, 999999))
    assert hidden.status_code == 404 and same(hidden, missing, (f"#{signer}", "#999999")), hidden.data


def test_answering_an_inquiry_one_cannot_see_is_answering_one_that_is_not_there(world, client, issue):
    key, _ = inquiry(world)
    psb, edu = issue("psb-sys", "reviewer", "PSB"), issue("edu-sys", "reviewer", "EDU")
    hidden, missing = (client.post(f"/api/v1/inquiries/{k}/answer", headers=psb, json={"answer": "已核实"})
                       for k in (key, "INQ-2099-999999"))
    assert hidden.status_code == 404 and same(hidden, missing, (key, "INQ-2099-999999")), hidden.data
    asker = client.post(f"/api/v1/inquiries/{key}/answer", headers=edu, json={"answer": "已核实"})
    assert asker.status_code == 403, "教育局 asked: it sees the inquiry, and is refused its answer as before"
