"""A role has one name wherever it stands on its own (a tag, a column, a choice, an audit entry's detail): in English
in sentence case (Reviewer, Section chief, Director-General), in Chinese as the office calls it (审核员, 科长, 局长).
A role inside a sentence (“This task needs a section chief of …”) is not collected here."""
import re

import pytest
from lxml import html as lxml_html
from sqlalchemy import update

from conftest import login
from engine.models import Task
from language_support import EN, ZH
from world import opened

# the departments' heads by their own titles (局长 of a bureau, 主任 of an office: workflows/departments.py)
CANONICAL = {
    "en": {"Reviewer", "Section chief", "Head", "Director-General", "Director", "Designer", "Auditor", "Admin", "Portal"},
    "zh": {"审核员", "科长", "局长", "主任", "流程设计员", "审计员", "管理员", "一网通办门户"},
}
ROLE_LABELS = {"en": ("Departments and roles", "Roles", "Role"), "zh": ("所属部门和角色", "全局角色", "角色")}
_AFTER_DEPARTMENT = re.compile(r"·\s*([^·,、;；()（）]+)")  # 教育局 · 科长, Education Bureau · Section chief


def _text(node) -> str:
    return " ".join(node.text_content().split())


def role_names(page: str, language: str) -> list[str]:
    """The role names a page shows: after a department's name (header and task tags, the members offered for a
    reassignment, a user's memberships, a token's role), in the team's Role column, the admin's tags, role choices
    and check boxes, and the audit log's details of roles."""
    root = lxml_html.document_fromstring(page)
    names = []
    for node in root.xpath("//span[contains(@class,'tag')] | //select[@id='to_user']/option"):
        names += [m.strip() for m in _AFTER_DEPARTMENT.findall(_text(node))]
    names = [n for n in names if not n.startswith(("acting for", "代理"))]
    names += [_text(td) for td in root.xpath("//table[contains(@class,'members')]/tbody/tr/td[3]")]
    names += [_text(td).split(" · ")[0] for td in root.xpath("//tr[@data-token]/td[3]")]
    names += [_text(span) for span in root.xpath("//tr[@data-user]/td[3]/span[contains(@class,'tag')]")]  # global roles
    names += [_text(o) for o in root.xpath("//select[starts-with(@name,'role_') or @id='token_role']/option")]
    names += [_text(label) for label in root.xpath("//input[@name='roles']/parent::label")]
    for detail in root.xpath("//span[contains(@class,'detail')]"):
        label, _, value = _text(detail).partition(":" if language == "en" else "：")
        if label.strip() in ROLE_LABELS[language][1:]:
            names += [v.strip() for v in re.split(r"[,、]", value)]
        elif label.strip() == ROLE_LABELS[language][0]:
            names += [m.strip() for m in _AFTER_DEPARTMENT.findall(value)]
    return [n for n in names if n]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_roles_have_one_name_on_every_page(app, world, language):
    headers = EN if language == "en" else ZH
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    with world.rt.db.write() as session:  # a section chief's step: its tag in the inbox and on the team page names the role
        session.execute(update(Task).where(Task.id == opened(out)["draft_inquiry"]).values(role="supervisor"))
    admin = login(app.test_client(), "admin")
    admin.post("/admin/users", data={"username": "zhao", "display_name": "赵敏", "password": "Zhao-Passw0rd",
                                     "department": ["EDU", "PSB"], "role_EDU": "supervisor", "role_PSB": "head",
                                     "roles": ["auditor", "designer"]})
    admin.post("/admin/tokens", data={"name": "psb-system", "role": "supervisor", "department": "PSB"})
    admin.post("/admin/tokens", data={"name": "portal", "role": "portal"})
    chief = login(app.test_client(), "edu_supervisor")
    pages = {(chief, "/inbox?view=department"), (chief, "/team"), (chief, "/account/password"), (chief, "/deputies"),
             (admin, "/admin"), (admin, "/admin/users/zhao"), (admin, "/audit?event=user_created")}
    found = {}
    for client, path in sorted(pages, key=lambda p: p[1]):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        found[path] = role_names(response.get_data(as_text=True), language)
        assert found[path], f"{path} shows no role names (the test no longer finds them)"
    odd = {path: sorted(set(names) - CANONICAL[language]) for path, names in found.items()
           if set(names) - CANONICAL[language]}
    assert not odd, f"role names other than {sorted(CANONICAL[language])}: {odd}"
    everywhere = set().union(*found.values())
    assert {"Section chief", "Reviewer", "Director-General", "Auditor", "Designer", "Portal"} <= everywhere \
        if language == "en" else {"科长", "审核员", "局长", "审计员", "流程设计员", "一网通办门户"} <= everywhere
