"""One visibility rule everywhere, reads of personal data and bulk exports recorded, exports masked for
administrators without the auditor role, and auditors only read."""
from __future__ import annotations

import json

from conftest import login
from sqlalchemy import select

from engine.models import AuditEntry
from world import opened


def events(world, event):
    with world.rt.db.read() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.event == event)).scalars())


def test_the_case_page_hides_other_departments_findings_like_the_task_page(app, world):
    person = world.person(hrss=None)  # no social-insurance record: HRSS reviews by hand
    out = world.start("admission_review", person.admission())
    out = world.complete("hrss_reviewer", out, "review_hrss", hrss_ok=True, insured_months=40, employed=True,
                         hrss_finding="人社内部核验意见：单位代缴")
    edu = login(app.test_client(), "edu_reviewer")
    page = edu.get(f"/cases/{out.business_key}").data.decode()
    assert "人社内部核验意见" not in page and "人社核验意见" not in page
    hrss = login(app.test_client(), "hrss_reviewer").get(f"/cases/{out.business_key}").data.decode()
    assert "人社内部核验意见" in hrss


def test_reading_personal_data_in_full_is_recorded(app, world):
    out = world.start("admission_review", world.person().admission())
    login(app.test_client(), "edu_supervisor").get(f"/tasks/{opened(out)['decide']}")
    read = events(world, "data_read")
    assert read and read[-1].actor == "edu_supervisor" and "applicant_id" in json.loads(read[-1].details)["fields"]
    before = len(read)
    login(app.test_client(), "edu_reviewer").get(f"/tasks/{opened(out)['decide']}")  # masked: nothing read in full
    assert len(events(world, "data_read")) == before


def test_bulk_exports_are_masked_for_administrators_and_recorded(app, world):
    person = world.person()
    world.start("admission_review", person.admission())
    admin = login(app.test_client(), "admin").get("/audit/export.csv").data.decode("utf-8-sig")
    auditor = login(app.test_client(), "auditor").get("/audit/export.csv").data.decode("utf-8-sig")
    assert person.id_number not in admin and f"{person.id_number[:6]}********" in admin
    assert person.id_number in auditor
    exported = events(world, "audit_exported")
    assert [e.actor for e in exported] == ["admin", "auditor"] and json.loads(exported[0].details)["masked"] is True


def test_auditors_only_read(app, world):
    out = world.start("admission_review", world.person().admission())
    response = login(app.test_client(), "auditor").post(f"/cases/{out.business_key}/comments", data={"text": "审计意见"})
    assert response.status_code == 403 and not events(world, "comment_added")
