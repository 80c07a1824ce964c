"""Health and metrics: /healthz answers, /readyz names what is missing (a worker) and turns ready when a
worker beats, /metrics gives request and operation latency and the engine's gauges in the Prometheus format
(behind a token when one is set), and every answer carries a request id."""
from __future__ import annotations

from engine import heartbeats


def test_healthz_and_readyz(app, world):
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["checks"] == {"database": "ok", "schema": "current", "worker": "none alive: start jointreview worker"}
    with world.rt.db.write() as session:
        heartbeats.beat(session, "test-worker")
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json() == {"ready": True, "checks": {
        "database": "ok", "schema": "current", "worker": "1 alive"}}
    with world.rt.db.write() as session:
        heartbeats.stop(session, "test-worker")
    assert client.get("/readyz").status_code == 503


def test_metrics_give_latency_and_the_gauges(app, world, monkeypatch):
    world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    client = app.test_client()
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'jointreview_open_steps{department="EDU"} 1.0' in text
    assert "jointreview_timer_lag_seconds" in text and "jointreview_mail_outbox_backlog 0.0" in text
    assert 'jointreview_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}' in text
    assert 'jointreview_engine_operation_duration_seconds_count{kind="case_started"}' in text
    monkeypatch.setenv("JOINTREVIEW_METRICS_TOKEN", "s3cret")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_every_answer_carries_a_request_id(app):
    client = app.test_client()
    given = client.get("/healthz", headers={"X-Request-Id": "proxy-42.a"})
    assert given.headers["X-Request-Id"] == "proxy-42.a"
    made = client.get("/healthz", headers={"X-Request-Id": "<script>"}).headers["X-Request-Id"]
    assert made != "<script>" and len(made) == 32
