"""Who may open what: a matrix of role × route, checked on the server for every cell."""
import pytest

from conftest import login
from world import opened

ROLES = ["anonymous", "edu_reviewer", "psb_reviewer", "edu_supervisor", "auditor", "designer", "admin"]


@pytest.fixture
def scene(world):
    """An admission case waiting for EDU's decision (PSB never had a task in it)."""
    out = world.start("admission_review", world.person().admission())
    return {"task": opened(out)["decide"], "key": out.business_key}


def expected(role: str, route: str) -> int:
    if role == "anonymous":
        return 302  # to the login page
    table = {
        "inbox": 200,
        "task": 200 if role in ("edu_reviewer", "edu_supervisor", "auditor", "admin") else 403,
        "case": 200 if role in ("edu_reviewer", "edu_supervisor", "auditor", "admin") else 403,
        "diagram": 200 if role in ("edu_reviewer", "edu_supervisor", "auditor", "admin") else 403,
        "claim": 302 if role in ("edu_reviewer", "edu_supervisor") else 403,
        "send_back": 409 if role in ("edu_reviewer", "edu_supervisor") else 403,  # no such step: the page says so
        # only who completed a step may take it back; this one is open: the task page says so (409)
        "withdraw": 409 if role in ("edu_reviewer", "edu_supervisor", "auditor", "admin") else 403,
        "reveal": 302 if role in ("edu_reviewer", "edu_supervisor", "auditor") else 403,  # an admin reads masked
        "team": 200 if role == "edu_supervisor" else 403,
        "audit": 200 if role in ("auditor", "admin") else 403,
        "audit_cases": 200 if role in ("auditor", "admin") else 403,
        "audit_export": 200 if role in ("auditor", "admin") else 403,
        "designer": 200 if role in ("designer", "admin") else 403,
        "designer_compare": 200 if role in ("designer", "admin") else 403,
        "urge": 302 if role == "edu_supervisor" else 403,
        "notifications": 200,
        "deputies": 200,
        "mail_settings": 200,
        "cc_list": 200,
        "account_password": 200,
        "admin_user": 200 if role == "admin" else 403,
        "unit_save": 302 if role == "admin" else 403,
        "calendar": 200 if role == "admin" else 403,
        "calendar_import": 302 if role == "admin" else 403,  # no file: named, nothing imported
        "calendar_day_add": 302 if role == "admin" else 403,  # no date: named, nothing changed
        "calendar_day_remove": 302 if role == "admin" else 403,
        "calendar_notice_name": 302 if role == "admin" else 403,
        "migrate_plan": 200 if role in ("designer", "admin") else 403,
        "modeler": 200 if role in ("designer", "admin") else 403,
        "migrate_move": 302 if role in ("designer", "admin") else 403,  # unconfirmed: nothing moves
        "supervision": 403,  # the overseeing office only (none of these roles)
        "delegate": 422 if role in ("edu_reviewer", "edu_supervisor") else 403,  # no such colleague: the page says so
        "cc_add": 302 if role in ("edu_reviewer", "edu_supervisor") else 403,
        "transfer": 422 if role in ("edu_reviewer", "edu_supervisor") else 403,
        "add_signer": 422 if role in ("edu_reviewer", "edu_supervisor") else 403,
        "save_typed": 422 if role in ("edu_reviewer", "edu_supervisor") else 403,  # nothing typed: said, nothing kept
        "inbox_delegated": 200,  # 我委派的: each sees only their own
        "return_to_delegate": 409 if role in ("edu_reviewer", "edu_supervisor") else 403,  # no delegate's answer: said
        "sign": 403,  # only the signer who has the step (none here)
        "remove_signer": 404,  # no such signer; who may remove one: tests/web/test_signers_pages.py
        "legal_hold": 302 if role in ("auditor", "admin") else 403,
        "lift_hold": 404,  # no such hold; who may lift one: tests/web/test_holds_pages.py
        "find_case": 200,  # everyone searches among the cases they may open
        "receipt": 200 if role in ("edu_reviewer", "edu_supervisor") else 403,  # the window's staff
        "receipt_pdf": 200 if role in ("edu_reviewer", "edu_supervisor") else 403,
        "notice": 302 if role in ("edu_reviewer", "edu_supervisor") else 403,  # nothing missing: said, back to the case
        "correction": 302 if role in ("edu_reviewer", "edu_supervisor") else 403,  # waits for no correction
        "attach": 302 if role in ("edu_reviewer", "edu_supervisor") else 403,  # no file: named, nothing kept
        "step_attach": 422 if role in ("edu_reviewer", "edu_supervisor") else 403,  # the step keeps none: said
        "attachment": 404 if role in ("edu_reviewer", "edu_supervisor", "auditor", "admin") else 403,  # no such file
        # staff comment on a step of a case they may open (an outsider's answers as a missing one); who has no department
        # (auditors, administrators, designers) only reads, whatever the case
        "comment": 302 if role in ("edu_reviewer", "edu_supervisor") else 404 if role == "psb_reviewer" else 403,
        "withdraw_application": 302 if role in ("edu_reviewer", "edu_supervisor") else 403,  # last: it ends the case
    }
    if role in OUTSIDERS and route in OF_THE_CASE:
        return 404  # what they may not see answers as what is not there (tests/web/test_hidden_existence.py)
    return table[route]


OUTSIDERS = ("psb_reviewer", "designer")  # no part in the case: they may not open it
OF_THE_CASE = {"task", "case", "diagram", "claim", "send_back", "withdraw", "reveal", "urge", "delegate", "cc_add",
               "transfer", "add_signer", "save_typed", "return_to_delegate", "sign", "receipt", "receipt_pdf", "notice",
               "correction", "attach", "step_attach", "attachment", "withdraw_application"}


ROUTES = {
    "inbox": ("get", "/inbox", None),
    "task": ("get", "/tasks/{task}", None),
    "case": ("get", "/cases/{key}", None),
    "diagram": ("get", "/cases/{key}/diagram", None),
    "claim": ("post", "/tasks/{task}/claim", {}),
    "send_back": ("post", "/tasks/{task}/send-back", {"target": "0" * 36, "reason": "理由", "confirm": "1"}),
    "withdraw": ("post", "/tasks/{task}/withdraw", {}),
    "reveal": ("post", "/cases/{key}/reveal", {"field": "applicant_id"}),
    "team": ("get", "/team", None),
    "audit": ("get", "/audit", None),
    "audit_cases": ("get", "/audit/cases", None),
    "audit_export": ("get", "/audit/export.csv", None),
    "designer": ("get", "/designer", None),
    "designer_compare": ("get", "/designer/compare?a=1&b=2", None),
    "urge": ("post", "/tasks/{task}/urge", {"note": "请尽快审定"}),
    "notifications": ("get", "/notifications", None),
    "deputies": ("get", "/deputies", None),
    "mail_settings": ("get", "/notifications/settings", None),
    "cc_list": ("get", "/cc", None),
    "account_password": ("get", "/account/password", None),
    "admin_user": ("get", "/admin/users/edu_reviewer", None),
    "supervision": ("get", "/supervision", None),
    "delegate": ("post", "/tasks/{task}/delegate", {"to_user": "nobody"}),
    "cc_add": ("post", "/tasks/{task}/cc", {"to": "HUD"}),
    "transfer": ("post", "/tasks/{task}/transfer", {"to_user": "nobody", "reason": "理由"}),
    "add_signer": ("post", "/tasks/{task}/signers", {"signer-to": "nobody", "signer-position": "after", "signer-reason": "理由"}),
    "save_typed": ("post", "/tasks/{task}/save", {}),
    "inbox_delegated": ("get", "/inbox?view=delegated", None),
    "return_to_delegate": ("post", "/tasks/{task}/return-to-delegate", {"reason": "理由"}),
    "sign": ("post", "/tasks/{task}/sign", {"decision": "agree"}),
    "remove_signer": ("post", "/signers/999999/remove", {"reason": "理由"}),
    "legal_hold": ("post", "/cases/{key}/legal-holds", {"reason": "诉讼保全"}),
    "lift_hold": ("post", "/legal-holds/999999/lift", {"reason": "理由"}),
    "find_case": ("get", "/cases?key={key}", None),
    "receipt": ("get", "/cases/{key}/receipt", None),
    "receipt_pdf": ("get", "/cases/{key}/receipt.pdf", None),
    "notice": ("get", "/cases/{key}/notice", None),
    "correction": ("get", "/cases/{key}/correction", None),
    "attach": ("post", "/cases/{key}/attachments", {"kind": "housing"}),
    "step_attach": ("post", "/tasks/{task}/attachments", {}),
    "attachment": ("get", "/cases/{key}/attachments/999999", None),
    "comment": ("post", "/cases/{key}/comments", {"task_id": "{task}", "text": "请核实居住地址"}),
    "withdraw_application": ("post", "/cases/{key}/withdraw-application", {"reason": "申请人撤回", "confirm": "1"}),
    "unit_save": ("post", "/admin/units", {"code": "STREET-WX", "name_zh": "文新街道", "parent": "STREET",
                                           "district": "西湖区", "covers": "文三路"}),
    "calendar": ("get", "/admin/calendar", None),
    "calendar_import": ("post", "/admin/calendar", {}),
    "calendar_day_add": ("post", "/admin/calendar/days", {}),
    "calendar_day_remove": ("post", "/admin/calendar/days/remove", {}),
    "calendar_notice_name": ("post", "/admin/calendar/2027/source", {}),
    "migrate_plan": ("get", "/designer/migrate/admission_review", None),
    "modeler": ("get", "/designer/modeler", None),
    "migrate_move": ("post", "/designer/migrate/admission_review", {}),
}


@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(app, scene, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, role)
    for route, (method, path, data) in ROUTES.items():
        url = path.format(**scene)
        form = {k: v.format(**scene) for k, v in data.items()} if data else data
        response = getattr(client, method)(url, data=form) if method == "post" else client.get(url)
        assert response.status_code == expected(role, route), f"{role} {method.upper()} {url}: {response.status_code}"
        if role == "anonymous":
            assert "/login" in response.headers["Location"]


def test_pages_answer_with_security_headers_and_friendly_errors(app):
    client = app.test_client()
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    login(client, "edu_reviewer")
    missing = client.get("/tasks/no-such-task")
    assert missing.status_code == 404 and b"Traceback" not in missing.data
    assert "页面不存在".encode() in missing.data or b"does not exist" in missing.data


def test_an_error_page_is_titled_in_words_not_by_its_status_code(app):
    reviewer = login(app.test_client(), "edu_reviewer")
    page = reviewer.get("/tasks/no-such-task").data.decode()
    assert "<h1>未找到</h1>" in page and "<h1>404</h1>" not in page
    assert "错误代码：404" in page, "the code stays, small, for the help desk"


def test_error_pages_offer_the_way_back_that_fits_the_user(app):
    auditor = login(app.test_client(), "auditor")
    page = auditor.get("/tasks/no-such-task").data.decode()
    assert 'href="/audit" id="home"' in page and "返回审计日志" in page
    reviewer = login(app.test_client(), "edu_reviewer")
    came_from = "http://localhost/inbox?view=mine"
    page = reviewer.get("/tasks/no-such-task", headers={"Referer": came_from}).data.decode()
    assert "返回待办" in page and f'href="{came_from}"' in page.replace("&amp;", "&") and "返回上一页" in page
    page = reviewer.get("/tasks/no-such-task", headers={"Referer": "https://evil.example/x"}).data.decode()
    assert "evil.example" not in page and "返回上一页" not in page
    gone = app.test_client().get("/notices/ABCDEF0123/objection")
    text = gone.data.decode()
    assert gone.status_code == 405 and "无法以这种方式打开此页面" in text and 'href="/login"' in text


def test_an_administrator_adds_a_street_office_with_its_area(app, world):
    admin = login(app.test_client(), "admin")
    bad = admin.post("/admin/units", data={"code": "x", "name_zh": "", "parent": "STREET"}, follow_redirects=True)
    assert "下属单位未保存" in bad.data.decode() and "中文名称" in bad.data.decode()
    page = admin.post("/admin/units", data={"code": "street-wx", "name_zh": "文新街道", "parent": "STREET",
                                            "district": "西湖区", "covers": "文三路\n文一西路"}, follow_redirects=True)
    text = page.data.decode()
    assert "下属单位STREET-WX（文新街道）已保存" in text and "街道办下属单位，辖区：西湖区 文三路、文一西路" in text
