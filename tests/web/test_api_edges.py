"""The REST API's edges: published examples, the contract, hostile cursors and bodies, concurrent retries,
public stages of a subsidy, minors, lost answers, self-revocation and the role × operation matrix."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from api_support import applicant, edu_task, open_task, submit
from engine.models import Case


def test_the_published_examples_work(world, client, issue):
    portal = issue("portal", "portal")
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    examples = spec["paths"]["/applications"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for example in examples.values():
        r = submit(client, portal, example["value"])
        assert r.status_code == 201, r.data
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            assert op["summary"] and op["responses"], (method, path)
            assert "security" in op and op["x-token-roles"], (method, path)
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in response["content"], (method, path, status)


def test_control_characters_are_refused_with_the_field_named(world, client, issue):
    portal, auditor = issue("portal", "portal"), issue("audit-sys", "auditor")
    r = client.get("/api/v1/audit/entries?actor=a%00b", headers=auditor)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "actor"
    _, body = applicant(world)
    r = submit(client, portal, {**body, "address": "文三路\x00100 号"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "address"
    assert submit(client, portal, {**body, "address": "文三路\t100 号"}).status_code == 201


def test_invisible_characters_and_direction_marks_are_refused_with_the_field_named(world, client, issue):
    """The window's forms refuse them; the portal's resubmission note, address and appeal reason took them into the
    case (a right-to-left override in what the office reads; found by a hostile-input review)."""
    portal = issue("portal", "portal")
    person = world.person()
    receipt = submit(client, portal, {"process": "admission_review", **person.admission(materials=["residence_permit"])})
    key, who = receipt.get_json()["business_key"], {**portal, "X-Applicant-Id": person.id_number}
    for extra in ({"note": "已补交\u202e件原"}, {"address": "文三路\u200b100 号"}):
        r = client.post(f"/api/v1/applications/{key}/materials", headers=who,
                        json={"materials": ["social_insurance"], **extra})
        [error] = r.get_json()["errors"]
        assert r.status_code == 422 and (error["field"], error["code"]) == (next(iter(extra)), "hidden"), r.data
    r = client.post(f"/api/v1/applications/{key}/materials", headers=who, json={
        "materials": ["social_insurance", "housing", "vaccination", "household_register"], "note": "👨\u200d👩\u200d👧 已补交"})
    assert r.status_code == 202, r.data  # a zero-width joiner (emoji) stays


def test_every_example_in_the_contract_matches_its_schema(client):
    import jsonschema_rs

    spec = client.get("/api/v1/openapi.json").get_json()
    defs = json.loads(json.dumps(spec["components"]["schemas"]).replace("#/components/schemas/", "#/$defs/"))
    checked = 0
    for name, schema in defs.items():
        validator = jsonschema_rs.Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{name}"})
        for example in schema.get("examples", []):
            errors = [str(e).splitlines()[0] for e in validator.iter_errors(example)]
            assert not errors, (name, errors)
            checked += 1
    assert checked >= 10


def test_the_contract_is_also_a_readable_page(client):
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "POST</span> <code>/applications</code>" in html
    assert "西湖区" in html and "Idempotency-Key" in html and 'id="schema-Problem"' in html


@pytest.mark.parametrize("values", [[None], ["x"], [1e400], [True], [-1], [[]], [2**70]])
def test_tampered_cursors_are_refused_not_crashed_on(world, client, issue, values):
    import base64
    auditor = issue("audit-sys", "auditor")
    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    for path in ("/api/v1/cases", "/api/v1/audit/entries", "/api/v1/tokens", "/api/v1/processes"):
        r = client.get(path, headers=issue(f"a{abs(hash(path)) % 10**6}", "admin") if path == "/api/v1/tokens"
                       else issue(f"d{abs(hash(path)) % 10**6}", "designer") if path == "/api/v1/processes" else auditor,
                       query_string={"cursor": cursor})
        assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "cursor", (path, r.data)
    edu = issue("edu-sys", "reviewer", "EDU")
    r = client.get("/api/v1/tasks", headers=edu, query_string={
        "cursor": base64.urlsafe_b64encode(json.dumps([True, "not a date", "x"]).encode()).decode()})
    assert r.status_code == 422


def test_deeply_nested_bodies_are_refused(world, client, issue):
    portal = issue("portal", "portal")
    deep = "[" * 5000 + "]" * 5000
    r = client.post("/api/v1/applications", data=deep, headers={**portal, "Content-Type": "application/json",
                                                                "Idempotency-Key": "deep"})
    assert r.status_code == 400 and "nests deeper" in r.get_json()["detail"]


def test_concurrent_retries_with_one_key_all_get_the_one_case(world, server, issue):
    import concurrent.futures

    import requests

    portal = issue("portal", "portal")
    _, body = applicant(world)
    headers = {**portal, "Idempotency-Key": "burst-1"}

    def post(_):
        r = requests.post(f"{server}/api/v1/applications", json=body, headers=headers, timeout=30)
        return r.status_code, r.json().get("business_key")

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, range(6)))
    assert {status for status, _ in answers} == {201}, answers
    assert len({key for _, key in answers}) == 1
    with world.rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar() == 1


def test_a_subsidy_application_shows_public_stages_and_no_amount_before_the_notice(world, client, issue):
    portal, street = issue("portal", "portal"), issue("street-sys", "reviewer", "STREET")
    person = world.person()
    receipt = submit(client, portal, {"process": "subsidy_approval", **person.subsidy()}).get_json()
    assert [(s["step"], s["department"]) for s in receipt["next_steps"]] == [("窗口初审", "STREET")]
    task = client.get("/api/v1/tasks", headers=street).get_json()["items"][0]
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=street).get_json()
    values = {f["id"]: f["default"] for f in detail["form"] if f["default"] is not None}
    values.update(subsidy_type="employment", household_type="low_income", income_per_capita=1200, unemployed_months=8,
                  first_check_ok=True, street_note="材料齐全")
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=street, json={"values": values})
    assert done.status_code == 200, done.data
    status = client.get(f"/api/v1/applications/{receipt['business_key']}",
                        headers={**portal, "X-Applicant-Id": person.id_number}).get_json()
    assert status["results"] == {} or "核定金额（元）" in status["results"]
    assert all(s["step"] in ("资格核验", "审批", "部门核查") for s in status["next_steps"]), status["next_steps"]
    assert "amount" not in json.dumps(status) and "eligib" not in json.dumps(status)


def test_a_child_must_be_a_minor_other_than_the_applicant(world, client, issue):
    portal = issue("portal", "portal")
    person, body = applicant(world)
    r = submit(client, portal, {**body, "child_id": person.id_number})
    assert r.status_code == 422 and r.get_json()["errors"] == [
        {"field": "child_id", "message": "is the applicant's own ID number", "code": "own_id"}]
    adult = world.person(name="成年人").id_number
    r = submit(client, portal, {**body, "child_id": adult})
    assert r.status_code == 422 and "not a minor" in r.get_json()["errors"][0]["message"]


def test_completing_with_an_idempotency_key_survives_a_lost_answer(world, client, issue):
    portal, edu = issue("portal", "portal"), issue("edu-sys", "reviewer", "EDU")
    _, task_id = edu_task(world, client, portal)
    values = {"values": {"decision": "admit", "decision_reasons": "积分达标", "school_assigned": "文三街小学"}}
    first = client.post(f"/api/v1/tasks/{task_id}/complete", headers={**edu, "Idempotency-Key": "done-1"}, json=values)
    again = client.post(f"/api/v1/tasks/{task_id}/complete", headers={**edu, "Idempotency-Key": "done-1"}, json=values)
    assert first.status_code == again.status_code == 200 and again.get_json() == first.get_json()
    plain = client.post(f"/api/v1/tasks/{task_id}/complete", headers=edu, json=values)
    assert plain.status_code == 409 and "ADM-" in plain.get_json()["detail"] and "already completed" in plain.get_json()["detail"]
    assert plain.get_json()["code"] == "task_closed_completed"  # a stable code for department systems


def test_an_admin_token_cannot_revoke_itself_and_inquiries_name_real_cases(world, client, issue):
    admin, psb = issue("admin-sys", "admin"), issue("psb-sys", "reviewer", "PSB")
    r = client.delete("/api/v1/tokens/admin-sys", headers=admin)
    assert r.status_code == 409 and client.get("/api/v1/tokens", headers=admin).status_code == 200
    body = {"target_department": "HUD", "inquiry_subject": "核实", "questions": "请核实。", "case_ref": "ADM-2026-999999"}
    r = client.post("/api/v1/inquiries", headers={**psb, "Idempotency-Key": "i-1"}, json=body)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "case_ref"
    assert r.get_json()["detail"] == "the inquiry has errors; nothing was sent"


def test_every_operation_refuses_every_role_it_does_not_list(world, client, issue):
    """The role × operation matrix of the REST API, read from the contract: each operation answers 403 to a
    token of each role it does not accept (before looking at the path or the body)."""
    from engine.tokens import ROLES
    headers = {role: issue(f"matrix-{role}", role, None if role in ("portal", "auditor", "admin", "designer") else "EDU")
               for role in ROLES}
    spec = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, methods in spec["paths"].items():
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        for method, op in methods.items():
            for role in sorted(set(ROLES) - set(op["x-token-roles"])):
                r = client.open(f"/api/v1{url}", method=method.upper(), headers=headers[role], json={})
                assert r.status_code == 403, (role, method, path, r.status_code)
                checked += 1
    assert checked > 100


def test_a_refused_application_shows_its_reasons_and_the_notice_of_rights(world, client, issue):
    portal, edu = issue("portal", "portal"), issue("edu-sys", "reviewer", "EDU")
    person, body = applicant(world)
    key = submit(client, portal, body).get_json()["business_key"]
    _, task_id = open_task(world, key)
    who = {**portal, "X-Applicant-Id": person.id_number}
    assert "救济途径" not in client.get(f"/api/v1/applications/{key}", headers=who).get_json()["results"]
    r = client.post(f"/api/v1/tasks/{task_id}/complete", headers=edu, json={"values": {
        "decision": "reject", "decision_reasons": "居住证有效期不足一年，不符合积分入学申请条件"}})
    assert r.status_code == 200, r.data
    if [t["step"] for t in r.get_json()["opened"]] == ["科长签批（临界分或改判）"]:  # a decision against the table's
        chief = issue("edu-chief", "supervisor", "EDU")
        r = client.post(f"/api/v1/tasks/{r.get_json()['opened'][0]['task_id']}/complete", headers=chief, json={
            "values": {"sign_off_decision": "confirm", "sign_off_note": "同意"}})
        assert r.status_code == 200, r.data
    results = client.get(f"/api/v1/applications/{key}", headers=who).get_json()["results"]
    assert results["审定结果"] == "不予录取" and results["审定理由"].startswith("居住证有效期不足一年")
    assert "六十日内" in results["救济途径"] and "行政复议" in results["救济途径"] and "六个月内" in results["救济途径"] \
        and "行政诉讼" in results["救济途径"]


def test_an_admitted_application_carries_no_notice_of_rights(world, client, issue):
    portal, edu = issue("portal", "portal"), issue("edu-sys", "reviewer", "EDU")
    person, body = applicant(world)
    key = submit(client, portal, body).get_json()["business_key"]
    client.post(f"/api/v1/tasks/{open_task(world, key)[1]}/complete", headers=edu, json={"values": {
        "decision": "admit", "decision_reasons": "积分达到录取线", "school_assigned": "文三街小学"}})
    results = client.get(f"/api/v1/applications/{key}", headers={**portal, "X-Applicant-Id": person.id_number}).get_json()
    assert results["results"]["审定结果"] == "录取" and "救济途径" not in results["results"]


def test_a_subsidy_applicant_corrects_what_the_window_listed_through_the_portal(world, client, issue):
    """After a failed first check the status lists every item to correct (一次性告知) and takes the correction
    (a note, a new bank account …; an empty one is refused by name); the window then checks again."""
    portal = issue("portal", "portal")
    person = world.person(employed=False)
    receipt = submit(client, portal, {"process": "subsidy_approval", **person.subsidy()}).get_json()
    key = receipt["business_key"]
    world.complete("street_reviewer", open_task(world, key)[1], subsidy_type="employment",
                   household_type="normal", income_per_capita=2000, unemployed_months=6, first_check_ok=False,
                   street_note="材料不全", correction_items="失业登记证明原件\n收款银行卡复印件")
    who = {**portal, "X-Applicant-Id": person.id_number}
    status = client.get(f"/api/v1/applications/{key}", headers=who).get_json()
    assert status["waiting_for"] == ["materials"] and status["missing_items"] == ["失业登记证明原件", "收款银行卡复印件"]
    assert status["missing_materials"] == [] and status["respond_by"] is not None
    empty = client.post(f"/api/v1/applications/{key}/materials", headers={**who, "Idempotency-Key": "c-0"},
                        json={"materials": []})
    assert empty.status_code == 422 and "materials or corrections" in json.dumps(empty.get_json(), ensure_ascii=False)
    r = client.post(f"/api/v1/applications/{key}/materials", headers={**who, "Idempotency-Key": "c-1"},
                    json={"note": "已补交失业登记证明原件", "bank_account": "6222021202009876543"})
    assert r.status_code == 202, r.data
    status = client.get(f"/api/v1/applications/{key}", headers=who).get_json()
    assert status["waiting_for"] == [] and [s["step"] for s in status["next_steps"]] == ["窗口初审"]
