"""前加签 keeps what the holder typed: the answer typed on 拟写答复 is saved as the step's draft when a colleague
is added to sign first; the colleague reads it (read only) and is told what they are asked to do; when the step
comes back the form is filled from the draft; meanwhile the holder's 我的待办 lists the step as waiting for the
signer. A refused 加签 keeps the typed answer in the form."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from conftest import PASSWORD, login
from factories import deploy_process, form_xml
from world import opened
from engine.models import AuditEntry, Task
from engine.models_office import TaskSigner
from engine.passwords import hash_password
from engine.routing import add_user

ANSWER = "参保年限按实际缴费月数累计计算，中断期间不计入。"
EVIDENCE = "《社会保险法》第十条"


def answering(world) -> str:
    """A formal inquiry from 教育局 to 人社局 at 拟写答复, and a second 人社局 reviewer to sign."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="请说明参保年限",
                         reply_days=5)
    with world.rt.db.write() as session:
        add_user(session, "hrss_reviewer2", "人社审核员二", hash_password(PASSWORD), memberships={"HRSS": "reviewer"})
    return opened(out)["draft_answer"]


def typed_form(page: str, field: str) -> str:
    found = re.search(rf'<textarea name="{field}" id="f_{field}"[^>]*>(.*?)</textarea>', page, re.S)
    if found:
        return found.group(1)
    found = re.search(rf'<input name="{field}" id="f_{field}" value="([^"]*)"', page)
    return found.group(1) if found else ""


def test_a_signer_before_reads_the_typed_answer_and_it_comes_back_in_the_form(app, world):
    task = answering(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    page = reviewer.get(f"/tasks/{task}").data.decode()
    assert 'id="task-form"' in page
    button = re.search(r'<button [^>]*id="add-signer"[^>]*>', page).group(0)
    assert 'form="task-form"' in button and f'formaction="/tasks/{task}/signers"' in button, \
        "the 加签 button sends the task form, so what was typed goes with it"
    for control in ("signer-to", "signer-position", "signer-reason"):
        assert re.search(rf'name="{control}"[^>]*form="task-form"', page), control

    # what the browser sends: the form's fields and the 加签 controls
    sent = reviewer.post(f"/tasks/{task}/signers", data={"answer": ANSWER, "evidence": EVIDENCE, "signer-to": "hrss_reviewer2",
                                                         "signer-position": "before", "signer-reason": "请先审阅答复口径"})
    assert sent.status_code == 302

    inbox = reviewer.get("/inbox?view=mine").data.decode()
    row = re.search(rf'<tr data-task="{task}">.*?</tr>', inbox, re.S)
    assert row, "the step stays in the holder's 我的待办 while it is out for signature"
    assert "待人社审核员二加签" in row.group(0) and "data-waiting-signer" in row.group(0)
    assert "/release" not in row.group(0), "a step with the signer is not the holder's to release"
    assert re.search(r'id="count-mine">1<', inbox)

    signer = login(app.test_client(), "hrss_reviewer2")
    row = re.search(rf'<tr data-task="{task}">.*?</tr>', signer.get("/inbox?view=mine").data.decode(), re.S)
    assert row and "data-asked-to-sign" in row.group(0) and "请您签署（加签）" in row.group(0), \
        "the signer's 我的待办 says they are asked to sign"
    assert "/release" not in row.group(0), "a signer cannot release (取消签收) a step they are asked to sign"
    page = signer.get(f"/tasks/{task}").data.decode()
    assert "此任务需由" not in page, "the signer is not told the step needs someone of their own department"
    assert 'id="sign-asked"' in page and "请您在其办理本环节前签署（前加签）" in page
    answer = re.search(r'<dl class="data" id="sign-answer">.*?</dl>', page, re.S)
    assert answer and ANSWER in answer.group(0) and EVIDENCE in answer.group(0) and "答复意见" in answer.group(0)
    assert 'class="task-form"' not in page and 'id="draft-kept"' not in page, "read only, for the signer"
    signed = signer.post(f"/tasks/{task}/sign", data={"decision": "agree", "opinion": "口径无误"})
    assert signed.status_code == 302

    page = reviewer.get(f"/tasks/{task}").data.decode()
    assert 'class="task-form"' in page
    assert typed_form(page, "answer") == ANSWER and typed_form(page, "evidence") == EVIDENCE, \
        "the form comes back filled with what was typed before 加签"
    assert 'id="draft-kept"' in page and "加签前填写的内容已重新填入" in page
    assert 'id="with-signer"' not in page
    assert not re.search(rf'<tr data-task="{task}">.*?data-waiting-signer', reviewer.get("/inbox?view=mine").data.decode(),
                         re.S)

    done = reviewer.post(f"/tasks/{task}", data={"answer": ANSWER, "evidence": EVIDENCE}, follow_redirects=True)
    assert "的“拟写答复”已办结" in done.data.decode()
    with world.rt.db.read() as session:
        added, key = session.execute(select(AuditEntry.details, AuditEntry.business_key)
                                     .where(AuditEntry.event == "signer_added")).one()
    assert json.loads(added) == {"signer": "hrss_reviewer2", "position": "before", "reason": "请先审阅答复口径",
                                 "task": "拟写答复", "element": "draft_answer"}, \
        "a draft never submitted stays out of the permanent audit log: who was added to which step, how and why"
    auditor = login(app.test_client(), "auditor")
    history = auditor.get(f"/cases/{key}").data.decode()
    assert "请先审阅答复口径" in history and "人社审核员二" in history, "the case history still shows the 加签"
    export = auditor.get(f"/audit/export.csv?key={key}").data.decode()
    row = next(line for line in export.splitlines() if "请先审阅答复口径" in line)
    assert "人社审核员二" in row or "hrss_reviewer2" in row
    first = ANSWER.split("，")[0]
    assert export.count(first) == 1, "the answer is in the export once: as submitted on 办结, not as the 加签 draft"


def test_a_signer_after_and_a_refused_signer_keep_the_typed_answer(app, world):
    task = answering(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    refused = reviewer.post(f"/tasks/{task}/signers", data={"answer": ANSWER, "evidence": "", "signer-to": "hrss_reviewer2",
                                                            "signer-position": "before", "signer-reason": " "})
    page = refused.data.decode()
    assert refused.status_code == 422 and "加签需要填写事由" in page
    assert typed_form(page, "answer") == ANSWER, "a refused 加签 loses nothing that was typed"
    unknown = reviewer.post(f"/tasks/{task}/signers", data={"answer": ANSWER, "signer-to": "psb_reviewer",
                                                            "signer-position": "before", "signer-reason": "请审阅"})
    assert unknown.status_code == 422 and typed_form(unknown.data.decode(), "answer") == ANSWER

    after = reviewer.post(f"/tasks/{task}/signers", data={"answer": ANSWER, "evidence": EVIDENCE, "signer-to": "hrss_reviewer2",
                                                          "signer-position": "after", "signer-reason": "请复核"}, follow_redirects=True)
    page = after.data.decode()
    assert typed_form(page, "answer") == ANSWER and typed_form(page, "evidence") == EVIDENCE, \
        "adding a signer after oneself keeps the form as typed"
    sent = reviewer.post(f"/tasks/{task}", data={"answer": ANSWER + "（修订）", "evidence": EVIDENCE},
                         follow_redirects=True).data.decode()
    assert "已送签" in sent
    page = login(app.test_client(), "hrss_reviewer2").get(f"/tasks/{task}").data.decode()
    assert "请您签署其办理意见（后加签）" in page and ANSWER + "（修订）" in page and "此任务需由" not in page


def test_a_signer_before_without_a_typed_answer_is_told_so(app, world):
    task = answering(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    reviewer.post(f"/tasks/{task}/signers", data={"signer-to": "hrss_reviewer2", "signer-position": "before", "signer-reason": "请先看看"})
    page = login(app.test_client(), "hrss_reviewer2").get(f"/tasks/{task}").data.decode()
    assert 'id="sign-no-draft"' in page and 'id="sign-answer"' not in page and "此任务需由" not in page


CLASHING = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>'
            '<bpmn:userTask id="review" name="审核">'
            + form_xml(("reason", "string"), ("position", "string"), ("to_user", "string"))
            + '</bpmn:userTask><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_form_fields_named_like_the_signer_controls_do_not_clash_with_them(app, world):
    """A process's own fields called reason, position and to_user: the 加签 controls send theirs beside them."""
    deploy_process(world.rt, "clashing", CLASHING, {"教育局": ["review"]})
    task = opened(world.start("clashing", {}))["review"]
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get(f"/tasks/{task}").data.decode()
    assert not re.search(r'name="(reason|position|to_user)"[^>]*form="task-form"', page), \
        "no control outside the form sends a name the form's own fields have"
    sent = reviewer.post(f"/tasks/{task}/signers", data={
        "reason": "材料齐全", "position": "窗口", "to_user": "某某", "signer-to": "edu_supervisor",
        "signer-position": "before", "signer-reason": "请科长先审阅"})
    assert sent.status_code == 302
    with world.rt.db.read() as session:
        signer = session.execute(select(TaskSigner).where(TaskSigner.task_id == task)).scalar_one()
        draft = json.loads(session.get(Task, task).draft)
    assert (signer.username, signer.position, signer.reason) == ("edu_supervisor", "before", "请科长先审阅")
    assert {k: draft["values"][k] for k in ("reason", "position", "to_user")} == {
        "reason": "材料齐全", "position": "窗口", "to_user": "某某"}, "the form's own answers are the draft"


def test_the_draft_kept_for_a_signer_is_checked_as_a_saved_one_is(app, world):
    """What the holder typed went to the signer (and into the signer_added record) unchecked: any size up to the
    request's 4 MB, and hidden text-direction marks that make the signer read something else than what is there
    (found by a hostile review); it is checked as 暂存 checks a saved answer, refused with the typed text kept."""
    task = answering(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    for answer, said in (("参" * 20_001, "20000"), ("同意\u202e不同意", "不可见字符")):
        refused = reviewer.post(f"/tasks/{task}/signers", data={
            "answer": answer, "evidence": EVIDENCE, "signer-to": "hrss_reviewer2", "signer-position": "before",
            "signer-reason": "请先审阅"})
        assert refused.status_code == 422 and said in refused.data.decode(), answer[:10]
    with world.rt.db.read() as session:
        row = session.get(Task, task)
        assert row.draft is None and row.signing is None and row.assignee in (None, "hrss_reviewer")
        assert session.execute(select(TaskSigner)).first() is None
        assert session.execute(select(AuditEntry).where(AuditEntry.event == "signer_added")).first() is None


def test_a_refused_draft_field_is_named_by_its_label_beside_it(app, world):
    """The refusal said 文本超过 20000 个字符：answer：… at the top of the page (the field's id); it now stands beside
    the field, named 答复意见 as the form names it."""
    task = answering(world)
    reviewer = login(app.test_client(), "hrss_reviewer")
    refused = reviewer.post(f"/tasks/{task}/signers", data={
        "answer": "参" * 20_001, "evidence": EVIDENCE, "signer-to": "hrss_reviewer2", "signer-position": "before",
        "signer-reason": "请先审阅"})
    page = refused.data.decode()
    said = re.search(r'<p class="field-error" id="err_answer">([^<]*)</p>', page)
    assert refused.status_code == 422 and "answer：" not in page and said and "答复意见" in said.group(1)
