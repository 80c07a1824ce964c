"""A user changes their own password: the current one is checked (and counted by the login throttle), the
new one must be strong, different and typed twice; the session they are in goes on, their others end."""
from __future__ import annotations

from sqlalchemy import select

from conftest import PASSWORD, login
from engine.models import AuditEntry

NEW = "Wenyuan-Lu-2027"


def change(client, current, new, again=None):
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                  "new_password_again": new if again is None else again})


def test_a_user_changes_their_own_password_and_only_their_other_sessions_end(app, world):
    here, elsewhere = login(app.test_client(), "edu_reviewer"), login(app.test_client(), "edu_reviewer")
    page = here.get("/account/password").data.decode()
    assert "修改密码" in page and "当前密码" in page and "再次输入新密码" in page
    assert 'href="/account/password"' in here.get("/inbox").data.decode()
    response = change(here, PASSWORD, NEW)
    assert response.status_code == 302
    assert "密码已修改" in here.get(response.headers["Location"], follow_redirects=True).data.decode()
    assert here.get("/inbox").status_code == 200  # still logged in here
    assert elsewhere.get("/inbox").status_code == 302  # the other session has ended
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "edu_reviewer", "password": PASSWORD}).status_code == 401
    assert fresh.post("/login", data={"username": "edu_reviewer", "password": NEW}).status_code == 302
    with world.rt.db.read() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.event == "password_set")).scalar_one()
    assert entry.actor == "edu_reviewer" and NEW not in entry.details


def test_wrong_weak_repeated_or_mistyped_passwords_change_nothing(app, world):
    client = login(app.test_client(), "edu_reviewer")
    for current, new, again, message in ((f"{PASSWORD}x", NEW, None, "当前密码不正确"),
                                         (PASSWORD, NEW, NEW + "!", "两次输入的新密码不一致"),
                                         (PASSWORD, "12345678", None, "至少使用8个字符"),
                                         (PASSWORD, "password", None, "最常见的密码"),
                                         (PASSWORD, "edu_reviewer", None, "不能与用户名相同"),
                                         (PASSWORD, PASSWORD, None, "新密码不能与当前密码相同")):
        response = change(client, current, new, again)
        assert response.status_code == 400 and message in response.data.decode(), message
    assert app.test_client().post("/login", data={"username": "edu_reviewer", "password": PASSWORD}).status_code == 302
    with world.rt.db.read() as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.event == "password_set")).first() is None


def test_guessing_the_current_password_is_throttled_like_a_login(app, world):
    client = login(app.test_client(), "edu_reviewer")
    codes = [change(client, f"guess-{i}", NEW).status_code for i in range(12)]
    assert codes[0] == 400 and codes[-1] == 429
    assert app.test_client().post("/login", data={"username": "edu_reviewer", "password": PASSWORD}).status_code == 429
