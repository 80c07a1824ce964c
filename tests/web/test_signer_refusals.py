"""签署 and 减签 refused keep what was typed: a disagreement without an opinion, an opinion or a reason too long,
came back to the task page by a redirect with the choice and the text gone. Now the task page comes again with
the signing form (or the signer's row) filled in and what was wrong said in it; where the signer or the row is
gone meanwhile (removed, signed), what was said stands above and what was typed is there read-only to copy."""
from __future__ import annotations

import re

from conftest import login
from engine import signers
from test_side_form_refusals import input_value, logged as audit_count, lost_said, said_in, textarea
from test_signers_pages import ANSWER, inquiry

OPINION = "答复未写明参保年限的计算口径，请补充后再报。"


def at_signature(app, world):
    """A formal inquiry's 拟写答复 submitted by its holder and waiting for edu_supervisor to sign it (加签 after)."""
    _, draft = inquiry(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post(f"/tasks/{draft}/signers", data={"signer-to": "edu_supervisor", "signer-position": "after",
                                                   "signer-reason": "请科长签字"})
    assert reviewer.post(f"/tasks/{draft}", data=ANSWER).status_code == 302
    with world.rt.db.read() as session:
        (row,) = signers.listed(session, draft)
    return draft, row.id, reviewer, login(app.test_client(), "edu_supervisor")


def pending(world, draft: str) -> list[tuple[str, str | None]]:
    with world.rt.db.read() as session:
        return [(s.state, s.decision) for s in signers.listed(session, draft)]


def test_a_disagreement_without_an_opinion_keeps_the_choice(app, world):
    draft, _, _, chief = at_signature(app, world)
    refused = chief.post(f"/tasks/{draft}/sign", data={"decision": "disagree", "opinion": "  "})
    page = refused.data.decode()
    assert refused.status_code == 422 and "Traceback" not in page
    assert "需要填写意见" in said_in(page) and 'id="sign"' in page
    assert re.search(r'value="disagree"[^>]* checked', page) and not re.search(r'value="agree"[^>]* checked', page)
    assert pending(world, draft) == [("pending", None)], "nothing was signed"


def test_a_refused_opinion_stays_in_the_signing_form(app, world):
    draft, _, _, chief = at_signature(app, world)
    too_long = OPINION * 30  # over the 500 characters an opinion may have
    refused = chief.post(f"/tasks/{draft}/sign", data={"decision": "agree", "opinion": too_long})
    page = refused.data.decode()
    assert refused.status_code == 422 and "500" in said_in(page)
    assert textarea(page, "sign-opinion") == too_long and re.search(r'value="agree"[^>]* checked', page)
    assert pending(world, draft) == [("pending", None)]


def test_a_signer_removed_meanwhile_gets_the_opinion_back_to_copy(app, world):
    draft, row, _, chief = at_signature(app, world)
    with world.rt.db.write() as session:  # while the chief was typing
        signers.remove(session, world.rt, world.users["edu_head"], row, "科长出差，按授权办结")
    refused = chief.post(f"/tasks/{draft}/sign", data={"decision": "disagree", "opinion": OPINION})
    page = refused.data.decode()
    assert refused.status_code == 403 and "Traceback" not in page
    assert "edu_supervisor" in lost_said(page) and 'id="sign"' not in page
    assert textarea(page, "typed_sign-opinion") == OPINION and textarea(page, "typed_sign-decision") == "不同意"


def test_a_refused_removal_keeps_the_reason_in_the_signers_row(app, world):
    draft, row, reviewer, _ = at_signature(app, world)
    too_long = "科长出差，按授权由局长签署。" * 40
    refused = reviewer.post(f"/signers/{row}/remove", data={"reason": too_long})
    page = refused.data.decode()
    assert refused.status_code == 422 and "500" in said_in(page)
    assert input_value(page, f"signer-remove-{row}") == too_long
    assert pending(world, draft) == [("pending", None)]
    blank = reviewer.post(f"/signers/{row}/remove", data={"reason": " "})
    assert blank.status_code == 422 and "需要填写事由" in said_in(blank.data.decode())


def test_a_removal_after_the_signer_signed_gives_the_reason_back_to_copy(app, world):
    draft, row, reviewer, _ = at_signature(app, world)
    with world.rt.db.write() as session:
        signers.sign(session, world.rt, world.users["edu_supervisor"], draft, "agree", "同意")
    refused = reviewer.post(f"/signers/{row}/remove", data={"reason": "科长出差"})
    page = refused.data.decode()
    assert refused.status_code == 409 and "edu_supervisor" in lost_said(page)
    assert textarea(page, f"typed_signer-remove-{row}") == "科长出差" and 'id="side-refused"' not in page


def test_one_of_another_department_who_signs_reads_only_their_own_text(app, world):
    from test_signer_drafts import answering

    task = answering(world)
    login(app.test_client(), "hrss_reviewer").post(f"/tasks/{task}/signers", data={
        "signer-to": "hrss_reviewer2", "signer-position": "before", "signer-reason": "请先审阅"})
    asker = login(app.test_client(), "edu_reviewer")  # of the case (it asked), not of the step's department
    assert asker.get(f"/tasks/{task}").status_code == 403
    refused = asker.post(f"/tasks/{task}/sign", data={"decision": "disagree", "opinion": OPINION})
    page = refused.data.decode()
    assert refused.status_code == 403 and 'id="task-form"' not in page and 'id="comments"' not in page
    assert textarea(page, "typed_sign-opinion") == OPINION and "签署" in lost_said(page)


def test_a_signer_who_removes_themselves_reads_why_on_the_task_page(app, world, issue):
    """减签 of oneself (a stale page, a crafted form): the engine's rule (signers.may_remove) refuses it; the task
    page comes again, 403, saying why in a sentence of its own, with the signing form still there and the reason
    typed read-only to copy; the REST API says the same with its code. Nothing changed."""
    draft, row, _, chief = at_signature(app, world)
    token = issue("edu-chief", "supervisor", "EDU", "edu_supervisor")
    logged = audit_count(world)
    refused = chief.post(f"/signers/{row}/remove", data={"reason": "不签了"})
    page = refused.data.decode()
    assert refused.status_code == 403 and "Traceback" not in page
    said = lost_said(page)
    assert said.startswith("您是本环节的被加签人，不能将自己减签；请签署，如不同意请选择“不同意”并填写意见。"), said
    assert "您填写的内容未保存" in said and 'id="sign"' in page and f'action="/signers/{row}/remove"' not in page
    assert textarea(page, f"typed_signer-remove-{row}") == "不签了"
    chief.post("/language", data={"language": "en", "next": f"/tasks/{draft}"})
    said = lost_said(chief.post(f"/signers/{row}/remove", data={"reason": "不签了"}).data.decode())
    assert said.startswith("a signer does not remove themselves: sign, or disagree with an opinion. Nothing"), said
    api = app.test_client().post(f"/api/v1/signers/{row}/removal", json={"reason": "不签了"},
                                 headers={**token, "Accept-Language": "zh-CN"})
    assert api.status_code == 403 and api.json["code"] == "signer_remove_self", api.json
    assert api.json["detail"].startswith("您是本环节的被加签人，不能将自己减签"), api.json
    assert pending(world, draft) == [("pending", None)] and audit_count(world) == logged
