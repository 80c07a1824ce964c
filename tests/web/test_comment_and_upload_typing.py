"""批注 refused (empty, too long) came back by a redirect with the text gone: now the task page comes again with
the comment box holding it and what was wrong said beside it. Documents uploaded on the task page send what was
typed in the step's form along: when the upload succeeds, that typing is kept as the user's draft (暂存) and the
form holds it again, and the message says so; with nothing typed, no draft is made."""
from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from conftest import login
from engine import saving
from engine.models import AuditEntry, Case, Task
from test_side_form_refusals import draft_step, said_in, textarea
from test_inquiry_answer_pages import answer_step as inquiry_answer_step
from test_signer_drafts import typed_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TYPED = "经核实，申请人实际居住于天目山路1号"


def comments(world) -> int:
    with world.rt.db.read() as session:
        return session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.event == "comment_added")).scalar_one()


def test_a_comment_too_long_stays_in_the_comment_box(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    with world.rt.db.read() as session:
        key = session.get(Case, session.get(Task, task).case_id).business_key
    too_long = "请注意申请人的参保记录存在中断。" * 130  # over the 2000 characters a comment may have
    refused = reviewer.post(f"/cases/{key}/comments", data={"task_id": task, "text": too_long})
    page = refused.data.decode()
    assert refused.status_code == 422 and "Traceback" not in page and "2000" in said_in(page)
    assert textarea(page, "comment-text") == too_long
    blank = reviewer.post(f"/cases/{key}/comments", data={"task_id": task, "text": "  "})
    assert blank.status_code == 422 and said_in(blank.data.decode())
    assert comments(world) == 0, "nothing was recorded"


def answer_step(app, world):
    draft, psb, _ = inquiry_answer_step(app, world)
    return draft, psb


def flashed(page: str) -> list[str]:
    return re.findall(r'class="flash success" role="status">(.*?)</div>', page, re.S)


def saved(world, task: str) -> dict | None:
    with world.rt.db.read() as session:
        return saving.saved(session.get(Task, task))


def test_an_upload_keeps_what_was_typed_in_the_form_as_a_draft(app, world):
    draft, psb = answer_step(app, world)
    uploaded = psb.post(f"/tasks/{draft}/attachments", data={"kept-file": (io.BytesIO(PDF), "户籍迁移登记表.pdf"),
                                                             "answer": TYPED, "evidence": ""},
                        content_type="multipart/form-data", follow_redirects=True)
    page = uploaded.data.decode()
    assert uploaded.status_code == 200 and "户籍迁移登记表.pdf" in page
    assert any("暂存" in said for said in flashed(page)), "the message says the typing was kept"
    assert typed_form(page, "answer") == TYPED, "the form holds what was typed"
    assert saved(world, draft)["values"]["answer"] == TYPED


def test_an_upload_with_nothing_typed_saves_no_draft(app, world):
    draft, psb = answer_step(app, world)
    uploaded = psb.post(f"/tasks/{draft}/attachments", data={"kept-file": (io.BytesIO(PDF), "户籍迁移登记表.pdf"),
                                                             "answer": "", "evidence": " "},
                        content_type="multipart/form-data", follow_redirects=True)
    page = uploaded.data.decode()
    assert uploaded.status_code == 200 and "户籍迁移登记表.pdf" in " ".join(flashed(page))
    assert not any("暂存" in said for said in flashed(page))
    assert saved(world, draft) is None


def test_an_upload_whose_typing_cannot_be_kept_keeps_nothing_and_says_why(app, world):
    draft, psb = answer_step(app, world)
    hidden = "经核实\u202e，申请人实际居住于天目山路1号"  # a text-direction override: refused in a draft too
    refused = psb.post(f"/tasks/{draft}/attachments", data={"kept-file": (io.BytesIO(PDF), "户籍迁移登记表.pdf"),
                                                            "answer": hidden},
                       content_type="multipart/form-data")
    page = refused.data.decode()
    assert refused.status_code == 422 and "Traceback" not in page and "隐藏" in said_in(page), said_in(page)
    assert saved(world, draft) is None and "户籍迁移登记表.pdf" not in page.split('id="kept-files"')[1].split("</section>")[0]
