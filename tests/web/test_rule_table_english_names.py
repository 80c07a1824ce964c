"""A rule table (a DMN decision) has an English name in its DMN, as a BPMN element has (the property `name:en`);
English messages cite it by that name in quotes (“School admission points rules (shared rule)” v2), Chinese ones
as a document cites a rule (《积分入学积分规则（共享规则）》第2版): a refused second proposal, the notice and mail
of a refusal, the decision basis. A notice kept from before tables were named (only the table's id) names the
table by its current name in the reader's language. On SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from api_support import applicant, submit
from conftest import login
from engine import mail, repository
from engine.definitions import read_files
from engine.errors import Conflict
from engine.models import Case, Notification, Task
from engine.routing import load_actor
from web.i18n import error_text
from web.notifications import words
from workflows.walkthrough import BPMN

from language_support import EN, ZH

ZH_NAME, EN_NAME = "积分入学积分规则（共享规则）", "School admission points rules (shared rule)"


def _changed(new: str) -> dict[str, bytes]:
    files = read_files([BPMN])
    files["admission_points.dmn"] = files["admission_points.dmn"].replace("最高50分".encode(), new.encode())
    return files


def _deploy(world, files) -> None:
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, load_actor(session, "designer"), files)


def _refuse_the_proposal(world) -> None:
    with world.rt.db.read() as session:
        signing = session.execute(select(Task).join(Case, Case.id == Task.case_id).where(
            Case.process_key == "rule_confirmation", Task.state == "open")).scalars().all()
    for task in signing:
        refuse = task.department_code == "HRSS"
        world.complete(f"{task.department_code.lower()}_head", task.id, sign_decision="refuse" if refuse else "agree",
                       sign_reason="补缴月数应另行认定" if refuse else "")


def test_a_refused_second_proposal_and_the_refusals_notice_cite_the_table_in_the_readers_language(app, world):
    _deploy(world, _changed("最高50分（修订）"))
    with pytest.raises(Conflict) as pending:
        _deploy(world, _changed("最高50分（再修订）"))
    with app.test_request_context(headers=EN):
        said = error_text(pending.value)
        assert f"“{EN_NAME}” v2 is still awaiting co-sign" in said and ZH_NAME not in said, said
    with app.test_request_context(headers=ZH):
        assert f"《{ZH_NAME}》第2版尚在会签中" in error_text(pending.value)
    _refuse_the_proposal(world)
    en = login(app.test_client(), "designer")
    en.post("/language", data={"language": "en"})
    page = en.get("/notifications").data.decode()
    assert f"“{EN_NAME}” v2 was not co-signed" in page and ZH_NAME not in page, page
    zh = login(app.test_client(), "designer")
    zh.post("/language", data={"language": "zh_Hans_CN"})
    assert f"《{ZH_NAME}》第2版未获会签" in zh.get("/notifications").data.decode()
    with world.rt.db.read() as session:
        note = session.execute(select(Notification).where(Notification.username == "designer")).scalar_one()
    said, said_en = mail.text(note.kind, note.business_key, json.loads(note.details))
    assert said.startswith(f"《{ZH_NAME}》第2版未获会签") and said_en.startswith(f"the rule table “{EN_NAME}” v2 was")


def test_a_notice_kept_with_only_the_tables_id_names_it_by_its_current_name(app, world):
    old = {"decision": "admission_points", "version": 2, "reason": "HRSS：补缴月数应另行认定"}
    named = {**old, "table": ZH_NAME}  # named, but before tables had English names
    with app.test_request_context(headers=ZH):
        assert words("rule_refused", "RULE-2026-000001", old).startswith(f"《{ZH_NAME}》第2版未获会签")
        assert words("rule_refused", "RULE-2026-000001", {**old, "decision": "gone"}).startswith("《gone》第2版")
    with app.test_request_context(headers=EN):
        assert words("rule_refused", "RULE-2026-000001", old).startswith(f"“{EN_NAME}” v2 was not co-signed")
        assert words("rule_refused", "RULE-2026-000001", named).startswith(f"“{EN_NAME}” v2 was not co-signed")


def test_the_decision_basis_cites_the_table_by_its_english_name(app, world, client, issue):
    key = submit(client, issue("portal", "portal"), applicant(world)[1]).get_json()["business_key"]
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post("/language", data={"language": "en"})
    basis = reviewer.get(f"/cases/{key}").data.decode().split('id="decisions"', 1)[1]
    assert f"By “{EN_NAME}” v1" in basis and "By “School admission eligibility by points” v1" in basis, basis
    assert ZH_NAME not in basis


def test_the_decision_basis_names_its_step_in_the_readers_language(app, world, client, issue):
    key = submit(client, issue("portal", "portal"), applicant(world)[1]).get_json()["business_key"]
    reviewer = login(app.test_client(), "edu_reviewer")
    reviewer.post("/language", data={"language": "en"})
    basis = reviewer.get(f"/cases/{key}").data.decode().split('id="decisions"', 1)[1].split("</section>")[0]
    assert "Compute points (shared points rules) ·" in basis and "Eligibility decision ·" in basis, basis
    assert "计算积分" not in basis and "资格判定" not in basis
    reviewer.post("/language", data={"language": "zh_Hans_CN"})
    basis = reviewer.get(f"/cases/{key}").data.decode().split('id="decisions"', 1)[1].split("</section>")[0]
    assert "计算积分（共享积分规则） ·" in basis and "Eligibility decision" not in basis


def test_the_audit_log_names_a_decisions_table_once_in_the_readers_language(app, world, client, issue):
    key = submit(client, issue("portal", "portal"), applicant(world)[1]).get_json()["business_key"]
    auditor = login(app.test_client(), "auditor")
    auditor.post("/language", data={"language": "en"})
    page = auditor.get(f"/audit?key={key}&event=decision_made").data.decode()
    assert EN_NAME in page and "name_en" not in page, page
    auditor.post("/language", data={"language": "zh_Hans_CN"})
    page = auditor.get(f"/audit?key={key}&event=decision_made").data.decode()
    assert ZH_NAME in page and EN_NAME not in page and "name_en" not in page
