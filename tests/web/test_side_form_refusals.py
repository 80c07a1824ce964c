"""The task page's other forms keep what was typed when they are refused: 退回, 转办, 委派, 抄送, 加签 and the
documents kept with the answer came back to the page by a redirect (or a bare 403/409 page) and the reason, the
note, the chosen colleague were gone. Now the task page comes again, saying what was wrong, with the form open
and filled in where the page still offers it, or what was typed read-only to copy where the step moved on; and an
auditor who posts the step's form is told they may not act on steps, not that they no longer may."""
from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from conftest import login
from engine import cases
from engine.models import AuditEntry, Task
from test_send_back_pages import inquiry_at_sign_off
from test_inquiry_answer_pages import answer_step
from test_signer_drafts import ANSWER, EVIDENCE, answering
from world import opened

REASON = "答复未引用《社会保险法》第十条，请补充依据后再报。"


def draft_step(world) -> str:
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return opened(out)["draft_inquiry"]


def textarea(page: str, id_: str) -> str | None:
    found = re.search(rf'<textarea id="{id_}"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def input_value(page: str, id_: str) -> str | None:
    found = re.search(rf'<input id="{id_}"[^>]*value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


def said_in(page: str) -> str:
    """The refusal said inside the refused form."""
    return html.unescape(re.search(r'id="side-refused">(.*?)</p>', page, re.S).group(1))


def lost_said(page: str) -> str:
    return html.unescape(re.search(r'id="lost-race"[^>]*>(.*?)</div>', page, re.S).group(1))


def logged(world) -> int:
    with world.rt.db.read() as session:
        return session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_an_unconfirmed_send_back_keeps_the_reason_and_the_chosen_step(app, world):
    _, sign = inquiry_at_sign_off(world)
    chief = login(app.test_client(), "hrss_supervisor")
    target = re.search(r'name="target" value="([0-9a-f-]{36})"', chief.get(f"/tasks/{sign}").data.decode()).group(1)
    before = logged(world)
    refused = chief.post(f"/tasks/{sign}/send-back", data={"target": target, "reason": REASON})
    page = refused.data.decode()
    assert refused.status_code == 422 and "Traceback" not in page
    assert textarea(page, "send-back-reason") == REASON and "请勾选确认" in said_in(page)
    assert re.search(r'<details class="send-back" id="send-back" open>', page), "the form is open where it was"
    assert re.search(rf'value="{target}" required checked', page)
    assert logged(world) == before, "nothing changed"


def test_a_send_back_after_a_colleague_claimed_the_step_gives_the_reason_back_to_copy(app, world):
    _, sign = inquiry_at_sign_off(world)
    chief = login(app.test_client(), "hrss_supervisor")
    target = re.search(r'name="target" value="([0-9a-f-]{36})"', chief.get(f"/tasks/{sign}").data.decode()).group(1)
    with world.rt.db.write() as session:
        cases.claim(session, world.rt, world.users["hrss_head"], sign)
    refused = chief.post(f"/tasks/{sign}/send-back", data={"target": target, "reason": REASON, "confirm": "1"})
    page = refused.data.decode()
    assert refused.status_code == 409 and "Traceback" not in page
    said = lost_said(page)
    assert "签收" in said and "hrss_head" in said and "未保存" in said
    assert textarea(page, "typed_send-back-reason") == REASON and "拟写答复" in textarea(page, "typed_send-back-target")
    assert 'id="send-back"' not in page, "no send-back form for a step someone else holds"


def test_a_refused_transfer_keeps_the_reason_and_names_what_was_wrong(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    refused = reviewer.post(f"/tasks/{task}/transfer", data={"to_user": "hrss_reviewer", "reason": "出差一周，请代办"})
    page = refused.data.decode()
    assert refused.status_code == 422 and "Traceback" not in page
    assert textarea(page, "transfer-reason") == "出差一周，请代办" and "hrss_reviewer" in said_in(page)
    assert '<details class="send-back" id="transfer" open>' in page


def test_a_transfer_to_a_chosen_colleague_after_the_step_was_done_gives_the_typing_back(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.get(f"/tasks/{task}")
    world.complete("edu_supervisor", task, inquiry_subject="社保", questions="请说明", reply_days=5)
    refused = reviewer.post(f"/tasks/{task}/transfer", data={"to_user": "edu_supervisor", "reason": "出差一周，请代办"})
    page = refused.data.decode()
    assert refused.status_code == 409 and "edu_supervisor" in lost_said(page) and "办结" in lost_said(page)
    assert textarea(page, "typed_transfer-reason") == "出差一周，请代办"
    assert "edu_supervisor" in textarea(page, "typed_transfer-to")


def test_a_refused_delegation_keeps_the_note_and_the_colleague(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    refused = reviewer.post(f"/tasks/{task}/delegate", data={"to_user": "hrss_reviewer", "note": "请先起草，周五前"})
    page = refused.data.decode()
    assert refused.status_code == 422 and "Traceback" not in page and "hrss_reviewer" in said_in(page)
    assert input_value(page, "delegate-note") == "请先起草，周五前"
    assert '<details class="send-back" id="delegate" open>' in page


def test_a_refused_copy_keeps_the_note_and_the_chosen_ones(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    refused = reviewer.post(f"/tasks/{task}/cc", data={"to": ["HRSS", "nobody_at_all"], "note": "供知悉，勿回复"})
    page = refused.data.decode()
    assert refused.status_code == 422 and "nobody_at_all" in said_in(page)
    assert input_value(page, "cc-note") == "供知悉，勿回复"
    assert re.search(r'<option value="HRSS" selected>', page), "the department chosen stays chosen"
    assert '<details class="send-back" id="cc" open>' in page


def test_an_added_signer_without_a_reason_keeps_the_chosen_signer_and_order(app, world):
    task = answering(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    refused = reviewer.post(f"/tasks/{task}/signers", data={"signer-to": "hrss_supervisor", "signer-position": "before",
                                                             "signer-reason": " "})
    page = refused.data.decode()
    assert refused.status_code == 422 and "加签需要填写事由" in said_in(page)
    assert '<option value="hrss_supervisor" selected>' in page
    assert re.search(r'value="before" form="task-form" checked', page)


def test_a_refused_added_signer_keeps_the_reason_and_the_typed_answer(app, world):
    task = answering(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    refused = reviewer.post(f"/tasks/{task}/signers", data={"answer": ANSWER, "evidence": EVIDENCE,
                                                             "signer-to": "edu_reviewer", "signer-position": "after",
                                                             "signer-reason": "请科长把关口径"})
    page = refused.data.decode()
    assert refused.status_code == 422 and "edu_reviewer" in said_in(page)
    assert textarea(page, "signer-reason") == "请科长把关口径" and ANSWER in page


def test_a_refused_upload_keeps_what_was_typed_in_the_form_and_names_the_file(app, world):
    draft, psb, out = answer_step(app, world)
    page = psb.get(f"/tasks/{draft}").data.decode()
    assert re.search(r'name="kept-file" form="task-form"', page) and re.search(r'formenctype="multipart/form-data"', page)
    refused = psb.post(f"/tasks/{draft}/attachments", data={"kept-file": (io.BytesIO(b"plain"), "notes.txt"),
                                                            "answer": "经核实，申请人实际居住于天目山路1号"},
                       content_type="multipart/form-data")
    page = refused.data.decode()
    assert refused.status_code == 422 and "notes.txt" in said_in(page)
    assert "经核实，申请人实际居住于天目山路1号" in page, "the answer typed in the form is still in it"


def test_an_auditor_posting_the_step_form_is_told_they_may_not_act_on_steps(app, world):
    task = draft_step(world)
    auditor = login(app.test_client(), "auditor")
    refused = auditor.post(f"/tasks/{task}", data={"inquiry_subject": "审计试填", "questions": "x", "reply_days": "5"})
    page = refused.data.decode()
    said = lost_said(page)
    assert refused.status_code == 403 and "不能再办理" not in said and "只能查阅" in said
    english = login(app.test_client(), "auditor")
    english.post("/language", data={"language": "en", "next": "/"})
    said = lost_said(english.post(f"/tasks/{task}", data={"inquiry_subject": "x"}).data.decode())
    assert "no longer" not in said and "read steps but not act on them" in said


def test_an_auditor_posting_a_send_back_is_told_the_same(app, world):
    _, sign = inquiry_at_sign_off(world)
    refused = login(app.test_client(), "auditor").post(f"/tasks/{sign}/send-back",
                                                       data={"target": "x", "reason": REASON, "confirm": "1"})
    page = refused.data.decode()
    assert refused.status_code == 403 and "只能查阅" in lost_said(page)
    assert textarea(page, "typed_send-back-reason") == REASON
    with world.rt.db.read() as session:
        assert session.get(Task, sign).state == "open"


def test_a_refused_redo_keeps_the_reason(app, world):
    from test_delegation_pages import _delegated

    _, answered, chief, _ = _delegated(app, world)
    too_long = "请补充参保年限的依据。" * 50  # over the 500 characters a reason may have
    refused = chief.post(f"/tasks/{answered}/return-to-delegate", data={"reason": too_long})
    page = refused.data.decode()
    assert refused.status_code == 422 and "500" in said_in(page)
    assert textarea(page, "redo-reason-text") == too_long and '<details class="send-back" id="redo" open>' in page
