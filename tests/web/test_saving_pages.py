"""暂存 on the task page: what the holder typed is kept on the step without submitting it (an unclaimed step becomes
theirs), comes back in the form next time, also for a colleague who takes the step over, and goes once the step
is done; the audit log names the fields, not what they hold; bad input is refused and kept in the form."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from conftest import login
from engine.models import AuditEntry, Task
from world import opened

TYPED = {"inquiry_subject": "社保口径", "questions": "请说明参保年限的计算方法", "reply_days": "5"}


def draft_step(world) -> str:
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return opened(out)["draft_inquiry"]


def field(page: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}" id="f_{name}"[^>]*>(.*?)</textarea>', page, re.S) or \
        re.search(rf'<input name="{name}" id="f_{name}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


def test_typed_answers_are_kept_and_come_back_for_whoever_takes_the_step(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get(f"/tasks/{task}").data.decode()
    assert re.search(rf'<button[^>]*id="save-typed"[^>]*formaction="/tasks/{task}/save"', page) and "暂存" in page
    saved = reviewer.post(f"/tasks/{task}/save", data=TYPED, follow_redirects=True).data.decode()
    notice = re.search(r'<p class="flash" id="draft-saved" role="status">([^<]*)', saved)
    assert notice and "已暂存，尚未提交" in notice.group(1) and "表单中是您暂存的内容" in notice.group(1), \
        "one's own draft is 您的, not one's own name"
    said = [m for m in re.findall(r'class="flash[^"]*"[^>]*>([^<]*)', saved) if "暂存" in m]
    assert said == [notice.group(1)], f"one message says it was saved, not two: {said}"
    assert "edu_reviewer" not in notice.group(1)
    assert field(saved, "questions") == TYPED["questions"] and field(saved, "inquiry_subject") == TYPED["inquiry_subject"]
    with world.rt.db.read() as session:
        row = session.get(Task, task)
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "task_draft_saved")).scalar_one()
    assert row.assignee == "edu_reviewer" and row.state == "open", "the one who saves an unclaimed step takes it"
    details = json.loads(entry.details)
    assert details["fields"] == sorted(TYPED) and TYPED["questions"] not in entry.details, "names, not contents"

    inbox = reviewer.get("/inbox?view=mine").data.decode()
    assert f'data-task="{task}"' in inbox and "data-to-confirm" not in inbox, "a saved answer is no delegate's"
    reviewer.post(f"/tasks/{task}/release")
    colleague = login(app.test_client(), "edu_supervisor")
    page = colleague.get(f"/tasks/{task}").data.decode()
    notice = re.search(r'<p class="flash" id="draft-saved" role="status">([^<]*)', page)
    assert field(page, "questions") == TYPED["questions"] and notice and "edu_reviewer" in notice.group(1)
    done = colleague.post(f"/tasks/{task}", data=TYPED, follow_redirects=True).data.decode()
    assert "已办结" in done
    with world.rt.db.read() as session:
        assert session.get(Task, task).state == "completed"
    assert 'id="draft-saved"' not in colleague.get(f"/tasks/{task}").data.decode()


def test_bad_typing_is_refused_and_kept_and_outsiders_may_not_save(app, world):
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    hidden = reviewer.post(f"/tasks/{task}/save", data={**TYPED, "questions": "请说明\u202e参保年限"})
    page = hidden.data.decode()
    assert hidden.status_code == 422 and "不可见字符" in page and "请说明\u202e参保年限" in page
    empty = reviewer.post(f"/tasks/{task}/save", data={})
    assert empty.status_code == 422 and "没有可暂存的填写内容" in empty.data.decode()
    assert login(app.test_client(), "psb_reviewer").post(f"/tasks/{task}/save", data=TYPED).status_code == 404
    with world.rt.db.read() as session:
        row = session.get(Task, task)
    assert row.draft is None and row.assignee is None, "nothing was kept, nobody took the step"



def test_a_refused_field_is_named_by_its_label_beside_it(app, world):
    """A saved answer too long in one field said 文本超过 20000 个字符：questions：… at the top of the page: the
    form's own field id, where the form says 函询问题（逐条列明）; the refusal now stands beside the field it is about."""
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    refused = reviewer.post(f"/tasks/{task}/save", data={**TYPED, "questions": "问" * 20_001})
    page = refused.data.decode()
    assert refused.status_code == 422 and "questions：" not in page and "questions:" not in page
    said = re.search(r'<p class="field-error" id="err_questions">([^<]*)</p>', page)
    assert said and "函询问题（逐条列明）" in said.group(1) and "20000" in said.group(1)
    with world.rt.db.read() as session:
        assert session.get(Task, task).draft is None

def test_a_saved_answer_goes_with_the_step_to_a_delegate(app, world):
    """委派 threw a saved answer away (the delegate found an empty form, and it never came back; found by a hostile
    review): the delegate's form is filled from it, as a colleague's who takes the step over is."""
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post(f"/tasks/{task}/save", data=TYPED)
    assert reviewer.post(f"/tasks/{task}/delegate", data={"to_user": "edu_supervisor"}).status_code == 302
    with world.rt.db.read() as session:
        assert session.get(Task, task).delegated_by == "edu_reviewer"
    page = login(app.test_client(), "edu_supervisor").get(f"/tasks/{task}").data.decode()
    assert field(page, "questions") == TYPED["questions"] and 'id="draft-saved"' in page


def test_a_saved_answer_goes_from_the_database_when_the_step_is_done(app, world):
    """"It goes when the step is done" held only for the page: the draft column kept what was typed (a mistyped ID
    number included) for as long as the case was kept (found by a hostile review); closing a step clears it."""
    task = draft_step(world)
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post(f"/tasks/{task}/save", data={**TYPED, "questions": "申请人身份证号 110105198506150031"})
    assert "已办结" in reviewer.post(f"/tasks/{task}", data=TYPED, follow_redirects=True).data.decode()
    with world.rt.db.read() as session:
        row = session.get(Task, task)
    assert row.state == "completed" and row.draft is None
