"""The notification centre and 催办 in the pages: the requester urges the inquiry's answer from the case
page, the answering department sees the bell's count, reads the notice in Chinese and opens the task."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from conftest import login
from world import opened
from engine.models import User

CST = timezone(timedelta(hours=8))


def test_the_requester_urges_and_the_holder_reads_the_notice(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    edu = login(app.test_client(), "edu_reviewer")
    case_page = edu.get(f"/cases/{out.business_key}").data.decode()
    assert "催办" in case_page
    done = edu.post(f"/tasks/{answer}/urge", data={"note": "家长已多次来电"}, follow_redirects=True).data.decode()
    assert f"已催办{out.business_key}的“拟写答复”（累计1次）" in done and "催办1次" in done
    again = edu.post(f"/tasks/{answer}/urge", data={}, follow_redirects=True).data.decode()
    said = re.search(r"已于(\d{4}-\d\d-\d\d \d\d:\d\d)催办过“拟写答复”，可于(\d{4}-\d\d-\d\d \d\d:\d\d)后再次催办", again)
    assert said, "when, in the office's local time (no raw ISO moment)"
    first, then = (datetime.strptime(t, "%Y-%m-%d %H:%M") for t in said.groups())
    assert then - first == timedelta(hours=4) and abs(first - datetime.now(CST).replace(tzinfo=None)) < timedelta(minutes=2)

    hrss = login(app.test_client(), "hrss_reviewer")
    inbox = hrss.get("/inbox").data.decode()
    assert re.search(r'class="bell has-unread"[^>]*><svg class="bell-icon"[^>]*>.*?</svg><span class="count">1</span>', inbox)
    page = hrss.get("/notifications").data.decode()
    assert f"催办{out.business_key}的“拟写答复”（已催办1次）。 家长已多次来电" in page
    actions = re.search(r'<div class="head-actions" id="notice-actions">(.*?)</div>', page, re.S)
    assert actions and "邮件提醒设置" in actions.group(1) and "全部标为已读" in actions.group(1), \
        "the page's two actions sit together at the right, not one adrift in the middle of the heading"
    hrss.post("/language", data={"language": "en", "next": "/notifications"})
    english = hrss.get("/notifications").data.decode()
    assert "“Draft the answer”" in english and "拟写答复" not in english, "the step named in the reader's language"
    hrss.post("/language", data={"language": "zh_Hans_CN", "next": "/notifications"})
    notice = re.search(r'name="id" value="(\d+)"', page).group(1)
    opened_task = hrss.post("/notifications/read", data={"id": notice, "go": f"/tasks/{answer}"})
    assert opened_task.status_code == 302 and opened_task.headers["Location"].endswith(f"/tasks/{answer}")
    assert "本事项已被催办1次" in hrss.get(f"/tasks/{answer}").data.decode()
    assert 'class="bell"' in hrss.get("/inbox").data.decode()  # read: no count any more
    # a notice is only its owner's to mark
    assert login(app.test_client(), "hrss_supervisor").post("/notifications/read", data={"id": notice}).status_code == 302


def test_marking_read_never_redirects_off_site(app, world):
    client = login(app.test_client(), "edu_reviewer")
    response = client.post("/notifications/read", data={"go": "//evil.example/x"})
    assert response.headers["Location"].endswith("/notifications")
    for hostile in ("/tasks/\r\nX-Evil: 1", "/cases/\tx"):  # was a 500 (a header with a line break)
        response = client.post("/notifications/read", data={"go": hostile})
        assert response.status_code == 302 and response.headers["Location"].endswith("/notifications"), hostile
    nul = client.post("/notifications/read", data={"go": "/cases/x\x00"})  # refused before the page (web/nul.py)
    assert nul.status_code == 400 and "Location" not in nul.headers


def test_the_api_urges_with_the_same_rules(app, world):
    from engine import tokens
    from engine.routing import Actor
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    with world.rt.db.write() as session:
        edu = tokens.issue(session, Actor.system("test"), "edu-desk", "reviewer", "EDU", "edu_reviewer").secret
        hud = tokens.issue(session, Actor.system("test"), "hud-desk", "reviewer", "HUD", "hud_reviewer").secret
    client = app.test_client()
    ok = client.post(f"/api/v1/tasks/{answer}/urge", headers={"Authorization": f"Bearer {edu}"}, json={"note": "请尽快"})
    assert ok.status_code == 200 and ok.json == {"task_id": answer, "times": 1}
    assert client.post(f"/api/v1/tasks/{answer}/urge", headers={"Authorization": f"Bearer {edu}"}, json={}).status_code == 409
    assert client.post(f"/api/v1/tasks/{answer}/urge", headers={"Authorization": f"Bearer {hud}"}, json={}).status_code == 404


def _answered_inquiry(world):
    """An inquiry of 教育局 whose answer 人社局 has written: (outcome, the finished answer step)."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    return world.complete("hrss_reviewer", out, "draft_answer", answer="按实际缴费月数计算", evidence=""), answer


def _urges(world) -> int:
    from engine.models import AuditEntry, Notification
    with world.rt.db.read() as session:
        return (len(session.execute(select(AuditEntry.seq).where(AuditEntry.event == "task_urged")).all())
                + len(session.execute(select(Notification.id).where(Notification.kind == "urged")).all()))


def test_urging_a_finished_step_says_it_is_finished_and_changes_nothing(app, world):
    """It was a bare 403 page, as if the requester might never urge it; now the case page (409) says it."""
    out, answer = _answered_inquiry(world)
    edu = login(app.test_client(), "edu_reviewer")
    page = edu.post(f"/tasks/{answer}/urge", data={"note": "请尽快"})
    assert page.status_code == 409 and out.business_key in page.data.decode()
    assert "环节“拟写答复”已办理结束，无需催办" in page.data.decode()
    edu.post("/language", data={"language": "en", "next": "/inbox"})
    english = edu.post(f"/tasks/{answer}/urge", data={}, follow_redirects=True).data.decode()
    assert "is already finished; there is nothing to urge" in english
    assert login(app.test_client(), "hud_reviewer").post(f"/tasks/{answer}/urge", data={}).status_code == 404
    assert _urges(world) == 0


def test_the_api_says_a_finished_step_is_finished_and_names_the_hourly_limit(app, world):
    from engine import tokens
    from engine.routing import Actor
    out, answer = _answered_inquiry(world)
    with world.rt.db.write() as session:
        edu = tokens.issue(session, Actor.system("test"), "edu-desk", "reviewer", "EDU", "edu_reviewer").secret
    client, auth = app.test_client(), {"Authorization": f"Bearer {edu}"}
    finished = client.post(f"/api/v1/tasks/{answer}/urge", headers=auth, json={})
    assert finished.status_code == 409 and "already finished" in finished.get_json()["detail"], finished.get_json()
    assert _urges(world) == 0
    sign, other = opened(out)["sign_answer"], opened(_answered_inquiry(world)[0])["sign_answer"]
    app.extensions["jointreview"].urges_per_hour = 1  # as JOINTREVIEW_URGES_PER_HOUR=1 would
    assert client.post(f"/api/v1/tasks/{sign}/urge", headers=auth, json={}).status_code == 200
    limited = client.post(f"/api/v1/tasks/{other}/urge", headers=auth, json={})
    assert limited.status_code == 409 and "has urged 1 steps within the last hour" in limited.get_json()["detail"]
    chinese = client.post(f"/api/v1/tasks/{other}/urge", headers={**auth, "Accept-Language": "zh-CN"}, json={})
    assert "在过去一小时内已催办1个环节，达到每人每小时的催办上限" in chinese.get_json()["detail"], chinese.get_json()


def test_the_case_page_shows_when_the_urge_button_can_be_used_again(app, world):
    """The button stayed clickable for four hours after an urge, and only the refusal said when."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    edu = login(app.test_client(), "edu_reviewer")
    form = re.compile(r'<form method="post" action="/tasks/' + answer + r'/urge".*?</form>', re.S)
    assert " disabled" not in form.search(edu.get(f"/cases/{out.business_key}").data.decode()).group(0)
    edu.post(f"/tasks/{answer}/urge", data={})
    shown = form.search(edu.get(f"/cases/{out.business_key}").data.decode()).group(0)
    assert re.search(r'<button type="submit" class="small" disabled aria-describedby="urge-wait-[^"]+">催办</button>', shown)
    then = re.search(r"可于(\d{4}-\d\d-\d\d \d\d:\d\d)后再次催办", shown)
    assert then and abs(datetime.strptime(then.group(1), "%Y-%m-%d %H:%M") - (datetime.now(CST).replace(tzinfo=None)
                                                                               + timedelta(hours=4))) < timedelta(minutes=2)
    edu.post("/language", data={"language": "en", "next": "/inbox"})
    assert "Can be urged again after" in form.search(edu.get(f"/cases/{out.business_key}").data.decode()).group(0)
    hrss = login(app.test_client(), "hrss_supervisor")  # another person may still urge it
    assert " disabled" not in form.search(hrss.get(f"/cases/{out.business_key}").data.decode()).group(0)


def test_a_reviewer_transfers_a_task_in_the_page_and_through_the_api(app, world):
    from engine import tokens
    from engine.routing import Actor
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    with world.rt.db.write() as session:  # a person is named by their name, not their login
        session.execute(update(User).where(User.username == "edu_supervisor").values(display_name="王科长"))
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get(f"/tasks/{draft}").data.decode()
    assert 'id="transfer"' in page and 'value="edu_supervisor"' in page and 'value="edu_reviewer"' not in page
    done = reviewer.post(f"/tasks/{draft}/transfer", data={"to_user": "edu_supervisor", "reason": "本人休假"},
                         follow_redirects=True).data.decode()
    assert "已将" in done and "转办给王科长" in done
    notes = login(app.test_client(), "edu_supervisor").get("/notifications").data.decode()
    assert "转办给您：本人休假" in notes
    with world.rt.db.write() as session:
        secret = tokens.issue(session, Actor.system("test"), "edu-chief", "supervisor", "EDU", "edu_supervisor").secret
    moved = app.test_client().post(f"/api/v1/tasks/{draft}/transfer", headers={"Authorization": f"Bearer {secret}"},
                                   json={"to_user": "edu_head", "reason": "需局长亲自办理"})
    assert moved.status_code == 200 and moved.json["assignee"] == "edu_head"
    refused = app.test_client().post(f"/api/v1/tasks/{draft}/transfer", headers={"Authorization": f"Bearer {secret}"},
                                     json={"to_user": "edu_reviewer", "reason": "再转"})
    assert refused.status_code == 403


def test_a_user_sets_a_mail_address_and_which_notices_come_by_mail(app, world):
    from engine.models import User
    client = login(app.test_client(), "hrss_reviewer")
    assert "邮件提醒设置" in client.get("/notifications/settings").data.decode()
    bad = client.post("/notifications/settings", data={"email": "not-an-address", "mail_on": "1"},
                      follow_redirects=True).data.decode()
    assert "邮件地址无效：电子邮箱：不是邮件地址" in bad
    client.post("/notifications/settings", data={"email": "li@hrss.gov.example", "mail_on": "1", "kinds": ["urged"],
                                                 "delivery": "digest"})
    with world.rt.db.read() as session:
        user = session.execute(select(User).where(User.username == "hrss_reviewer")).scalar_one()
    assert (user.email, user.mail_on, user.mail_kinds, user.mail_digest) == ("li@hrss.gov.example", True, "urged", True)


def test_an_urge_names_the_urging_persons_own_department(app, world):
    """催办 from another department: the timeline and the notice name the urging person's department (教育局), not
    the urged step's (人社局); a supervisor urging their own department's step gets no department beside them."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{answer}/urge", data={})
    login(app.test_client(), "hrss_supervisor").post(f"/tasks/{answer}/urge", data={})
    page = login(app.test_client(), "edu_supervisor").get(f"/cases/{out.business_key}").data.decode()
    urges = re.findall(r'<li class="ev-task_urged">.*?<strong>催办</strong> · ([^\n]*)', page, re.S)
    assert [u.split("·")[0].strip() for u in urges] == ["edu_reviewer（教育局）", "hrss_supervisor"], urges
    notices = login(app.test_client(), "hrss_reviewer").get("/notifications").data.decode()
    assert f"edu_reviewer（教育局）催办{out.business_key}" in notices
    assert f"hrss_supervisor催办{out.business_key}" in notices and "（人社局）" not in notices



def _urged_inquiry(app, world, note="家长在窗口等候"):
    """An inquiry whose answer 教育局's reviewer urged with a note, beside one not urged: (case, urged, other)."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="请说明", reply_days=5)
    other = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    other = world.complete("edu_reviewer", other, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{answer}/urge", data={"note": note})
    return out, answer, opened(other)["draft_answer"]


def test_the_task_page_says_who_urged_from_which_department_when_and_why(app, world):
    _, answer, _ = _urged_inquiry(app, world)
    hrss = login(app.test_client(), "hrss_reviewer")
    banner = re.search(r'<p class="flash error" id="urged">(.*?)</p>', hrss.get(f"/tasks/{answer}").data.decode(),
                       re.S).group(1)
    assert re.fullmatch(r"本事项已被催办1次；最近：教育局 · edu_reviewer · \d{4}-\d\d-\d\d \d\d:\d\d：家长在窗口等候",
                        banner), banner
    hrss.post("/language", data={"language": "en", "next": "/inbox"})
    english = hrss.get(f"/tasks/{answer}").data.decode()
    assert re.search(r"Urged 1× so far; latest: Education Bureau · edu_reviewer · [^<]*: 家长在窗口等候", english)


def test_the_timeline_shows_the_note_of_an_urge(app, world):
    out, _, _ = _urged_inquiry(app, world)
    page = login(app.test_client(), "edu_supervisor").get(f"/cases/{out.business_key}").data.decode()
    urged = re.search(r'<li class="ev-task_urged">(.*?)</li>', page, re.S).group(1)
    assert '<p class="comment urge-note">家长在窗口等候</p>' in urged


def test_the_inbox_marks_urged_tasks_with_their_count(app, world):
    _, answer, other = _urged_inquiry(app, world)
    inbox = login(app.test_client(), "hrss_reviewer").get("/inbox?view=department").data.decode()
    rows = dict(re.findall(r'<tr data-task="([^"]+)">(.*?)</tr>', inbox, re.S))
    assert '<span class="tag escalated urged">已催办1次</span>' in rows[answer] and "已催办" not in rows[other]
    with world.rt.db.read() as session:  # one query for the page's tasks, on the audit log's case index
        from engine import urges
        from engine.models import Task
        case_of = dict(session.execute(select(Task.id, Task.case_id).where(Task.id.in_([answer, other]))).all())
        assert urges.counts(session, [(case_of[answer], answer), (case_of[other], other)]) == {answer: 1}
        assert urges.counts(session, []) == {}


def test_the_audit_log_names_the_urging_department_and_the_entry_keeps_the_urged_one(app, world):
    from engine.models import AuditEntry
    _urged_inquiry(app, world)
    log = login(app.test_client(), "auditor").get("/audit?event=task_urged").data.decode()
    row = re.search(r"<tr><td>\d+</td>.*?</tr>", log, re.S).group(0)
    assert "<td>教育局</td>" in row and "<td>人社局</td>" not in row, row
    with world.rt.db.read() as session:  # the node assessment counts the urge for the urged department
        stored = session.execute(select(AuditEntry.department).where(AuditEntry.event == "task_urged")).scalars().all()
    assert stored == ["HRSS"]


def test_an_answer_already_overdue_is_announced_as_overdue_not_due_soon(app, world):
    """The worker was down until after the reply's deadline: the reminder and the overdue timer fire together, and
    the department asked reads that its answer is overdue (已超期), in Chinese and in English, never 即将到期."""
    import time_machine

    from engine import announce
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="请说明", reply_days=2)
    due = out.opened[0]["due_at"]
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        world.fire(out.case_id)
        with world.rt.db.write() as session:
            announce.refresh(session)
    hrss = login(app.test_client(), "hrss_reviewer")
    page = hrss.get("/notifications").data.decode()
    assert f"{out.business_key}的“拟写答复”已超期，请尽快办理。" in page and "即将到期" not in page
    hrss.post("/language", data={"language": "en", "next": "/notifications"})
    english = hrss.get("/notifications").data.decode()
    assert f"“Draft the answer” of {out.business_key} is overdue; please deal with it now." in english
    assert "due soon" not in english
    settings = hrss.get("/notifications/settings").data.decode()
    assert 'value="overdue"' in settings and "notice_overdue" not in settings


def test_a_stagnation_alert_notice_says_which_step_and_why(app):
    """Two alerts of one case (no progress; past the time limit) used to read alike: 「… 出现滞留预警，请关注。」 twice."""
    from web.notifications import words
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        idle = words("alert", "SUB-2026-000001", {"step": "科长审批", "kind": "idle", "threshold": 5})
        late = words("alert", "SUB-2026-000001", {"step": "科长审批", "kind": "sla", "threshold": 100})
        early = words("alert", "SUB-2026-000001", {"step": "科长审批", "kind": "sla", "threshold": 80.0})
        bare = words("alert", "SUB-2026-000001", {"step": "", "kind": "age", "threshold": 20})
    assert idle == "SUB-2026-000001的“科长审批”已5个工作日无进展（滞留预警），请关注。"
    assert late == "SUB-2026-000001的“科长审批”已超过办理时限（滞留预警），请关注。"
    assert early == "SUB-2026-000001的“科长审批”办理用时已超过时限的80%（滞留预警），请关注。"
    assert bare == "SUB-2026-000001出现滞留预警，请关注。"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert words("alert", "SUB-2026-000001", {"step": "Approve", "kind": "idle", "threshold": 5}) == \
            "“Approve” of SUB-2026-000001 has had no progress for 5 working days (stagnation alert); please look into it."


def test_a_long_urge_note_can_be_written_and_read_whole_in_the_task_table(app, world):
    """The note was typed into a one-line box in the table's narrow 经办人 cell, clipped after a few characters, and the
    table said only 已催办 1 次: the box is now a wrapping text area and the count opens onto the notes, in full."""
    note = "家长已三次来电询问进度，孩子九月一日开学，" * 6 + "请务必于本周五前答复。"
    out, answer, _ = _urged_inquiry(app, world, note)
    page = login(app.test_client(), "edu_supervisor").get(f"/cases/{out.business_key}").data.decode()
    row = re.search(r'<table class="tasks">.*?</table>', page, re.S).group(0)
    assert '<input name="note"' not in row and re.search(r'<textarea name="note"[^>]*maxlength="500"', row)
    notes = re.search(r'<details class="urge-notes"[^>]*>\s*<summary title="([^"]*)"[^>]*>(.*?)</summary>(.*?)</details>',
                      row, re.S)
    assert notes and notes.group(1) == note and "催办1次" in notes.group(2), row
    assert f'<p class="urge-note">{note}</p>' in notes.group(3)


def test_one_who_may_not_urge_the_step_reads_why_on_the_case_page(app, world):
    """催办 by one of the case who may not urge the step (a reviewer of the step's own department: a stale page, a
    crafted form) was a bare 403 page; now the case page, 403, says who may urge it. Nothing was urged."""
    out, _ = _answered_inquiry(world)
    sign = opened(out)["sign_answer"]
    refused = login(app.test_client(), "hrss_reviewer").post(f"/tasks/{sign}/urge", data={"note": "请尽快"})
    page = refused.data.decode()
    assert refused.status_code == 403 and "Traceback" not in page
    said = re.search(r'class="flash error"[^>]*>(.*?)</', page, re.S).group(1)
    assert "hrss_reviewer不能催办" in said and "参与本案的部门可以" in said, said
    assert out.business_key in page and f'action="/tasks/{sign}/urge"' not in page  # the case page, offering no urge
    assert _urges(world) == 0


def test_a_refused_urge_keeps_the_note_typed(app, world):
    """A refused 催办 lost the note typed (a redirect to the case page). Now the case page again holds it: in the step's
    urge form, with what is wrong said there, while the step can still be urged (a note too long, 422); read-only
    under why, above, where the form is gone (a finished step, 409). Nothing was urged."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="口径", questions="请说明", reply_days=5)
    answer = opened(out)["draft_answer"]
    edu = login(app.test_client(), "edu_reviewer")
    long_note = "家长已多次来电询问进度，" * 50
    refused = edu.post(f"/tasks/{answer}/urge", data={"note": long_note})
    form = re.search(r'<form method="post" action="/tasks/' + answer + r'/urge".*?</form>', refused.data.decode(), re.S)
    assert refused.status_code == 422 and form, refused.data.decode()[:2000]
    assert "500" in re.search(r'id="side-refused">(.*?)</p>', form.group(0)).group(1)  # what is wrong, in the form
    assert f">{long_note}</textarea>" in form.group(0)
    _, done = _answered_inquiry(world)
    finished = edu.post(f"/tasks/{done}/urge", data={"note": "请尽快答复"})
    page = finished.data.decode()
    assert finished.status_code == 409 and f'action="/tasks/{done}/urge"' not in page
    said = re.search(r'id="refused">(.*?)</div>', page, re.S).group(1)
    assert "已办理结束，无需催办" in said
    assert "请尽快答复</textarea>" in re.search(r'<section id="typed-back">.*?</section>', page, re.S).group(0)
    assert _urges(world) == 0


def test_a_notice_number_that_can_be_no_notice_marks_nothing_read(app, world):
    """A crafted 'mark read' naming a number past 64 bits (or ², which isdigit() passes and int() refuses) was a
    500 page (PostgreSQL: bigint out of range; SQLite: too large); one naming only what is no number marked every
    notice read, as 'mark all read' does. Now such numbers name nothing: the page answers, nothing is marked."""
    from engine.models import Notification

    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="社保口径", questions="请说明", reply_days=5)
    login(app.test_client(), "edu_reviewer").post(f"/tasks/{opened(out)['draft_answer']}/urge", data={"note": "请尽快"})
    hrss = login(app.test_client(), "hrss_reviewer")
    for crafted in ("99999999999999999999", "9223372036854775808", "²", "abc", "0"):
        response = hrss.post("/notifications/read", data={"id": crafted})
        assert response.status_code == 302 and response.headers["Location"].endswith("/notifications"), crafted
    with world.rt.db.read() as session:
        unread = session.execute(select(Notification.id).where(Notification.username == "hrss_reviewer",
                                                               Notification.read_at.is_(None))).all()
    assert len(unread) == 1
