"""Migrating running cases from the designer page and the API: the dry run per case in Chinese, a mapping of a
renamed step, the confirmed bulk move."""
from __future__ import annotations

from sqlalchemy import select

from conftest import login
from engine import cases, repository
from engine.models import Case, Task
from engine.routing import Actor
from tests.engine.test_migration import LANES_V1, LANES_V2, V1, V2
from tests.factories import bpmn

SYSTEM = Actor.system("test")


def _deploy(world, body, lanes):
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, SYSTEM, {"mig.bpmn": bpmn("mig", body, lanes, "迁移测试")})


def _two_cases(world):
    """MIG-A waits at a, MIG-B at b (renamed b2 in v2)."""
    _deploy(world, V1, LANES_V1)
    for key, steps in (("MIG-A", 0), ("MIG-B", 1)):
        with world.rt.db.write() as session:
            cases.start(session, world.rt, SYSTEM, "mig", {}, business_key=key)
        for _ in range(steps):
            with world.rt.db.read() as session:
                task = session.execute(select(Task.id).join(Case, Case.id == Task.case_id).where(
                    Case.business_key == key, Task.state == "open")).scalar_one()
            world.complete("edu_reviewer", task)
    _deploy(world, V2, LANES_V2)


def test_the_designer_page_plans_and_moves_running_cases(app, world):
    _two_cases(world)
    designer = login(app.test_client(), "designer")
    assert "迁移在办案件" in designer.get("/designer").data.decode()
    page = designer.get("/designer/migrate/mig").data.decode()
    assert "2件在办案件中1件可迁移" in page
    assert "当前环节“复核”（b）在第2版中不存在；请将其对应到该版本的某个环节" in page
    refused = designer.post("/designer/migrate/mig", data={"map": ""}, follow_redirects=True).data.decode()
    assert "请勾选确认后再迁移案件" in refused
    bad = designer.get("/designer/migrate/mig?map=b%3Dnope", follow_redirects=True).data.decode()
    assert "无法生成迁移方案" in bad and "nope" in bad
    page = designer.get("/designer/migrate/mig?map=b%3Db2").data.decode()
    assert "2件在办案件中2件可迁移" in page
    done = designer.post("/designer/migrate/mig", data={"map": "b=b2", "confirm": "1"}, follow_redirects=True).data.decode()
    assert "已将2件中的2件迁移到最新版本" in done and "没有处于其他版本的在办案件" in done
    assert login(app.test_client(), "edu_reviewer").get("/designer/migrate/mig").status_code == 403


def test_the_api_dry_run_then_moves(app, world, client, issue):
    _two_cases(world)
    designer = issue("designer-sys", "designer")
    dry = client.post("/api/v1/processes/mig/migrations", headers=designer, json={"dry_run": True}).get_json()
    assert dry["to_version"] == 2 and {c["business_key"]: c["movable"] for c in dry["cases"]} == {"MIG-A": True, "MIG-B": False}
    (b,) = [c for c in dry["cases"] if c["business_key"] == "MIG-B"]
    assert "does not exist in version 2" in b["reasons"][0] and b["steps"] == ["复核"]
    moved = client.post("/api/v1/processes/mig/migrations", headers=designer,
                        json={"dry_run": False, "mapping": {"b": "b2"}}).get_json()
    assert all(c["moved"] for c in moved["cases"]) and len(moved["cases"]) == 2
    missing = client.post("/api/v1/processes/nope/migrations", headers=designer, json={})
    assert missing.status_code == 404 and "nope" in missing.get_json()["detail"]
    reviewer = issue("edu-sys", "reviewer", "EDU")
    assert client.post("/api/v1/processes/mig/migrations", headers=reviewer, json={}).status_code == 403
