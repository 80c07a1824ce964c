"""One language on the screen (#13): every page each kind of user reaches in the demo, refused actions and the
API's messages, read in zh-CN, hold no English (apart from names and codes meant to be so), no raw ISO
timestamp, no None/True/False and no Python repr. The pages are found by following the links each user is
offered, plus cases in every state, so that a new page is checked without anyone adding it here."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import etree
from sqlalchemy import select, text

from conftest import login
from engine.errors import MESSAGES
from engine.models import ApiToken, Case, Department, ProcessDefinition, Task, User
from language_support import DESIGNER_TERMS, EN, ZH, Report, crawl, visible_text, words
from web.audit import EVENTS  # importing the app registers every module's catalogue of messages
from web.i18n import MESSAGES as FORM_MESSAGES, msgid

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
ENGINE_TESTS = Path(__file__).resolve().parents[1] / "engine"
BAD_ID = "110101199003071235"  # a wrong check digit


TITLES = {"reviewer": "审核员", "supervisor": "科长", "head": "负责人"}


@pytest.fixture
def office(demo):
    """The demo, with the test users (whose display name is their log-in name) named as people are."""
    with demo.rt.db.write() as session:
        departments = dict(session.execute(select(Department.code, Department.name_zh)).all())
        for user in session.execute(select(User).where(User.display_name == User.username)).scalars():
            code, _, role = user.username.partition("_")
            user.display_name = departments.get(code.upper(), "") + TITLES.get(role, "工作人员")
    return demo


def _client(app, username):
    client = login(app.test_client(), username)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    return client


def _cases_in_every_state(world) -> list[str]:
    """A case of each process in each status and outcome (running, finished, rejected, withdrawn, failed)."""
    picked: dict[tuple, str] = {}
    with world.rt.db.read() as session:
        for case in session.execute(select(Case).order_by(Case.id)).scalars():
            outcome = json.loads(case.summary or "{}").get("outcome")
            picked.setdefault((case.process_key, case.status, str(outcome)), case.business_key)
    return [f"/cases/{key}" for key in picked.values()]


def _open_task_of(world, department: str) -> str:
    """The oldest open step of the department that its reviewers may take (not a 科长's sign-off)."""
    with world.rt.db.read() as session:
        return session.execute(select(Task.id).where(Task.department_code == department, Task.state == "open",
                                                     Task.role == "reviewer")
                               .order_by(Task.created_at)).scalars().first()


def _administered(world) -> set[str]:
    """What the administration pages show on purpose because it is what an administrator manages: log-in
    names, department codes (and their English names, edited there) and API token names."""
    with world.rt.db.read() as session:
        names = set(session.execute(select(User.username)).scalars())
        names |= set(session.execute(select(ApiToken.name)).scalars())
        for code, english in session.execute(select(Department.code, Department.name_en)):
            names |= {code, *re.findall(r"[A-Za-z][A-Za-z-]*", english or "")}
    # the example of a token name the token form shows, and the keys of a calendar notice file an administrator writes
    return names | {"psb-system", "year", "source", "holidays", "workdays", "README"}


def _designed(world) -> set[str]:
    """What the designer's pages show on purpose: each process's key (the id in its BPMN), beside its name."""
    with world.rt.db.read() as session:
        return set(session.execute(select(ProcessDefinition.process_key)).scalars())


USERS = {  # who, where a visit starts, names shown on purpose
    "reviewer": ("edu_reviewer", ["/inbox", "/inbox?view=department", "/inbox?view=mine", "/applications/new",
                                  "/notifications", "/deputies", "/cc", "/account/password", "/notices"]),
    "supervisor": ("edu_supervisor", ["/inbox", "/team", "/dashboard", "/dashboard/assessment", "/dashboard/alerts",
                                      "/dashboard/bottlenecks", "/deputies", "/notifications/settings"]),
    "head": ("joint_head", ["/inbox", "/team", "/dashboard", "/dashboard/assessment"]),
    "window clerk": ("street_reviewer", ["/inbox", "/applications/new", "/applications/new/subsidy_approval"]),
    "auditor": ("auditor", ["/audit", "/audit/cases", "/audit?event=task_completed", "/dashboard",
                            "/dashboard/assessment"]),
    "designer": ("designer", ["/designer", "/designer/modeler", "/designer/migrate/admission_review"]),
    "administrator": ("admin", ["/admin", "/admin/users/edu_reviewer", "/admin/calendar", "/audit", "/designer",
                                "/dashboard"]),
}


@pytest.mark.parametrize("kind", list(USERS))
def test_every_page_a_user_reaches_reads_in_chinese(app, office, kind):
    username, start = USERS[kind]
    client = _client(app, username)
    report = Report()
    names, keys = _administered(office), _designed(office)
    visited = crawl(client, start + (_cases_in_every_state(office) if kind in ("auditor", "administrator") else []),
                    report, allowed_names=lambda url: names if url.startswith("/admin") else
                    keys if url.startswith("/designer") else frozenset())
    assert len(visited) > 5
    assert not report.items, str(report)


def _completed_task_of(world, by: str) -> str:
    """A step `by` completed (a colleague of the same department may open it, but it is done)."""
    with world.rt.db.read() as session:
        return session.execute(select(Task.id).where(Task.completed_by == by, Task.state == "completed")
                               .order_by(Task.created_at)).scalars().first()


def _names_in(files: dict[str, bytes]) -> set[str]:
    """The designer's own names in uploaded files (ids, names, values, expressions): a message may quote them."""
    names = set()
    for content in files.values():
        try:
            root = etree.fromstring(content, etree.XMLParser(recover=True))
        except etree.XMLSyntaxError:
            continue
        for node in root.iter() if root is not None else ():
            texts = list(node.attrib.values()) + ([node.text] if node.text and len(node) == 0 else [])
            names.update(words(" ".join(texts)))
    return names | DESIGNER_TERMS


def _page(report, where, response, status=None, names=frozenset()):
    assert status is None or response.status_code == status, f"{where}: {response.status_code}"
    report.check(where, response.get_data(as_text=True), names)


def test_refused_actions_and_error_pages_read_in_chinese(app, office):
    report = Report()
    reviewer = _client(app, "edu_reviewer")
    done = _completed_task_of(office, "edu_reviewer2")
    _page(report, "claim a completed task", reviewer.post(f"/tasks/{done}/claim", follow_redirects=True))
    _page(report, "complete a completed task", reviewer.post(f"/tasks/{done}", data={}), 409)
    _page(report, "withdraw another's step", reviewer.post(f"/tasks/{done}/withdraw", follow_redirects=True))
    open_task = _open_task_of(office, "EDU")
    reviewer.post(f"/tasks/{open_task}/claim")
    _page(report, "bad form input", reviewer.post(f"/tasks/{open_task}", data={"decision": "maybe"}), 422)
    _page(report, "a signer of another department", reviewer.post(f"/tasks/{open_task}/signers", data={
        "signer-to": "psb_reviewer", "signer-position": "after", "signer-reason": "请会签"}, follow_redirects=True))
    _page(report, "a transfer to another department", reviewer.post(f"/tasks/{open_task}/transfer", data={
        "to_user": "psb_reviewer", "reason": "转办"}, follow_redirects=True))
    _page(report, "a deputy for oneself", reviewer.post("/deputies", data={
        "deputy": "edu_reviewer", "start": "2026-12-01", "end": "2026-11-01"}, follow_redirects=True))
    _page(report, "bad intake ID", reviewer.post("/applications/new/admission_review", data={
        "applicant_name": "王芳", "applicant_id": BAD_ID, "phone": "1381234567", "child_name": "王小明",
        "child_id": "11010119900307123X", "address": "", "district": "西湖区"}), 422)
    _page(report, "wrong current password", reviewer.post("/account/password", data={
        "current_password": "wrong-password", "new_password": "123", "new_password_again": "456"}))
    with office.rt.db.read() as session:
        finished = session.execute(select(Case.business_key).where(Case.status == "completed",
                                                                   Case.process_key == "admission_review")).scalars().first()
    _page(report, "a bad rating", reviewer.post(f"/cases/{finished}/rating", data={"score": "9"}, follow_redirects=True))
    _page(report, "403", reviewer.get("/admin"), 403)
    _page(report, "404", reviewer.get("/tasks/no-such-task"), 404)
    _page(report, "404 case", reviewer.get("/cases/ADM-2026-999999"), 404)
    _page(report, "405", reviewer.get("/notices/ABCDEF0123/objection"), 405)
    supervisor = _client(app, "edu_supervisor")
    with office.rt.db.read() as session:
        other = session.execute(select(Task.id).where(Task.department_code == "PSB", Task.state == "open")).scalars().first()
    _page(report, "refused reassignment", supervisor.post("/team/reassign", data={
        "task_id": [open_task], "to_user": "psb_reviewer", "reason": "调整"}, follow_redirects=True))
    _page(report, "reassign another department's step", supervisor.post("/team/reassign", data={
        "task_id": [other], "to_user": "edu_reviewer", "reason": "调整"}, follow_redirects=True))
    _page(report, "reassign with no reason", supervisor.post("/team/reassign", data={
        "task_id": [open_task], "to_user": "edu_reviewer2", "reason": ""}, follow_redirects=True))
    auditor = _client(app, "auditor")
    _page(report, "audit verify", auditor.post("/audit/verify", follow_redirects=True), 200)
    _page(report, "audit filter after verify", auditor.get("/audit?event=task_claimed&from=2026-13-01"), 200)
    with office.rt.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    _page(report, "audit verify, broken", auditor.post("/audit/verify", follow_redirects=True), 200)
    admin, names = _client(app, "admin"), _administered(office)
    _page(report, "a bad new user", admin.post("/admin/users", data={
        "username": "X", "display_name": "", "password": "123", "department": "NOPE", "role": "boss"},
        follow_redirects=True), names=names)
    _page(report, "a bad token", admin.post("/admin/tokens", data={
        "name": "", "role": "boss", "department": "NOPE", "expires_days": "x"}, follow_redirects=True), names=names)
    assert not report.items, str(report)


def test_more_refusals_read_in_chinese(app, office):
    """Refusals of the other forms: release, urge, send back, comment, hold, supervision, settings, weights, alert rules,
    calendar, migration and the application's withdrawal."""
    report = Report()
    reviewer, supervisor = _client(app, "edu_reviewer"), _client(app, "edu_supervisor")
    open_task, done = _open_task_of(office, "EDU"), _completed_task_of(office, "edu_reviewer2")
    with office.rt.db.read() as session:
        running = session.execute(select(Case.business_key).where(Case.status == "running",
                                                                  Case.process_key == "admission_review")).scalars().first()
        finished = session.execute(select(Case.business_key).where(Case.status == "completed",
                                                                   Case.process_key == "admission_review")).scalars().first()
    for where, response in [
        ("release an unclaimed task", reviewer.post(f"/tasks/{open_task}/release", follow_redirects=True)),
        ("urge as a reviewer", reviewer.post(f"/tasks/{open_task}/urge", data={"note": "快"}, follow_redirects=True)),
        ("send back with no reason", reviewer.post(f"/tasks/{open_task}/send-back", data={"target": "x", "reason": ""},
                                                   follow_redirects=True)),
        ("an empty comment", reviewer.post(f"/cases/{running}/comments", data={"task_id": open_task, "text": " "},
                                           follow_redirects=True)),
        ("a delegation of a closed step", reviewer.post(f"/tasks/{done}/delegate", data={"to_user": "edu_reviewer2"},
                                                        follow_redirects=True)),
        ("withdraw a decided application", reviewer.post(f"/cases/{finished}/withdraw-application",
                                                         data={"reason": "不办了", "confirm": "1"}, follow_redirects=True)),
        ("bad mail settings", reviewer.post("/notifications/settings", data={"email": "not-an-address", "mail_on": "1"},
                                            follow_redirects=True)),
        ("end a deputyship that is not there", reviewer.post("/deputies/999999/end", follow_redirects=True)),
        ("urge with no reason", supervisor.post(f"/tasks/{done}/urge", data={"note": ""}, follow_redirects=True)),
    ]:
        _page(report, where, response)
    admin, auditor, designer = _client(app, "admin"), _client(app, "auditor"), _client(app, "designer")
    names = _administered(office)
    _page(report, "a hold with no reason", auditor.post(f"/cases/{running}/legal-holds", data={"reason": ""},
                                                        follow_redirects=True))
    _page(report, "bad weights", admin.post("/dashboard/assessment/weights", data={"timeliness": "lots"},
                                            follow_redirects=True))
    _page(report, "a bad alert rule", admin.post("/dashboard/alerts/rules", data={
        "process_key": "nope", "kind": "idle", "threshold": "x"}, follow_redirects=True))
    _page(report, "a bad alert rule kind", admin.post("/dashboard/alerts/rules", data={
        "process_key": "admission_review", "kind": "forever", "threshold": "3"}, follow_redirects=True))
    _page(report, "a broken calendar notice", admin.post("/admin/calendar", data={
        "notice": (io.BytesIO(b"year = 'x'"), "2027.toml")}, content_type="multipart/form-data",
        follow_redirects=True), names=names)
    _page(report, "a bad alias", admin.post("/admin/departments/EDU/aliases", data={"alias": "公安局"},
                                            follow_redirects=True), names=names)
    _page(report, "deactivate oneself", admin.post("/admin/users/admin", data={"action": "deactivate"},
                                                   follow_redirects=True), names=names)
    _page(report, "a migration unconfirmed", designer.post("/designer/migrate/admission_review", data={},
                                                           follow_redirects=True), names=_designed(office))
    _page(report, "a deploy on an impossible date", designer.post("/designer/deploy", data={
        "token": "x", "note": "修订", "effective": "2026-02-30"}, follow_redirects=True))
    assert not report.items, str(report)


def test_the_designer_check_names_every_problem_in_chinese(app, office):
    report = Report()
    designer = _client(app, "designer")
    topics = set(words(" ".join(office.rt.handlers)))  # the service handlers a message lists by their names
    broken = {p.name: p.read_bytes() for p in sorted((ENGINE_TESTS / "broken").iterdir())}
    foreign = {p.name: p.read_bytes() for p in sorted((ENGINE_TESTS / "foreign").glob("*.bpmn"))}
    for name, content in [*broken.items(), *foreign.items()]:
        response = designer.post("/designer/validate", data={"files": [(io.BytesIO(content), name)]},
                                 content_type="multipart/form-data")
        assert response.status_code in (200, 422), name
        report.check(f"check {name}", response.get_data(as_text=True), _names_in({name: content}) | topics)
    model = (BPMN / "formal_inquiry.bpmn").read_text()
    for name, content in [("formal_inquiry.bpmn", model.replace('candidateGroups="supervisor"', 'candidateGroups="boss"')),
                          ("broken.bpmn", broken["broken.bpmn"].decode()), ("x.txt", "hello")]:
        answer = designer.post("/designer/modeler/check", json={"files": {name: content}})
        report.check_json(f"modeler check {name}", answer.get_json(), _names_in({name: content.encode()}) | topics)
    _page(report, "deploy with no note", designer.post("/designer/deploy", data={"token": "x", "note": ""},
                                                       follow_redirects=True))
    assert not report.items, str(report)


def test_the_api_answers_in_chinese_when_asked(app, office, issue):
    report = Report()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ZH["Accept-Language"]
    report.check_json("no token", client.get("/api/v1/tasks").get_json())
    staff = issue("edu-system", "reviewer", "EDU")
    done = _completed_task_of(office, "edu_reviewer2")
    for where, response in [
        ("claim a completed task", client.post(f"/api/v1/tasks/{done}/claim", headers=staff)),
        ("complete a completed task", client.post(f"/api/v1/tasks/{done}/complete", headers=staff, json={"values": {}})),
        ("no such case", client.get("/api/v1/cases/ADM-2026-999999/history", headers=staff)),
        ("bad JSON", client.post("/api/v1/inquiries", headers={**staff, "Content-Type": "application/json"},
                                 data="{nope")),
        ("bad fields", client.post("/api/v1/inquiries", headers=staff, json={"target_department": "NOPE", "x": 1})),
        ("wrong method", client.delete("/api/v1/tasks", headers=staff)),
        ("no such path", client.get("/api/v1/nope", headers=staff)),
    ]:
        assert response.status_code >= 400, where
        report.check_json(where, response.get_json())
    portal = issue("portal", "portal")
    bad = client.post("/api/v1/applications", headers=portal, json={
        "process": "admission_review", "applicant_name": "王芳", "applicant_id": BAD_ID, "phone": "13812345678",
        "child_name": "王小明", "child_id": BAD_ID, "address": "文三路1号", "district": "西湖区"})
    assert bad.status_code == 422
    report.check_json("bad intake", bad.get_json())
    assert not report.items, str(report)


@pytest.mark.parametrize("kind", list(USERS))
def test_the_english_pages_say_words_not_codes(app, office, kind):
    """In English the same pages name things in words: no snake_case codes (event kinds, alert kinds, milestones),
    and no raw values either."""
    username, start = USERS[kind]
    client = login(app.test_client(), username)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = EN["Accept-Language"]
    report = Report()
    names, keys = _administered(office), _designed(office)
    crawl(client, start + (_cases_in_every_state(office) if kind in ("auditor", "administrator") else []), report,
          allowed_names=lambda url: names if url.startswith("/admin") else keys if url.startswith("/designer")
          else frozenset(), headers=EN)
    assert not report.items, str(report)


def test_every_coded_message_and_event_has_its_words():
    """Every message the engine, the workflows and the API say by code has a Chinese translation, and every audit
    event a name in both languages: a new one without them fails here, before anyone meets it in English."""
    translations = Path(__file__).resolve().parents[2] / "web" / "translations"
    catalogues = {}
    for language in ("zh_Hans_CN", "en"):
        with (translations / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalogues[language] = {m.id: m.string for m in read_po(po) if m.id}
    zh, en = catalogues["zh_Hans_CN"], catalogues["en"]
    untranslated = [code for code, words in {**MESSAGES, **FORM_MESSAGES}.items()
                    if not zh.get(msgid(words)) and not re.fullmatch(r"\{\w+\}", words)]  # "{message}": the designer's
    assert not untranslated, untranslated
    assert not [e for e in EVENTS if not zh.get(e)], "events without a Chinese name"
    assert not [e for e in EVENTS if not en.get(e)], "events without an English name"


def test_the_audit_log_reads_entries_details_in_words(app, office):
    """A signature, an added signer, an upload, a transfer, an alert and an event-log export as the audit log shows
    them: each value in words (同意, 前加签, the material's name, a size with its unit, people by name, a percentage,
    XES), under the label that fits the entry, in both languages; the crawl's checks find nothing raw in them."""
    from datetime import datetime, timezone
    from engine import audit
    with office.rt.db.write() as session:
        task, case = session.execute(select(Task, Case).join(Case, Case.id == Task.case_id)
                                     .where(Case.process_key == "admission_review").limit(1)).one()
        at = datetime.now(timezone.utc)
        events = [("task_signed", {"signer": "edu_supervisor", "position": "before", "decision": "agree", "opinion": "可以"}),
                  ("signer_added", {"signer": "edu_supervisor", "position": "after", "reason": "请科长把关"}),
                  ("attachment_added", {"attachment": 1, "kind": "residence_permit", "file": "permit.pdf", "size": 339,
                                        "sha256": "0" * 64}),
                  ("task_transferred", {"task": task.name, "element": task.element_id, "from": "edu_reviewer",
                                        "to": "edu_supervisor", "reason": "休假"}),
                  ("case_copied", {"note": "请知悉", "task": task.name, "to": ["FIN", "edu_head"]}),
                  ("stagnation_alert", {"rule": 3, "kind": "sla", "threshold": 80, "notify": ["EDU", "JOINT"]}),
                  ("event_log_exported", {"format": "xes", "process": "admission_review", "from": "2026-01-01"})]
        audit.append(session, [audit.Event(event, "edu_reviewer", details, "EDU", case.id, case.business_key)
                               for event, details in events], at)
        names = dict(session.execute(select(User.username, User.display_name)).all())
    page = _client(app, "auditor").get("/audit").get_data(as_text=True)
    shown = " ".join(visible_text(page))
    for words_shown in ("签署结果：同意", "加签方式：前加签", "加签方式：后加签", "材料：居住证", "大小：339字节",
                        f"起：{names['edu_reviewer']}", f"至：{names['edu_supervisor']}", "阈值：80%", "格式：XES",
                        "规则：第3号"):
        assert words_shown in shown, words_shown
    assert f"环节：{task.name} ； 起：{names['edu_reviewer']} ； 至：{names['edu_supervisor']} ； 理由：休假" in shown, \
        "the step first, then from whom to whom, the reason last"
    assert f"环节：{task.name} ； 至：财政局、{names['edu_head']} ； 说明：请知悉" in shown, "抄送 names people, not user names"
    for raw in ("规则表：agree", "position", "edu_head", "residence_permit", "起：edu_reviewer", "阈值：80；", "xes", "附件：1"):
        assert raw not in shown, raw
    report = Report()
    report.check("/audit", page)
    assert not report.items, str(report)
    client = login(app.test_client(), "auditor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = EN["Accept-Language"]
    english = " ".join(visible_text(client.get("/audit").get_data(as_text=True)))
    for words_shown in ("Signer's decision: Agree", "Signing order: Signs before the holder", "Material: Residence permit",
                        "Size: 339 B", f"From: {names['edu_reviewer']}", "Threshold: 80 %", "Format: XES"):
        assert words_shown in english, words_shown
    report = Report()
    report.check_english("/audit", client.get("/audit").get_data(as_text=True))
    assert not report.items, str(report)


_TYPED_EXAMPLE = re.compile(r"(?:e\.g\.|\bor) \S+")  # e.g. 春节, e.g. 局长 or 主任: what a person types in Chinese


def test_the_english_words_carry_no_chinese_terms():
    """The English source texts name the Chinese term in brackets for translators (Save for later (暂存), Sent back
    (退回)); an English reader reads the words alone, so each has its English words in the en catalogue. Only an
    example of what is typed in Chinese (a holiday's name, a head's title) keeps its Chinese."""
    translations = Path(__file__).resolve().parents[2] / "web" / "translations"
    with (translations / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        ids = [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po) if m.id]
    with (translations / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        english = {m.id: m.string for m in read_po(po) if m.id}
    chinese = re.compile(r"[\u3400-\u9fff]")
    shown = {i: english.get(i) or i for i in ids}
    left = [text for text in shown.values() if chinese.search(_TYPED_EXAMPLE.sub("", text))]
    assert not left, "\n".join(left)


def test_no_translation_asks_for_a_value_its_message_does_not_give():
    """A translation may leave a value out (Chinese often does) but never name one the message lacks: every
    caller gives only what the message names, and a translation wanting more fails with a KeyError in that
    language alone."""
    named = re.compile(r"%\((\w+)\)")
    translations = Path(__file__).resolve().parents[2] / "web" / "translations"
    wrong = []
    for language in ("zh_Hans_CN", "en"):
        with (translations / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            for m in read_po(po):
                ids = [m.id] if isinstance(m.id, str) else list(m.id)
                strings = [m.string] if isinstance(m.string, str) else list(m.string)
                given = {name for text in ids for name in named.findall(text)}
                wrong += [(language, ids[0], name) for text in strings for name in named.findall(text or "")
                          if name not in given]
    assert not wrong, wrong
