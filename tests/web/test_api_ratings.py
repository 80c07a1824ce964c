"""POST /api/v1/applications/{key}/rating: the applicant rates a finished application once."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine import tokens
from engine.models import AuditEntry, Case, CaseRating
from engine.routing import Actor

from web import create_app


def test_the_applicant_rates_a_finished_application_once(demo):
    with demo.rt.db.write() as session:
        secret = tokens.issue(session, Actor.system("test"), "portal-ratings", "portal").secret
    with demo.rt.db.read() as session:
        case = session.execute(select(Case).where(Case.process_key == "subsidy_approval", Case.status == "completed")
                               .order_by(Case.id)).scalars().first()
        started = session.execute(select(AuditEntry.details).where(AuditEntry.case_id == case.id,
                                                                   AuditEntry.event == "case_started")).scalar_one()
        running = session.execute(select(Case).where(Case.process_key == "subsidy_approval", Case.status == "running")
                                  .order_by(Case.id)).scalars().first()
    applicant = json.loads(started)["data"]["applicant_id"]
    client = create_app({"DATABASE_URL": demo.rt.db.url, "SECRET_KEY": "t", "TESTING": True}).test_client()

    def post(key, body, who=applicant, idem="r-1"):
        return client.post(f"/api/v1/applications/{key}/rating", json=body,
                           headers={"Authorization": f"Bearer {secret}", "X-Applicant-Id": who, "Idempotency-Key": idem})
    assert post(case.business_key, {"score": 2, "comment": "补贴到账太慢"}, who="110105194912310025").status_code == 404
    assert post(case.business_key, {"score": 9}).status_code == 422
    first = post(case.business_key, {"score": 2, "comment": "补贴到账太慢"})
    assert first.status_code == 201 and first.get_json()["follow_up"] is True
    assert post(case.business_key, {"score": 2, "comment": "补贴到账太慢"}).headers.get("Idempotent-Replayed") == "true"
    again = post(case.business_key, {"score": 5}, idem="r-2")
    assert again.status_code == 409 and "already been rated" in again.get_json()["detail"]
    with demo.rt.db.read() as session:
        running_owner = json.loads(session.execute(select(AuditEntry.details).where(
            AuditEntry.case_id == running.id, AuditEntry.event == "case_started")).scalar_one())["data"]["applicant_id"]
        rating = session.get(CaseRating, case.id)
    assert rating.channel == "portal" and rating.follow_up.startswith("RAT-")
    assert post(running.business_key, {"score": 4}, who=running_owner, idem="r-3").status_code == 409


def test_a_lone_surrogate_in_a_body_is_a_field_error(demo):
    with demo.rt.db.write() as session:
        secret = tokens.issue(session, Actor.system("test"), "portal-surrogate", "portal").secret
    client = create_app({"DATABASE_URL": demo.rt.db.url, "SECRET_KEY": "t", "TESTING": True}).test_client()
    response = client.post("/api/v1/applications/SUB-2026-000001/rating", data=b'{"score": 5, "comment": "ok\\ud800"}',
                           headers={"Authorization": f"Bearer {secret}", "X-Applicant-Id": "11010519491231002X",
                                    "Idempotency-Key": "s-1", "Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0] == {"field": "comment", "message": "contains a broken character (a lone "
                                                "surrogate)", "code": "surrogate"}
