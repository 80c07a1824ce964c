"""加签 / 减签 in the pages: the holder adds a signer after themselves and submits; the signer sees the answer
and signs; the step is done and the task page lists the signature. A signer before gets the step first; a
chief removes a pending signer with a reason; people outside get 403."""
from __future__ import annotations

from conftest import login
from world import opened

ANSWER = {"inquiry_subject": "社保口径", "questions": "请说明参保年限的计算方法", "reply_days": "5"}


def inquiry(world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return out, opened(out)["draft_inquiry"]


def test_a_signer_after_signs_the_answer_and_the_step_is_done(app, world):
    out, draft = inquiry(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get(f"/tasks/{draft}").data.decode()
    assert 'id="signers"' in page and "加签" in page
    added = reviewer.post(f"/tasks/{draft}/signers", data={"signer-to": "edu_supervisor", "signer-position": "after",
                                                           "signer-reason": "请科长签字"}, follow_redirects=True).data.decode()
    assert "提交后由edu_supervisor签署" in added and "请科长签字" in added
    sent = reviewer.post(f"/tasks/{draft}", data=ANSWER, follow_redirects=True).data.decode()
    assert "已送签" in sent
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.get(f"/tasks/{draft}").data.decode()
    assert 'id="sign"' in page and "社保口径" in page and 'class="task-form"' not in page
    assert "请说明参保年限的计算方法" in page
    refused = chief.post(f"/tasks/{draft}/sign", data={"decision": "disagree", "opinion": ""},
                         follow_redirects=True).data.decode()
    assert "需要填写意见" in refused
    done = chief.post(f"/tasks/{draft}/sign", data={"decision": "agree", "opinion": "同意"},
                      follow_redirects=True).data.decode()
    assert "环节已办结" in done
    page = reviewer.get(f"/tasks/{draft}").data.decode()
    assert "已同意" in page and "edu_supervisor" in page
    assert "edu_reviewer" in page  # done by the holder


def test_a_signer_before_gets_the_step_first_and_a_chief_removes_a_signer(app, world):
    out, draft = inquiry(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post(f"/tasks/{draft}/signers", data={"signer-to": "edu_supervisor", "signer-position": "before", "signer-reason": "先请科长审阅"})
    page = reviewer.get(f"/tasks/{draft}").data.decode()
    assert 'class="task-form"' not in page and "加签" in page and 'id="with-signer"' in page
    hrss = login(app.test_client(), "hrss_reviewer")
    assert hrss.post(f"/tasks/{draft}/sign", data={"decision": "agree"}).status_code == 404  # no part in the case
    from engine import signers
    with world.rt.db.read() as session:
        (row,) = signers.listed(session, draft)
    other = login(app.test_client(), "hrss_supervisor")
    assert other.post(f"/signers/{row.id}/remove", data={"reason": "x"}).status_code == 404  # no part in the case yet
    head = login(app.test_client(), "edu_head")
    removed = head.post(f"/signers/{row.id}/remove", data={"reason": "科长出差"}, follow_redirects=True).data.decode()
    assert "已减签" in removed and "科长出差" in removed
    page = reviewer.get(f"/tasks/{draft}").data.decode()
    assert 'class="task-form"' in page  # back with the holder


def test_the_api_adds_lists_signs_and_removes(app, world):
    from engine import tokens
    from engine.routing import Actor
    out, draft = inquiry(world)
    with world.rt.db.write() as session:
        secrets = {name: tokens.issue(session, Actor.system("test"), name, role, dept, user).secret
                   for name, role, dept, user in [("edu", "reviewer", "EDU", "edu_reviewer"),
                                                  ("chief", "supervisor", "EDU", "edu_supervisor"),
                                                  ("head", "head", "EDU", "edu_head"),
                                                  ("psb", "reviewer", "PSB", "psb_reviewer")]}
    client = app.test_client()

    def call(who, method, path, body=None):
        return getattr(client, method)(f"/api/v1{path}", headers={"Authorization": f"Bearer {secrets[who]}"}, json=body)

    assert call("psb", "get", f"/tasks/{draft}/signers").status_code == 404
    assert call("edu", "post", f"/tasks/{draft}/signers", {"to_user": "edu_supervisor", "position": "after",
                                                           "reason": ""}).status_code == 422
    added = call("edu", "post", f"/tasks/{draft}/signers", {"to_user": "edu_supervisor", "position": "after",
                                                            "reason": "请科长签字"})
    assert added.status_code == 201, added.json
    assert [(s["username"], s["position"], s["state"]) for s in added.json["signers"]] == [
        ("edu_supervisor", "after", "pending")]
    call("edu", "post", f"/tasks/{draft}/signers", {"to_user": "edu_head", "position": "after", "reason": "请局长签字"})
    held = call("edu", "post", f"/tasks/{draft}/complete", {"values": dict(ANSWER, reply_days=5)})
    assert held.status_code == 200 and held.json["held_for"] == "signature" and held.json["opened"] == []
    assert call("edu", "get", f"/tasks/{draft}/signers").json["with_signer"] == "edu_supervisor"
    assert call("head", "post", f"/tasks/{draft}/sign", {"decision": "agree"}).status_code == 403  # not yet
    signed = call("chief", "post", f"/tasks/{draft}/sign", {"decision": "agree", "opinion": "同意"})
    assert signed.status_code == 200 and signed.json["opened"] == []
    head_row = call("edu", "get", f"/tasks/{draft}/signers").json["signers"][1]
    assert call("edu", "post", "/signers/999999/removal", {"reason": "x"}).status_code == 404
    assert call("psb", "post", f"/signers/{head_row['id']}/removal", {"reason": "x"}).status_code == 404
    done = call("chief", "post", f"/signers/{head_row['id']}/removal", {"reason": "局长出差，按授权办结"})
    assert done.status_code == 200 and [o["step"] for o in done.json["opened"]], done.json


def test_the_api_lists_a_step_out_with_a_signer_before_among_the_holders_own(app, world):
    from engine import tokens
    from engine.routing import Actor
    out, draft = inquiry(world)
    with world.rt.db.write() as session:
        secrets = {name: tokens.issue(session, Actor.system("test"), name, role, "EDU", user).secret
                   for name, role, user in [("edu", "reviewer", "edu_reviewer"), ("chief", "supervisor", "edu_supervisor")]}
    client = app.test_client()

    def mine(who):
        reply = client.get("/api/v1/tasks?view=mine", headers={"Authorization": f"Bearer {secrets[who]}"})
        assert reply.status_code == 200, reply.json
        return {t["id"]: t["with_signer"] for t in reply.json["items"]}

    assert mine("edu") == {}
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{draft}/signers", data={
        "signer-to": "edu_supervisor", "signer-position": "before", "signer-reason": "先请科长审阅"})
    assert mine("edu") == {draft: "edu_supervisor"}, "the holder's step is theirs while the signer has it"
    assert mine("chief") == {draft: "edu_supervisor"}, "the signer has it to sign"


def test_the_inbox_finds_the_steps_waiting_on_a_signer_through_the_partial_index(db):
    """Every inbox page and tab count asks for the holder's pending signers before (web/inbox.py signing_part):
    the plan, with the parameters bound as the inbox sends them, reads ix_task_signers_waiting, not the table."""
    from sqlalchemy import event, select, text

    from engine.models import Task
    from engine.routing import Actor
    from web.inbox import signing_part

    me = Actor("edu_reviewer", "edu_reviewer", {"EDU": "reviewer"}, frozenset())
    stmt = signing_part(select(Task.id), me, ["edu_reviewer", "deputy"])
    postgres = db.dialect == "postgresql"
    with db.engine.connect() as conn:
        if postgres:
            conn.execute(text("SET enable_seqscan = off"))  # the tables are empty: ask whether the index can serve
        prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        event.listen(conn, "before_cursor_execute", lambda c, cursor, sql, params, context, many: (prefix + sql, params),
                     retval=True)
        plan = " ".join(str(row[0] if postgres else row[-1]) for row in conn.execute(stmt))
    assert "ix_task_signers_waiting" in plan, plan


def test_a_step_out_with_a_signer_is_listed_only_where_its_department_is_worked(app, world):
    """The holder's steps out with a signer before them were listed whatever the department: a token of another of
    the holder's departments listed them (GET /tasks?view=mine), and so did the inbox of a deputy who shares only that
    other department (found by a hostile review); they are listed as the holder's claimed steps are."""
    from datetime import timedelta

    from sqlalchemy import select

    from engine import tokens, wallclock
    from engine.models import Deputy, Membership, User
    from engine.routing import Actor
    out, draft = inquiry(world)
    with world.rt.db.write() as session:
        reviewer = session.execute(select(User).where(User.username == "edu_reviewer")).scalar_one()
        session.add(Membership(user_id=reviewer.id, department_code="PSB", role="reviewer"))
        now = wallclock.now()
        session.add(Deputy(principal="edu_reviewer", deputy="psb_reviewer", starts_at=now - timedelta(hours=1),
                           ends_at=now + timedelta(days=1), named_by="edu_reviewer", reason="出差"))
        secret = tokens.issue(session, Actor.system("test"), "psb", "reviewer", "PSB", "edu_reviewer").secret
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{draft}/signers", data={
        "signer-to": "edu_supervisor", "signer-position": "before", "signer-reason": "先请科长审阅"})
    reply = app.test_client().get("/api/v1/tasks?view=mine", headers={"Authorization": f"Bearer {secret}"})
    assert reply.status_code == 200 and reply.json["items"] == [], reply.json
    inbox = login(app.test_client(), "psb_reviewer").get("/inbox?view=mine").data.decode()
    assert draft not in inbox and out.business_key not in inbox


def test_a_signer_is_not_offered_to_remove_themselves(app, world):
    out, draft = inquiry(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post(f"/tasks/{draft}/signers", data={"signer-to": "edu_supervisor", "signer-position": "before",
                                                   "signer-reason": "先请科长审阅"})
    from engine import signers
    with world.rt.db.read() as session:
        (row,) = signers.listed(session, draft)
    remove = f'action="/signers/{row.id}/remove"'
    assert remove in reviewer.get(f"/tasks/{draft}").data.decode(), "the one who added the signer may take it back"
    chief = login(app.test_client(), "edu_supervisor")
    page = chief.get(f"/tasks/{draft}").data.decode()
    assert 'id="sign"' in page and remove not in page and "减签" not in page.split('id="signers"')[1]
    assert chief.post(f"/signers/{row.id}/remove", data={"reason": "不签了"}).status_code == 403  # the engine refuses
    with world.rt.db.read() as session:
        assert [s.state for s in signers.listed(session, draft)] == ["pending"]
