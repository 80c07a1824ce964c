"""GET /api/v1/kpis and /api/v1/node-assessment: the same figures as the engine, scoped by the token."""
from __future__ import annotations

import pytest

from engine import kpis, tokens
from engine.routing import Actor

from web import create_app


@pytest.fixture
def api(demo):
    world = demo  # the demo data set with its figures' facts built (tests/web/conftest.py)
    with world.rt.db.write() as session:
        secrets = {name: tokens.issue(session, Actor.system("test"), f"figures-{name}", role, department).secret
                   for name, (role, department) in {"auditor": ("auditor", None), "edu_head": ("head", "EDU"),
                                                    "joint_head": ("head", "JOINT"), "reviewer": ("reviewer", "EDU"),
                                                    "portal": ("portal", None)}.items()}
    app = create_app({"DATABASE_URL": world.rt.db.url, "SECRET_KEY": "t", "TESTING": True})
    client = app.test_client()

    def get(path: str, who: str, **query):
        return client.get(f"/api/v1{path}", query_string=query, headers={"Authorization": f"Bearer {secrets[who]}"})
    return world, get


def test_kpis_match_the_engine(api):
    world, get = api
    period = kpis.current_period("quarter", world.rt.calendar.tz)
    body = get("/kpis", "auditor", period=period.label).get_json()
    with world.rt.db.read() as session:
        expected = kpis.figures(session, period, kpis.Scope(), world.rt.calendar.tz)
    assert body["period"] == period.label and body["previous_period"] == period.shift(-1).label
    assert body["figures"]["handling"] == expected["handling"]
    assert body["figures"]["volume"] == expected["volume"]
    assert len(body["trend"]) == 12 and "accepted" in body["changes"]


def test_department_tokens_see_their_department_only(api):
    world, get = api
    edu = get("/kpis", "edu_head").get_json()
    assert edu["scope"] == {"department": "EDU"} and set(edu["figures"]["steps"]) <= {"EDU"}
    assert get("/kpis", "edu_head", department="PSB").status_code == 403
    assert get("/kpis", "joint_head", department="PSB").get_json()["scope"] == {"department": "PSB"}
    rows = get("/node-assessment", "edu_head").get_json()["departments"]
    assert [r["department"] for r in rows] == ["EDU"]
    assert len(get("/node-assessment", "auditor").get_json()["departments"]) == 8 + 6  # and the street offices
    assert get("/kpis", "reviewer").status_code == 403 and get("/node-assessment", "portal").status_code == 403


def test_a_bad_period_is_a_field_error(api):
    _, get = api
    response = get("/kpis", "auditor", period="2026Q5")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "period"


def test_a_deploy_of_three_megabytes_reaches_the_api(api):
    world, _ = api
    with world.rt.db.write() as session:
        secret = tokens.issue(session, Actor.system("test"), "designer-big", "designer").secret
    client = create_app({"DATABASE_URL": world.rt.db.url, "SECRET_KEY": "t", "TESTING": True}).test_client()
    content = "<?xml version=\"1.0\"?><definitions>" + "<!-- padding -->" * 190_000 + "</definitions>"
    response = client.post("/api/v1/processes/deployments", json={"files": [{"name": "big.bpmn", "content": content}],
                                                                   "dry_run": True},
                           headers={"Authorization": f"Bearer {secret}"})
    assert len(content) > 3_000_000 and response.status_code != 413  # the documented limit is 4 MB
    too_big = client.post("/api/v1/processes/deployments", data=b"x" * (4 * 1024 * 1024 + 1),
                          headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    assert too_big.status_code == 413
