"""A NUL (\\x00) in what a page is sent: PostgreSQL refuses NUL in text, so a form field holding %00 was a 500
page there (SQLite stored it). Any page's form field, query parameter, JSON value or uploaded file's name holding
one is refused (400, in the reader's language, naming the field) before the page runs, and nothing is saved; the
contents of an uploaded file are bytes, NULs and all."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from conftest import login
from engine.models import AuditEntry, Case, Task
from test_counter_pages import PDF, _intake
from test_delegation_pages import ANSWER, _draft

REFUSED = "含有空字符"


def _audited(world, event: str) -> int:
    with world.rt.db.read() as session:
        return session.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.event == event)).scalar_one()


def _refused(response, field: str) -> str:
    page = response.data.decode()
    assert response.status_code == 400, page[:500]
    assert REFUSED in page and f"“{field}”" in page, page[:2000]
    return page


def test_a_task_form_field_holding_a_nul_is_refused_naming_it(app, world):
    task = _draft(world)
    with world.rt.db.write() as session:
        session.execute(Task.__table__.update().where(Task.id == task).values(assignee="edu_reviewer"))
    reviewer = login(app.test_client(), "edu_reviewer")
    _refused(reviewer.post(f"/tasks/{task}", data={**ANSWER, "questions": "请说明\x00参保年限"}), "questions")
    _refused(reviewer.post(f"/tasks/{task}", data={**ANSWER, "reply\x00days": "5"}), "reply\\0days")
    with world.rt.db.read() as session:
        row = session.get(Task, task)
        assert (row.state, row.draft) == ("open", None), "nothing was saved"
    assert reviewer.post(f"/tasks/{task}", data=ANSWER).status_code == 302


def test_a_comment_holding_a_nul_is_refused_and_the_english_reader_is_told_so(app, world):
    task = _draft(world)
    with world.rt.db.read() as session:
        key = session.execute(select(Case.business_key).join(Task, Task.case_id == Case.id)
                              .where(Task.id == task)).scalar_one()
    reviewer = login(app.test_client(), "edu_reviewer")
    _refused(reviewer.post(f"/cases/{key}/comments", data={"task_id": task, "text": "请核实\x00地址"}), "text")
    _refused(reviewer.post(f"/cases/{key}/comments", data={"task_id": task + "\x00", "text": "请核实"}), "task_id")
    assert _audited(world, "comment_added") == 0
    reviewer.post("/language", data={"language": "en", "next": "/inbox"})
    page = reviewer.post(f"/cases/{key}/comments", data={"task_id": task, "text": "a\x00b"})
    assert page.status_code == 400 and "“text” holds a NUL character" in page.data.decode()


def test_a_search_and_a_login_holding_a_nul_are_refused_naming_the_field(app, world):
    admin = login(app.test_client(), "admin")
    _refused(admin.get("/search?q=%E5%BC%A0%00"), "q")
    anonymous = app.test_client()
    _refused(anonymous.post("/login", data={"username": "admin\x00", "password": "x"}), "username")
    _refused(anonymous.post("/login", data={"username": "admin", "password": "x\x00"}), "password")
    assert anonymous.get("/inbox").status_code == 302, "not logged in"


def test_a_file_name_holding_a_nul_is_refused_its_contents_are_not(app, world):
    clerk = login(app.test_client(), "edu_reviewer")
    key = _intake(clerk, world.person("王芳"), ["residence_permit", "social_insurance", "housing", "vaccination",
                                                "household_register"])
    _refused(clerk.post(f"/cases/{key}/attachments", data={"kind": "housing", "file": (io.BytesIO(PDF), "房产\x00证.pdf")},
                        content_type="multipart/form-data"), "file")
    _refused(clerk.post(f"/cases/{key}/attachments", data={"kind": "housing\x00", "file": (io.BytesIO(PDF), "房产证.pdf")},
                        content_type="multipart/form-data"), "kind")
    assert _audited(world, "attachment_added") == 0
    binary = PDF.replace(b"<<>>", b"<<\x00\x00>>")  # a file's contents are bytes: NULs are theirs to hold
    kept = clerk.post(f"/cases/{key}/attachments", data={"kind": "housing", "file": (io.BytesIO(binary), "房产证.pdf")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert kept.status_code == 200 and "已上传：房产证.pdf" in kept.data.decode()
    assert _audited(world, "attachment_added") == 1


def test_a_pages_json_body_holding_a_nul_is_refused_and_the_api_names_its_field_itself(app, world, client, issue):
    designer = login(app.test_client(), "designer")
    _refused(designer.post("/designer/modeler/check", json={"files": {"a.bpmn": "<x/>\x00"}}), "files.a.bpmn")
    token = issue("edu-rev", "reviewer", "EDU", "edu_reviewer")
    api = client.post(f"/api/v1/tasks/{_draft(world)}/complete", headers=token,
                      json={"values": {**ANSWER, "questions": "a\x00b"}})
    assert api.status_code == 422 and api.is_json and "values.questions" in api.data.decode()


def test_a_pages_json_body_nested_too_deep_is_refused_not_a_server_error(app, world):
    """Looking for a NUL in a page's JSON body read it whole, recursively: a body of a few thousand nested brackets
    (any page, before any login) was a 500 page (RecursionError), and so was one nested some 900 deep that the
    parser took but the search did not; a NUL found that deep is still refused by name."""
    client = app.test_client()
    for depth in (900, 5000):
        response = client.post("/login", data="[" * depth + "]" * depth, content_type="application/json")
        assert response.status_code < 500, (depth, response.status_code)
    deep = "[" * 900 + '"a\\u0000b"' + "]" * 900
    assert client.post("/login", data=deep, content_type="application/json").status_code == 400
