"""A process version reads as a Chinese document writes it (第3版, never v3 or 版本 3) on every designer page, in the
migration messages and on the case page; English readers read v3."""
from __future__ import annotations

import re

from babel.messages.pofile import read_po
from sqlalchemy import select

from conftest import login
from engine.models import ProcessDefinition
from test_migration_pages import _two_cases
from test_designer import upload
from test_modeler_pages import INQUIRY
from test_rule_version_words import CATALOGUE, V_DIGIT

from language_support import EN, ZH


def _ids(world) -> tuple[int, int]:
    with world.rt.db.read() as session:
        return tuple(session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == "mig")
                                     .order_by(ProcessDefinition.version)).scalars())


def _pages(client, world, headers, auditor) -> dict[str, str]:
    """The designer's pages as the designer reads them, a case's page as the auditor does."""
    old, new = _ids(world)
    pages = {path: client.get(path, headers=headers).data.decode() for path in (
        "/designer", f"/designer/versions/{new}", f"/designer/compare?a={old}&b={new}", "/designer/modeler",
        "/designer/migrate/mig")}
    pages["/cases/MIG-A"] = auditor.get("/cases/MIG-A", headers=headers).data.decode()
    return pages


def test_chinese_pages_write_a_process_version_as_di_n_ban(app, world):
    _two_cases(world)
    designer, auditor = login(app.test_client(), "designer"), login(app.test_client(), "auditor")
    pages = _pages(designer, world, ZH, auditor)
    for path, page in pages.items():
        text = re.sub(r"<script.*?</script>|<[^>]+>", " ", page, flags=re.S)
        assert not V_DIGIT.search(text), (path, V_DIGIT.search(text))
        assert not re.search(r"版本 ?\d", text), path
    assert re.search(r"<td>第2版</td>", pages["/designer"]) and "mig 第1版" in pages["/designer"]
    assert re.search(r"<title>迁移测试第2版", pages[next(p for p in pages if p.startswith("/designer/versions/"))])
    assert "<th>第1版</th><th>第2版</th>" in pages[next(p for p in pages if p.startswith("/designer/compare"))]
    assert "mig 第2版：mig.bpmn" in pages["/designer/modeler"]
    migrate = pages["/designer/migrate/mig"]
    assert "迁移测试 → 第2版" in migrate and "<td>第1版</td>" in migrate
    assert "当前环节“复核”（b）在第2版中不存在；请将其对应到该版本的某个环节" in migrate
    assert re.search(r'<p class="crumbs">迁移测试 · 第1版</p>', pages["/cases/MIG-A"])


def test_english_pages_write_a_process_version_as_v_n(app, world):
    _two_cases(world)
    designer, auditor = login(app.test_client(), "designer"), login(app.test_client(), "auditor")
    for client in (designer, auditor):
        client.post("/language", data={"language": "en"})
    pages = _pages(designer, world, EN, auditor)
    assert re.search(r"<td>v2</td>", pages["/designer"])
    assert "<th>v1</th><th>v2</th>" in pages[next(p for p in pages if p.startswith("/designer/compare"))]
    assert "mig v2: mig.bpmn" in pages["/designer/modeler"]
    assert "→ v2" in pages["/designer/migrate/mig"] and "does not exist in version 2" in pages["/designer/migrate/mig"]
    assert re.search(r'<p class="crumbs">[^<]* · v1</p>', pages["/cases/MIG-A"])


def test_a_deploy_says_the_version_it_made_in_the_readers_words(app, world):
    designer = login(app.test_client(), "designer")
    changed = INQUIRY.replace("撰写函询", "撰写正式函询")
    done = designer.post("/designer/modeler/deploy", json={"files": {"formal_inquiry.bpmn": changed}, "note": "环节更名"},
                         headers=ZH).get_json()
    assert done["deployed"][0]["version"] == 2 and done["deployed"][0]["label"] == "部门函询第2版"
    page = upload(designer, "formal_inquiry.bpmn", INQUIRY.encode()).data.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    flashed = designer.post("/designer/deploy", data={"token": token, "note": "改回"}, headers=ZH,
                            follow_redirects=True).data.decode()
    assert "部门函询：已发布第3版。" in flashed
    designer.post("/language", data={"language": "en"})
    again = designer.post("/designer/modeler/deploy", json={"files": {"formal_inquiry.bpmn": changed}, "note": "again"},
                          headers=EN).get_json()
    label = again["deployed"][0]["label"]
    assert label.endswith(" v4") and not re.search(r"[\u4e00-\u9fff]", label)


def test_no_chinese_text_writes_a_process_version_as_banben_and_a_number():
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    said = [m.string for m in catalogue if m.id and isinstance(m.string, str)]
    assert not [s for s in said if re.search(r"版本 ?%\(\w+\)[sd]", s)]
