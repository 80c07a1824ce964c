"""What the REST API layer costs: sending a formal inquiry (start the case, draft step claimed and
completed) directly through the engine, through the API in-process (Flask test client: token check,
rate limit, validation, idempotency record, JSON), and through the API over real HTTP, in one run on
one SQLite database. Prints rates and the ratios between them, and the latency of a task-list page."""
from __future__ import annotations

import logging
import statistics
import threading
import time
import uuid

import requests
from werkzeug.serving import make_server

from common import sqlite_url  # noqa: F401 - also puts the project on sys.path
from engine import cases, repository, tokens
from engine.config import Settings, make_runtime
from engine.definitions import read_files
from engine.routing import Actor, add_user, load_actor, seed_departments
from web import create_app
from workflows.intake import INTAKES, start_data
from workflows.walkthrough import BPMN

N = 200
BODY = {"target_department": "HUD", "inquiry_subject": "租赁备案核实", "questions": "请核实申请人的租赁备案。", "reply_days": 5}


def setup(url: str):
    rt = make_runtime(Settings.from_env(url))
    rt.db.migrate()
    with rt.db.write() as session:
        seed_departments(session)
    with rt.db.write() as session:
        repository.deploy(session, rt, Actor.system("bench"), read_files([BPMN]))
        add_user(session, "psb_bench", "psb_bench", memberships={"PSB": "reviewer"})
        secret = tokens.issue(session, Actor.system("bench"), "psb-bench", "reviewer", "PSB").secret
        hud = tokens.issue(session, Actor.system("bench"), "hud-bench", "reviewer", "HUD").secret
        BODY["case_ref"] = cases.start(session, rt, Actor.system("bench"), "formal_inquiry",  # the case asked about
                                       {"requester_department": "PSB", "target_department": "HUD"}).business_key
    with rt.db.read() as session:
        actor = load_actor(session, "psb_bench")
    return rt, actor, {"Authorization": f"Bearer {secret}"}, {"Authorization": f"Bearer {hud}"}


def direct(rt, actor) -> float:
    intake = INTAKES["formal_inquiry"]
    started = time.perf_counter()
    for _ in range(N):
        data = start_data(intake, {"target_department": "HUD", "case_ref": BODY["case_ref"]}, [], "PSB")
        with rt.db.write() as session:
            out = cases.start(session, rt, actor, "formal_inquiry", data)
            draft = next(r for r in out.opened if r["element_id"] == "draft_inquiry")
            cases.claim(session, rt, actor, draft["id"])
            cases.complete(session, rt, actor, draft["id"], {k: BODY[k] for k in ("inquiry_subject", "questions", "reply_days")})
    return N / (time.perf_counter() - started)


def through(post, get) -> tuple[float, list[float]]:
    started = time.perf_counter()
    for _ in range(N):
        status = post(str(uuid.uuid4()))
        assert status == 201, status
    rate = N / (time.perf_counter() - started)
    latencies = []
    for _ in range(100):
        t = time.perf_counter()
        assert get() == 200
        latencies.append((time.perf_counter() - t) * 1000)
    return rate, latencies


def main() -> None:
    url = sqlite_url()
    rt, actor, auth, hud = setup(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "API_RATE_LIMIT": 10**9})
    client = app.test_client()
    engine_rate = direct(rt, actor)
    inproc_rate, inproc_lat = through(
        lambda key: client.post("/api/v1/inquiries", json=BODY, headers={**auth, "Idempotency-Key": key}).status_code,
        lambda: client.get("/api/v1/tasks?limit=25", headers=hud).status_code)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{http.server_port}/api/v1"
    s = requests.Session()
    http_rate, http_lat = through(
        lambda key: s.post(f"{base}/inquiries", json=BODY, headers={**auth, "Idempotency-Key": key}).status_code,
        lambda: s.get(f"{base}/tasks?limit=25", headers=hud).status_code)
    http.shutdown()
    print(f"formal inquiries sent, {N} each, SQLite, one run:")
    print(f"  engine directly            {engine_rate:7.1f} /s")
    print(f"  API in-process (Flask)     {inproc_rate:7.1f} /s   {inproc_rate / engine_rate:.2f}× the engine")
    print(f"  API over HTTP (werkzeug)   {http_rate:7.1f} /s   {http_rate / engine_rate:.2f}× the engine")
    for name, lat in (("in-process", inproc_lat), ("HTTP", http_lat)):
        q = statistics.quantiles(lat, n=20)
        print(f"  GET /tasks?limit=25 ({N * 2} open answers in the department's queue), {name}: "
              f"p50 {statistics.median(lat):.1f} ms, p95 {q[18]:.1f} ms")


if __name__ == "__main__":
    main()
