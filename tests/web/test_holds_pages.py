"""Legal holds in the pages and the API: an auditor places a hold on the case page and lifts it with a
reason; others get 403; a purged case's page says what was removed."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update

from conftest import login
from engine import retention, tokens
from engine.models import Case, LegalHold
from engine.routing import Actor


def test_an_auditor_places_and_lifts_a_hold(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    key = out.business_key
    assert login(app.test_client(), "edu_supervisor").post(f"/cases/{key}/legal-holds",
                                                           data={"reason": "x"}).status_code == 403
    auditor = login(app.test_client(), "auditor")
    assert 'id="holds"' in auditor.get(f"/cases/{key}").data.decode()
    empty = auditor.post(f"/cases/{key}/legal-holds", data={"reason": " "}, follow_redirects=True).data.decode()
    assert "法律保全需要填写理由" in empty
    placed = auditor.post(f"/cases/{key}/legal-holds", data={"reason": "诉讼保全"}, follow_redirects=True).data.decode()
    assert "已实施法律保全" in placed and "保全中" in placed and "诉讼保全" in placed
    with world.rt.db.read() as session:
        hold = session.execute(select(LegalHold)).scalar_one()
    lifted = auditor.post(f"/legal-holds/{hold.id}/lift", data={"reason": "诉讼终结"}, follow_redirects=True).data.decode()
    assert "法律保全已解除" in lifted and "诉讼终结" in lifted


def test_the_api_places_lists_and_lifts(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    with world.rt.db.write() as session:
        auditor = tokens.issue(session, Actor.system("t"), "audit-sys", "auditor", None, None).secret
        edu = tokens.issue(session, Actor.system("t"), "edu-sys", "reviewer", "EDU", None).secret
    client = app.test_client()
    headers = {"Authorization": f"Bearer {auditor}"}
    path = f"/api/v1/cases/{out.business_key}/legal-holds"
    assert client.post(path, headers={"Authorization": f"Bearer {edu}"}, json={"reason": "x"}).status_code == 403
    placed = client.post(path, headers=headers, json={"reason": "纪检调查"})
    assert placed.status_code == 201 and placed.get_json()["holds"][0]["lifted_at"] is None
    hold = placed.get_json()["holds"][0]["id"]
    lifted = client.post(f"/api/v1/legal-holds/{hold}/lift", headers=headers, json={"reason": "调查结束"})
    assert lifted.status_code == 200 and lifted.get_json()["holds"][0]["lift_reason"] == "调查结束"
    assert client.post(f"/api/v1/legal-holds/{hold}/lift", headers=headers, json={"reason": "again"}).status_code == 409
    assert client.get("/api/v1/cases/NOPE-1/legal-holds", headers=headers).status_code == 404


def test_a_purged_case_page_says_what_was_removed(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    with world.rt.db.write() as session:
        session.execute(update(Case).where(Case.id == out.case_id).values(status="completed",
                                                                          ended_at=datetime(2019, 1, 1, tzinfo=timezone.utc)))
    with world.rt.db.read() as session:
        (item,) = [d for d in retention.due(session, world.rt) if d.business_key == out.business_key]
    with world.rt.db.write() as session:
        retention.purge(session, world.rt, Actor.system("retention"), item)
    page = login(app.test_client(), "auditor").get(f"/cases/{out.business_key}")
    assert page.status_code == 200
    text = page.data.decode()
    assert "按保存期限销毁" in text and "实施保全" not in text
