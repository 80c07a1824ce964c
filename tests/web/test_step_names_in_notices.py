"""A stored notice keeps what identifies its steps (process key, element id, the case's version) beside their
Chinese names, so that the notifications page names them in the reader's language: “Draft the answer” in
English, 拟写答复 in Chinese; a notice kept before (with the Chinese name only) still reads. SQLite and
PostgreSQL."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from conftest import login
from engine import copies, notices
from engine.models import Case, Notification, Task
from world import opened

from test_send_back_pages import inquiry_at_sign_off


def _client(app, username, language):
    client = login(app.test_client(), username)
    client.post("/language", data={"language": language})
    return client


def _sent_back(app, world):
    out, sign = inquiry_at_sign_off(world)
    chief = login(app.test_client(), "hrss_supervisor")
    target = re.search(r'name="target" value="([0-9a-f-]{36})"', chief.get(f"/tasks/{sign}").data.decode()).group(1)
    chief.post(f"/tasks/{sign}/send-back", data={"target": target, "reason": "请补充政策依据", "confirm": "1"})
    return out


def test_a_sent_back_notice_names_both_steps_in_the_readers_language(app, world):
    out = _sent_back(app, world)
    with world.rt.db.read() as session:
        notice = session.execute(select(Notification).where(Notification.kind == "sent_back")).scalars().first()
        version = session.execute(select(Case.definition_id).where(Case.id == out.case_id)).scalar_one()
    details = json.loads(notice.details)
    assert details["step"] == "拟写答复" and details["step_of"] == ["formal_inquiry", "draft_answer", version]
    assert details["from_step_of"] == ["formal_inquiry", "sign_answer", version]
    english = _client(app, notice.username, "en").get("/notifications").data.decode()
    assert "“Draft the answer” (from “Section chief signs the answer”)" in english, english
    assert "拟写答复" not in english and "科长签发" not in english
    chinese = _client(app, notice.username, "zh_Hans_CN").get("/notifications").data.decode()
    assert "拟写答复" in chinese and "科长签发" in chinese and "Draft the answer" not in chinese


def test_a_copy_notice_without_a_task_names_its_step_in_the_readers_language(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    with world.rt.db.write() as session:
        case = session.execute(select(Case).where(Case.id == out.case_id)).scalar_one()
        task = session.get(Task, opened(out)["draft_inquiry"])
        copies.copy(session, "edu_reviewer", case, task, ["hud_reviewer"])
    english = _client(app, "hud_reviewer", "en").get("/notifications").data.decode()
    assert "(from “Write the inquiry”)" in english and "撰写函询" not in english, english
    assert "撰写函询" in _client(app, "hud_reviewer", "zh_Hans_CN").get("/notifications").data.decode()


def test_an_arrival_and_an_urge_keep_the_step_by_the_cases_version(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{answer}/urge", data={"note": "请尽快"})
    with world.rt.db.read() as session:
        urged = session.execute(select(Notification).where(Notification.kind == "urged")).scalars().first()
        version = session.execute(select(Case.definition_id).where(Case.id == out.case_id)).scalar_one()
    assert json.loads(urged.details)["step_of"] == ["formal_inquiry", "draft_answer", version]


def test_an_old_notice_with_the_chinese_name_only_still_reads(app, world):
    with world.rt.db.write() as session:
        notices.notify(session, ["hud_reviewer"], "copied", "JR-OLD-1", None, {"step": "旧环节", "by": "x", "note": ""})
    english = _client(app, "hud_reviewer", "en").get("/notifications").data.decode()
    assert "(from “旧环节”)" in english


def test_a_mail_names_the_step_in_english_below_and_first_for_a_reader_who_chose_english(app, world):
    from sqlalchemy import update

    from engine.models import MailOut, User
    with world.rt.db.write() as session:
        session.execute(update(User).where(User.username.in_(["hrss_reviewer", "hrss_supervisor"]))
                        .values(email="desk@gov.example", mail_on=True))
        session.execute(update(User).where(User.username == "hrss_supervisor").values(language="en"))
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{opened(out)['draft_answer']}/urge", data={"note": "x"})
    with world.rt.db.read() as session:
        mails = {m.dedupe: m for m in session.execute(select(MailOut)).scalars()}
        owner = {f"notice:{n.id}": n.username for n in session.execute(select(Notification)).scalars()}
    by_user = {owner[k]: m for k, m in mails.items() if k in owner}
    chinese, english = by_user["hrss_reviewer"], by_user["hrss_supervisor"]
    assert chinese.subject.startswith("【联审平台】") and "“拟写答复”" in chinese.subject
    zh, en = chinese.body.split("\n\n")
    assert "“拟写答复”" in zh and "“Draft the answer”" in en and "拟写答复" not in en, chinese.body
    assert english.subject.startswith("[JointReview]") and "“Draft the answer”" in english.subject, english.subject
    assert english.body.index("“Draft the answer”") < english.body.index("“拟写答复”")
