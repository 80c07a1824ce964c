"""A department's head is called by the department's own title (its row in the department table, filled when the
standard departments are seeded): 联席办 and 卫健委 have a 主任, the bureaus a 局长; a street office's head is called as 街道办's."""
from __future__ import annotations

import re

from conftest import login
from sqlalchemy import update

from engine.models import Department
from web.i18n import role_name


def _tags(page: str) -> list[str]:
    return re.findall(r'<span class="tag">([^<]*)</span>', page.split('<span class="who">')[1].split("<a href")[0])


def test_each_head_is_called_as_the_department_calls_it(app, demo):
    assert _tags(login(app.test_client(), "joint_head").get("/team").data.decode()) == ["联席办 · 主任"]
    assert _tags(login(app.test_client(), "health_head").get("/team").data.decode()) == ["卫健委 · 主任"]
    edu = login(app.test_client(), "edu_head")
    page = edu.get("/team").data.decode()
    assert _tags(page) == ["教育局 · 局长"]
    assert re.search(r"<td>edu_head</td><td>教育局</td>\s*<td>局长</td>", page)
    joint = login(app.test_client(), "joint_head")
    members = joint.get("/team").data.decode().split('class="members"')[1].split("</table>")[0]
    assert re.search(r"<td>joint_head</td><td>联席办</td>\s*<td>主任</td>", members) and "局长" not in members
    joint.post("/language", data={"language": "en", "next": "/team"})
    assert _tags(joint.get("/team").data.decode()) == ["Joint Review Office · Director"]


def test_a_unit_takes_its_departments_title_and_no_title_the_roles_word(app, demo):
    with demo.rt.db.write() as session:
        session.execute(update(Department).where(Department.code == "HUD").values(head_title_zh=None, head_title_en=None))
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert role_name("head", "STREET-WX") == "主任"  # 文新街道, a unit of 街道办
        assert role_name("head", "HUD") == role_name("head") == "局长"  # the role's own word
        assert role_name("supervisor", "JOINT") == "科长"


def test_a_head_title_set_on_the_command_line_shows_in_the_running_app(app, demo, monkeypatch):
    """`jointreview head-title` changes what the pages call a head; a running app reads the departments again after
    web.i18n.DEPARTMENTS_FRESH seconds (made 0 here), in both languages."""
    from engine.cli import main
    import web.i18n
    health = login(app.test_client(), "health_head")
    assert _tags(health.get("/team").data.decode()) == ["卫健委 · 主任"]
    assert main(["--db", str(demo.rt.db.url), "head-title", "health", "--zh", "主任委员", "--en", "Chair"]) == 0
    monkeypatch.setattr(web.i18n, "DEPARTMENTS_FRESH", 0.0)
    assert _tags(health.get("/team").data.decode()) == ["卫健委 · 主任委员"]
    health.post("/language", data={"language": "en", "next": "/team"})
    assert _tags(health.get("/team").data.decode()) == ["Health Commission · Chair"]
    auditor = login(app.test_client(), "auditor")
    log = auditor.get("/audit?event=department_head_title_set").data.decode()
    assert "部门负责人称谓已设置" in log and "主任委员" in log
