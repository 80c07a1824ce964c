"""The decision basis of an admission case: on the case page (table, version, matched rows, inputs, and whether
the table changed since), and in the applicant's status once the result is published (points only, never the
recommendation to the decider)."""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from api_support import applicant, submit
from conftest import login
from engine import repository
from engine.definitions import read_files
from engine.models import Case, Task
from engine.routing import Actor
from workflows.walkthrough import BPMN


def _open_task(world, key):
    with world.rt.db.read() as session:
        return session.execute(select(Task.id).join(Case, Case.id == Task.case_id)
                               .where(Case.business_key == key, Task.state == "open")).scalar_one()


def test_the_case_page_and_the_applicants_status_show_the_decision_basis(app, world, client, issue):
    portal, edu = issue("portal", "portal"), issue("edu-sys", "reviewer", "EDU")
    person, body = applicant(world)
    key = submit(client, portal, body).get_json()["business_key"]
    page = login(app.test_client(), "edu_reviewer").get(f"/cases/{key}").data.decode()
    assert 'id="decisions"' in page and "判定依据" in page
    assert "依据《积分入学积分规则（共享规则）》第1版" in page and "命中规则第1、2、3" in page
    assert "居住证持有年限（年）：8" in page and "社保实际缴费月数（不含补缴）：48" in page
    assert "与现行规则版本一致" in page and "data-decision=\"admission_decision\"" in page
    who = {**portal, "X-Applicant-Id": person.id_number}
    assert client.get(f"/api/v1/applications/{key}", headers=who).get_json()["decision_basis"] == []  # not yet published
    client.post(f"/api/v1/tasks/{_open_task(world, key)}/complete", headers=edu, json={"values": {
        "decision": "admit", "decision_reasons": "积分达到录取线", "school_assigned": "文三街小学"}})
    status = client.get(f"/api/v1/applications/{key}", headers=who).get_json()
    (basis,) = status["decision_basis"]
    assert basis["table"] == "积分入学积分规则（共享规则）" and basis["version"] == 1 and len(basis["content_hash"]) == 64
    assert basis["rules"][:3] == [1, 2, 3] and basis["inputs"]["居住证持有年限（年）"] == "8"
    assert basis["outputs"]["积分项目"].startswith("基础分、居住证年限")
    # the shared table changes: the case keeps its version, and whoever reviews an appeal sees the change
    files = read_files([BPMN])
    files["admission_points.dmn"] = files["admission_points.dmn"].replace("最高50分".encode(), "最高50分（修订）".encode())
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, Actor.system("test"), files)
    with world.rt.db.read() as session:
        signing = session.execute(select(Task).join(Case, Case.id == Task.case_id).where(
            Case.process_key == "rule_confirmation", Task.state == "open")).scalars().all()
    head = login(app.test_client(), "hrss_head")
    (hrss,) = [t for t in signing if t.department_code == "HRSS"]
    page = head.get(f"/tasks/{hrss.id}").data.decode()  # the change, row by row, as a table
    assert 'data-field="rule_change"' in page and "逐行变更" in page and "<th>居住证持有年限（年）</th>" in page
    assert "<td>修改</td>" in page and "每满一年10分，最高50分 → 每满一年10分，最高50分（修订）" in page
    page = login(app.test_client(), "edu_supervisor").get(f"/cases/{key}").data.decode()
    assert "与现行规则版本一致" in page  # proposed only: v1 is still in force
    for task in signing:
        world.complete(f"{task.department_code.lower()}_head", task.id, sign_decision="agree")
    page = login(app.test_client(), "edu_supervisor").get(f"/cases/{key}").data.decode()
    assert "第1版" in page and "规则已修订：现行为第2版" in page and not re.search(r"\bv\d", page.split('id="decisions"', 1)[1])
    assert "此后规则的逐行变更" in page and "每满一年10分，最高50分 → 每满一年10分，最高50分（修订）" in page
    assert client.get(f"/api/v1/applications/{key}", headers=who).get_json()["decision_basis"][0]["version"] == 1


def test_the_decision_basis_reads_in_english(app, world, client, issue):
    portal = issue("portal", "portal")
    _, body = applicant(world)
    key = submit(client, portal, body).get_json()["business_key"]
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post("/language", data={"language": "en"})
    page = reviewer.get(f"/cases/{key}").data.decode()
    assert "Decision basis" in page and "rules 1, 2, 3" in page and "the same version is in force now" in page


def test_the_case_page_names_the_rule_tables_it_uses_by_their_decisions_not_their_files(app, world, client, issue):
    portal = issue("portal", "portal")
    key = submit(client, portal, applicant(world)[1]).get_json()["business_key"]
    page = login(app.test_client(), "edu_reviewer").get(f"/cases/{key}").data.decode()
    used = page.split('id="rules-used">', 1)[1].split("</span></span>", 1)[0]
    assert "适用规则：" in page and "积分入学资格判定" in used and "积分入学积分规则（共享规则）" in used
    assert ">admission_points.dmn<" not in used and 'title="admission_points.dmn"' in used  # the file: a tooltip


def test_a_rule_file_whose_decisions_cannot_be_read_stands_under_its_own_name(world):
    from engine import rules
    from engine.models import DeploymentFile

    with world.rt.db.write() as session:
        definition = repository.latest(session, "admission_review")
        file = session.execute(select(DeploymentFile).where(DeploymentFile.deployment_id == definition.deployment_id,
                                                            DeploymentFile.filename == "admission_points.dmn")).scalar_one()
        file.content, file.sha256 = "<not xml", hashlib.sha256(b"<not xml").hexdigest()
        session.flush()
        tables = rules.tables_of(session, definition)
        assert tables[0] == ("积分入学资格判定", "admission_decision.dmn")
        assert ("admission_points.dmn", "admission_points.dmn") in tables
        assert rules.tables_of(session, definition) == tables  # read once: a deployment never changes
        assert rules.tables_of(session, repository.latest(session, "formal_inquiry")) == []  # a process without rules
