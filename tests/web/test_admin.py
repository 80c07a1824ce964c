"""Administration: users and department aliases managed in the browser's admin page, all audited."""
from sqlalchemy import select

from conftest import login
from engine.models import AuditEntry


def test_admin_creates_a_user_who_can_log_in_then_deactivates_them(app, world):
    admin = login(app.test_client(), "admin")
    weak = admin.post("/admin/users", data={"username": "zhao", "password": "123", "department": ["EDU"]}, follow_redirects=True)
    assert "password is too weak" in weak.data.decode()
    admin.post("/admin/users", data={"username": "zhao", "display_name": "赵敏", "password": "Zhao-Passw0rd",
                                     "department": ["EDU"], "role_EDU": "supervisor", "roles": ["auditor"]})
    zhao = app.test_client()
    assert zhao.post("/login", data={"username": "zhao", "password": "Zhao-Passw0rd"}).status_code == 302
    assert zhao.get("/team").status_code == 200 and zhao.get("/audit").status_code == 200
    admin.post("/admin/users/zhao", data={"action": "deactivate"})
    assert app.test_client().post("/login", data={"username": "zhao", "password": "Zhao-Passw0rd"}).status_code == 401
    admin.post("/admin/users/zhao", data={"action": "access", "department": ["PSB"], "role_PSB": "reviewer"})
    with world.rt.db.read() as session:
        events = list(session.execute(select(AuditEntry.event).where(AuditEntry.actor == "admin")).scalars())
    assert events == ["user_created", "user_deactivated", "access_changed"]


def test_department_aliases_route_new_lane_names(app, world):
    admin = login(app.test_client(), "admin")
    admin.post("/admin/departments/HUD/aliases", data={"alias": "房管局"})
    taken = admin.post("/admin/departments/EDU/aliases", data={"alias": "房管局"}, follow_redirects=True)
    assert "already names HUD" in taken.data.decode()
    with world.rt.db.read() as session:
        from engine.routing import Directory
        assert Directory.load(session).resolve("房管局") == "HUD"


def test_only_admins_administer(app, world):
    for user in ("edu_supervisor", "auditor", "designer"):
        assert login(app.test_client(), user).get("/admin").status_code == 403
    assert login(app.test_client(), "admin").get("/admin").status_code == 200



def test_admin_issues_and_revokes_api_tokens_in_the_browser_page(app, world):
    admin = login(app.test_client(), "admin")
    bad = admin.post("/admin/tokens", data={"name": "hud-system", "role": "reviewer"})
    assert bad.status_code == 422 and "a reviewer token needs a department" in bad.get_data(as_text=True)
    assert 'value="hud-system"' in bad.get_data(as_text=True)
    page = admin.post("/admin/tokens", data={"name": "hud-system", "role": "reviewer", "department": "HUD",
                                             "expires_days": "90"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert html.count('id="tokens"') == 1
    assert "<section" not in html.split("<title>")[1].split("</title>")[0]
    secret = html.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("jrt_")
    api = app.test_client()
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in admin.get("/admin").get_data(as_text=True)
    admin.post("/admin/tokens/hud-system/revoke")
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    with world.rt.db.read() as session:
        events = list(session.execute(select(AuditEntry.event).where(AuditEntry.actor == "admin")).scalars())
    assert events == ["token_issued", "token_revoked"]
