"""Who may show a masked personal field in full (查看完整信息, recorded): those who handle or supervise the case and
auditors; one who only reads a copy of it (抄送/知会) reads it masked and may not reveal it."""
from __future__ import annotations

from sqlalchemy import select

from conftest import login
from engine import copies
from engine.models import AuditEntry, Case
from world import opened


def _revealed_by(world) -> list[str]:
    with world.rt.db.read() as session:
        return list(session.execute(select(AuditEntry.actor).where(AuditEntry.event == "data_revealed")).scalars())


def test_a_copy_recipient_reads_the_case_masked_and_may_not_reveal(app, world):
    person = world.person()
    out = world.start("admission_review", person.admission())
    key = out.business_key
    with world.rt.db.write() as session:
        case = session.execute(select(Case).where(Case.business_key == key)).scalar_one()
        copies.copy(session, "edu_reviewer", case, None, ["psb_reviewer"])
    reader = login(app.test_client(), "psb_reviewer")
    page = reader.get(f"/cases/{key}")
    assert page.status_code == 200, "a copy recipient reads the case"
    masked = f"{person.id_number[:6]}********{person.id_number[-4:]}"
    assert person.id_number not in page.data.decode() and masked in page.data.decode()
    refused = reader.post(f"/cases/{key}/reveal", data={"field": "applicant_id"})
    assert refused.status_code == 403
    assert person.id_number not in reader.get(f"/cases/{key}").data.decode()
    assert _revealed_by(world) == []
    handler = login(app.test_client(), "edu_reviewer")  # who handles the case still may, recorded
    task = opened(out)["decide"]
    assert handler.post(f"/cases/{key}/reveal", data={"field": "applicant_id", "task_id": task}).status_code == 302
    assert person.id_number in handler.get(f"/tasks/{task}").data.decode() and _revealed_by(world) == ["edu_reviewer"]


def test_an_administrator_reads_personal_data_masked_and_is_offered_no_reveal(app, world):
    """三员分立: the system's administrator (without the auditor role, no part in the case) opens the step, its
    personal data masked, with no 显示 button; a reveal posted anyway is refused and nothing is recorded."""
    person = world.person()
    out = world.start("admission_review", person.admission())
    task = opened(out)["decide"]
    admin = login(app.test_client(), "admin")
    page = admin.get(f"/tasks/{task}").data.decode()
    assert person.id_number not in page and "/reveal" not in page
    assert admin.post(f"/cases/{out.business_key}/reveal", data={"field": "applicant_id"}).status_code == 403
    assert _revealed_by(world) == []
    handler = login(app.test_client(), "edu_reviewer")
    assert "/reveal" in handler.get(f"/tasks/{task}").data.decode(), "who handles the case is offered it"
