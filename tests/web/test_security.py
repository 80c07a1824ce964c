"""Login: hashed passwords, throttling, no open redirects; CSRF on every form; language choice."""
from conftest import PASSWORD, login

from web import create_app


def test_wrong_passwords_are_throttled(app):
    client = app.test_client()
    for _ in range(app.config["LOGIN_ATTEMPTS"]):
        assert client.post("/login", data={"username": "edu_reviewer", "password": "wrong"}).status_code == 401
    locked = client.post("/login", data={"username": "edu_reviewer", "password": PASSWORD})
    assert locked.status_code == 429
    assert "失败次数过多".encode() in locked.data or b"Too many" in locked.data
    other = app.test_client().post("/login", data={"username": "psb_reviewer", "password": PASSWORD})
    assert other.status_code == 302


def test_login_never_redirects_off_site(app):
    client = app.test_client()
    response = client.post("/login?next=//evil.example/x", data={"username": "edu_reviewer", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/inbox?view=department", data={"username": "edu_reviewer", "password": PASSWORD})
    assert response.headers["Location"] == "/inbox?view=department"


def test_forms_without_a_csrf_token_are_refused(world):
    app = create_app({"DATABASE_URL": world.rt.db.url, "SECRET_KEY": "csrf-test"})
    client = app.test_client()
    response = client.post("/login", data={"username": "edu_reviewer", "password": PASSWORD})
    assert response.status_code == 400 and b"Traceback" not in response.data
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    ok = client.post("/login", data={"username": "edu_reviewer", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302


def test_language_follows_the_browser_then_the_users_choice(app):
    client = app.test_client()
    assert "登录".encode() in client.get("/login").data
    assert b"Log in" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).data
    login(client, "edu_reviewer")
    client.post("/language", data={"language": "en"})
    assert b"My tasks" in client.get("/inbox").data
    fresh = login(app.test_client(), "edu_reviewer")  # another browser: the user's choice is remembered
    assert b"My tasks" in fresh.get("/inbox", headers={"Accept-Language": "zh-CN"}).data


def test_session_cookie_is_http_only(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "edu_reviewer", "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_ids_past_64_bits_name_nothing(app, world):
    """A number larger than any row id is a 404 (the databases cannot even compare it), never a server error."""
    huge = 99999999999999999999999
    designer = login(app.test_client(), "designer")
    for path in (f"/designer/versions/{huge}", f"/designer/versions/{huge}/diagram", f"/designer/compare?a={huge}&b=1",
                 f"/designer/compare?a=1&b={2**63}", "/designer/compare?a=x&b=1"):
        assert designer.get(path).status_code == 404, path
    checked = designer.post("/designer/modeler/check", json={"files": {"a.bpmn": "<x/>"}, "base": 2**63})
    assert checked.status_code == 404 and checked.is_json
    admin = login(app.test_client(), "admin")
    assert admin.get(f"/cases/ADM-2026-000001/attachments/{huge}").status_code == 404


def test_a_nul_in_an_address_is_a_request_not_understood(app, world):
    """%00 in a page's path or query reached PostgreSQL, which refuses NUL in text: a 500 error page on every page
    that looks something up by it (a case, a step, the dashboard's process, the public notices), where SQLite said
    404. No address holds one: 400, whatever the database (the API names the field itself: 422)."""
    admin = login(app.test_client(), "admin")
    for path in ("/cases/A%00B", "/tasks/a%00b", "/dashboard?process=a%00b", "/dashboard/assessment?process=a%00",
                 "/dashboard/bottlenecks.json?process=a%00b", "/dashboard/cases?figure=accepted&process=a%00",
                 "/search?q=%00", "/dashboard?a%00=1"):
        assert admin.get(path).status_code == 400, path
    for path in ("/tasks/a%00b/urge", "/cases/A%00B/withdraw-application", "/notices/AB%00CD/objection"):
        assert admin.post(path, data={"confirm": "1", "reason": "x"}).status_code == 400, path
    assert admin.get("/cases/A%00B", headers={"Accept": "text/html"}).data.decode().count("请求无法识别") >= 1
