"""An engine refusal names a step by what identifies it (its process, its element id); the page names it as the
reader reads it: 拟写答复 in Chinese, the BPMN's name:en (Draft the answer) in English. Refused withdrawals (撤回),
urges (催办), sends back (退回) and incompatible duties (不相容岗位) alike, on SQLite and PostgreSQL."""
from __future__ import annotations

import pickle
import re

from sqlalchemy import select

from conftest import login
from engine import cases, repository
from engine.definitions import read_files
from engine.errors import Message, StepName
from engine.models import Case, Task
from engine.routing import load_actor
from web.localized import step_named, step_of
from workflows.walkthrough import BPMN
from web.i18n import error_text, say
from world import opened

from language_support import EN, ZH
from test_send_back_pages import inquiry_at_sign_off
from test_side_form_refusals import lost_said


def _client(app, username, language):
    client = login(app.test_client(), username)
    client.post("/language", data={"language": language})
    return client


def _inquiry_sent(world):
    """A formal inquiry from EDU to HRSS, sent: HRSS's draft_answer is open."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    return world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)


def _answer_step(world, out) -> str:
    with world.rt.db.read() as session:
        return session.execute(select(Task.id).where(
            Task.case_id == out.case_id, Task.element_id == "draft_answer")).scalar_one()


def test_a_refused_withdrawal_names_the_steps_in_the_readers_language(app, world):
    out, sign = inquiry_at_sign_off(world)
    answer = _answer_step(world, out)
    said = lost_said(_client(app, "hrss_supervisor", "en").post(f"/tasks/{answer}/withdraw").data.decode())
    assert "“Draft the answer”" in said and "拟写答复" not in said, said
    said = lost_said(_client(app, "hrss_supervisor", "zh_Hans_CN").post(f"/tasks/{answer}/withdraw").data.decode())
    assert "拟写答复" in said and "Draft the answer" not in said, said
    with world.rt.db.write() as session:
        cases.claim(session, world.rt, world.users["hrss_supervisor"], sign)
    said = lost_said(_client(app, "hrss_reviewer", "en").post(f"/tasks/{answer}/withdraw").data.decode())
    assert "“Section chief signs the answer”" in said and "科长签发" not in said, said


def test_a_refused_urge_names_the_step_in_the_readers_language(app, world):
    out = _inquiry_sent(world)
    answer = opened(out)["draft_answer"]
    en = _client(app, "edu_reviewer", "en")
    done = en.post(f"/tasks/{answer}/urge", data={"note": "x"}, follow_redirects=True).data.decode()
    assert "“Draft the answer” of" in done and "“拟写答复”" not in done  # the word that it was urged too
    again = en.post(f"/tasks/{answer}/urge", data={"note": "y"}, follow_redirects=True).data.decode()
    said = re.search(r'id="refused">(.*?)</div>', again, re.S).group(1)
    assert "urged “Draft the answer” already" in said and "拟写答复" not in said, said
    zh = _client(app, "edu_reviewer", "zh_Hans_CN").post(f"/tasks/{answer}/urge", data={"note": "y"},
                                                         follow_redirects=True).data.decode()
    assert "催办过“拟写答复”" in zh


def test_incompatible_duties_name_both_steps_in_the_readers_language(app, world):
    out = _inquiry_sent(world)
    out = world.complete("hrss_supervisor", out, "draft_answer", answer="按实际缴费月数计算", evidence="")
    sign = opened(out)["sign_answer"]
    with world.rt.db.write() as session:
        try:
            cases.claim(session, world.rt, world.users["hrss_supervisor"], sign)
        except Exception as exc:  # noqa: BLE001 - the refusal is what is looked at
            refused = exc
    with app.test_request_context(headers=EN):
        said = say(refused.message)
        assert "“Draft the answer”" in said and "“Section chief signs the answer”" in said, said
    with app.test_request_context(headers=ZH):
        said = say(refused.message)
        assert "“拟写答复”" in said and "“科长签发”" in said and "Draft" not in said, said


def test_a_send_back_to_no_such_step_names_the_steps_it_may_go_back_to(app, world):
    out, sign = inquiry_at_sign_off(world)
    en = _client(app, "hrss_supervisor", "en")
    page = en.post(f"/tasks/{sign}/send-back", data={"target": "00000000-0000-0000-0000-000000000000", "reason": "x",
                                                     "confirm": "1"}, follow_redirects=True).data.decode()
    assert "“Section chief signs the answer” cannot be sent back to that step" in page, page
    assert "Draft the answer" in page.split("cannot be sent back to that step")[1][:300]


def test_a_step_in_a_message_keeps_what_identifies_it_when_pickled_or_unknown(app):
    from engine.errors import StepName

    step = StepName("拟写答复", "formal_inquiry", "draft_answer")
    again = pickle.loads(pickle.dumps(Message("urge_finished", task=step)))
    assert (again.params["task"].process_key, again.params["task"].element_id) == ("formal_inquiry", "draft_answer")
    assert str(again) == "step '拟写答复' is already finished; there is nothing to urge"  # the engine's own words
    with app.test_request_context(headers=EN):
        assert "“Draft the answer”" in say(again)
        assert "“某环节”" in say(Message("urge_finished", task=StepName("某环节", "formal_inquiry", "no_such")))


def test_the_word_after_claiming_releasing_and_completing_names_the_step_in_the_readers_language(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    en = _client(app, "edu_reviewer", "en")
    claimed = en.post(f"/tasks/{draft}/claim", follow_redirects=True).data.decode()
    assert f"You claimed “Write the inquiry” of {out.business_key}." in claimed, claimed
    released = en.post(f"/tasks/{draft}/release", follow_redirects=True).data.decode()
    assert f"“Write the inquiry” of {out.business_key} is back in the department queue." in released
    done = en.post(f"/tasks/{draft}", data={"inquiry_subject": "口径", "questions": "请说明", "reply_days": "5"},
                   follow_redirects=True).data.decode()
    assert f"“Write the inquiry” of {out.business_key} is done." in done and "“撰写函询”" not in done, done
    again = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    zh = _client(app, "edu_reviewer", "zh_Hans_CN").post(
        f"/tasks/{opened(again)['draft_inquiry']}", data={"inquiry_subject": "口径", "questions": "请说明",
                                                          "reply_days": "5"}, follow_redirects=True).data.decode()
    assert "撰写函询" in zh and "Write the inquiry" not in zh


def test_a_migration_names_a_step_the_new_version_lacks_in_the_readers_language(app, world):
    from engine.errors import StepName
    from engine.models import ProcessDefinition
    from web.i18n import coded_text

    with world.rt.db.read() as session:
        first = session.execute(select(ProcessDefinition.id).where(
            ProcessDefinition.process_key == "formal_inquiry")).scalars().first()
    params = {"step": StepName("拟写答复", "formal_inquiry", "draft_answer", first), "element": "draft_answer",
              "version": 2}
    with app.test_request_context(headers=EN):
        said = coded_text("migrate_step_missing", params)
        assert said.startswith("its current step “Draft the answer” (draft_answer)"), said
    with app.test_request_context(headers=ZH):
        assert coded_text("migrate_step_missing", params).startswith("当前环节“拟写答复”（draft_answer）")


def test_the_task_page_names_the_incompatible_step_in_the_readers_language(app, world):
    out = _inquiry_sent(world)
    out = world.complete("hrss_supervisor", out, "draft_answer", answer="按实际缴费月数计算", evidence="")
    sign = opened(out)["sign_answer"]
    page = _client(app, "hrss_supervisor", "en").get(f"/tasks/{sign}").data.decode()
    assert "You did “Draft the answer” in this case" in page, page
    page = _client(app, "hrss_supervisor", "zh_Hans_CN").get(f"/tasks/{sign}").data.decode()
    assert "拟写答复" in page.split('class="flash error"', 1)[1][:200] and "Draft the answer" not in page


def test_one_not_of_the_steps_department_reads_which_step_in_the_readers_language(app, world):
    from engine.errors import PermissionDenied, StepName
    from engine.holding import held_open_task
    out = _inquiry_sent(world)
    answer = opened(out)["draft_answer"]
    refusals = []
    for act in (lambda s: cases.claim(s, world.rt, world.users["edu_reviewer"], answer),
                lambda s: held_open_task(s, world.users["edu_reviewer"], answer, "transfer")):
        with world.rt.db.write() as session:
            try:
                act(session)
            except PermissionDenied as exc:
                refusals.append(exc)
    claim, transfer = refusals
    assert str(claim) == "edu_reviewer may not claim '拟写答复': only a member of HRSS may"  # the engine's own words
    assert claim.code == "not_a_member"  # as before, for the API's clients
    with app.test_request_context(headers=EN):
        assert error_text(claim).startswith("edu_reviewer may not claim “Draft the answer”: only a member of")
    with app.test_request_context(headers=ZH):
        assert error_text(claim).startswith("edu_reviewer无权签收“拟写答复”：仅限")
    with app.test_request_context(headers=EN):
        said = say(claim.message)
        assert said.startswith("edu_reviewer may not claim “Draft the answer”: only a member of") and "HRSS" not in said
        assert "transfer “Draft the answer”" in say(transfer.message)
    with app.test_request_context(headers=ZH):
        said = say(claim.message)
        assert said.startswith("edu_reviewer无权签收“拟写答复”：仅限") and "Draft" not in said, said
        assert "无权转办“拟写答复”" in say(transfer.message)
    closed = cases._closed(type("T", (), {
        "name": "拟写答复", "process_key": "formal_inquiry", "element_id": "draft_answer", "business_key": "JR-1"})(),
        "archived")
    assert isinstance(closed.message.params["task"], StepName)
    with app.test_request_context(headers=EN):
        assert say(closed.message) == "task “Draft the answer” of JR-1 is already archived"
    with app.test_request_context(headers=ZH):
        assert say(closed.message).startswith("JR-1的“拟写答复”")


def test_incompatible_duties_name_the_step_done_by_the_cases_version(app, world):
    """The step one did was named by the newest version of the process (its definition id unknown) where the step
    refused was named by the case's: a step renamed in a later version read its new name in a refusal about a case
    of the older one."""
    out = _inquiry_sent(world)
    out = world.complete("hrss_supervisor", out, "draft_answer", answer="按实际缴费月数计算", evidence="")
    sign = opened(out)["sign_answer"]
    with world.rt.db.write() as session:
        try:
            cases.claim(session, world.rt, world.users["hrss_supervisor"], sign)
        except Exception as exc:  # noqa: BLE001 - the refusal is what is looked at
            refused = exc
        version = session.execute(select(Case.definition_id).where(Case.id == out.case_id)).scalar_one()
    done = refused.message.params["done"]
    assert (done.element_id, done.definition_id) == ("draft_answer", version)


def test_a_refusal_names_the_step_as_the_cases_own_version_does(app, world):
    """A refusal about a task row (no version known to the refusal) names its step as the case's version does,
    not as a newer version renamed it."""
    out = _inquiry_sent(world)
    answer = opened(out)["draft_answer"]
    files = read_files([BPMN])
    files["formal_inquiry.bpmn"] = files["formal_inquiry.bpmn"].replace(b'value="Draft the answer"',
                                                                        b'value="Write the reply"')
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, load_actor(session, "designer"), files)
    with world.rt.db.read() as session:
        task = session.get(Task, answer)
        named = StepName.of(task)
    assert pickle.loads(pickle.dumps(named)).case_id == task.case_id
    with app.test_request_context(headers=EN):
        assert step_named(named) == "Draft the answer"
        assert step_of(task) == "Draft the answer"
        assert say(Message("task_changed_now", task=named)).count("Draft the answer") == 1
    later = _inquiry_sent(world)
    with world.rt.db.read() as session:
        newer = session.get(Task, opened(later)["draft_answer"])
    with app.test_request_context(headers=EN):
        assert step_named(StepName.of(newer)) == "Write the reply"
