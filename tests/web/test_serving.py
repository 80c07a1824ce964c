"""Serving with several processes on PostgreSQL: two `jointreview serve` processes (gunicorn) and one
`jointreview worker`. The login throttle and the API rate limit hold across both web processes, and
/readyz is ready while the worker beats and unready once it stops. Behind a configured proxy, the client's
address is the one the proxy forwarded."""
from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import update

from conftest import PASSWORD
from tests.conftest import _clean_postgres
from engine import tokens
from engine.models import User
from engine.passwords import hash_password
from engine.routing import Actor
from world import World


def free_port(taken: set[int]) -> int:
    """A port free now and not handed out before in this test."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


def serve(url: str, env: dict, taken: set[int]) -> tuple[subprocess.Popen, str]:
    """A `jointreview serve` process answering on a free port: another port is tried when something else took the
    chosen one between the probe and gunicorn's bind (the suite runs in parallel)."""
    for _ in range(5):
        port = free_port(taken)
        process = jointreview(url, "serve", "--port", str(port), "--workers", "1", "--threads", "2", env=env)
        base = f"http://127.0.0.1:{port}"
        if wait_for(lambda: process.poll() is not None or _up(base)) and process.poll() is None:
            return process, base
        output = process.stdout.read() if process.poll() is not None else ""
        if process.poll() is None:
            process.kill()
        assert "in use" in output, output or "gunicorn did not answer within 20 s"
    raise AssertionError("five ports in a row were taken")


def jointreview(url: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "--db", url, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})


def answer(url: str, data: dict | None = None, headers: dict | None = None, opener=None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def login_attempt(base: str, password: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, page = answer(f"{base}/login", opener=opener)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return answer(f"{base}/login", {"csrf_token": token, "username": "edu_reviewer", "password": password},
                  opener=opener)[0]


@pytest.mark.slow
def test_two_web_processes_share_limits_and_readiness_follows_the_worker(pg_schema_url):
    _clean_postgres(pg_schema_url)
    world = World(pg_schema_url)
    with world.rt.db.write() as session:
        session.execute(update(User).values(password_hash=hash_password(PASSWORD)))
        secret = tokens.issue(session, Actor.system("test"), "edu-sys", "reviewer", "EDU", None).secret
    env = {"JOINTREVIEW_API_RATE_LIMIT": "6", "JOINTREVIEW_SECRET_KEY": "serving-test"}
    taken: set[int] = set()
    servers, bases, worker = [], [], None
    try:
        for _ in range(2):
            process, base = serve(pg_schema_url, env, taken)
            servers.append(process)
            bases.append(base)
        # the login throttle: five wrong passwords spread over both processes lock the account on both
        assert [login_attempt(bases[i % 2], "wrong") for i in range(5)] == [401] * 5
        assert login_attempt(bases[1], PASSWORD) == 429 and login_attempt(bases[0], PASSWORD) == 429
        # the API rate limit: six requests a minute, whichever process answers
        auth = {"Authorization": f"Bearer {secret}"}
        assert [answer(f"{bases[i % 2]}/api/v1/tasks", headers=auth)[0] for i in range(6)] == [200] * 6
        assert answer(f"{bases[0]}/api/v1/tasks", headers=auth)[0] == 429
        assert answer(f"{bases[1]}/api/v1/tasks", headers=auth)[0] == 429
        # readiness follows the worker's heartbeat
        assert answer(f"{bases[0]}/readyz")[0] == 503
        worker = jointreview(pg_schema_url, "worker", "--name", "serving-test", "--poll", "0.2")
        assert wait_for(lambda: answer(f"{bases[1]}/readyz")[0] == 200)
        status, body = answer(f"{bases[0]}/readyz")
        assert status == 200 and json.loads(body)["checks"]["worker"] == "1 alive"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
        assert wait_for(lambda: answer(f"{bases[0]}/readyz")[0] == 503, 10)
        metrics = answer(f"{bases[0]}/metrics")[1]
        assert 'jointreview_http_request_duration_seconds_count{method="GET",route="/api/v1/tasks",status="200"}' in metrics
    finally:
        for process in [*servers, *([worker] if worker else [])]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
        world.rt.db.dispose()


def _up(base: str) -> bool:
    try:
        return answer(f"{base}/healthz")[0] == 200
    except OSError:
        return False


def test_behind_a_configured_proxy_the_forwarded_address_counts(world, monkeypatch, caplog):
    from web import create_app
    monkeypatch.setenv("JOINTREVIEW_PROXY_COUNT", "1")
    app = create_app({"DATABASE_URL": world.rt.db.url, "TESTING": True, "SECRET_KEY": "t"})
    with caplog.at_level(logging.INFO, logger="jointreview.access"):
        app.test_client().get("/healthz", headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"})
    assert [r.remote for r in caplog.records if r.name == "jointreview.access"] == ["10.1.2.3"]
    monkeypatch.delenv("JOINTREVIEW_PROXY_COUNT")
    plain = create_app({"DATABASE_URL": world.rt.db.url, "TESTING": True, "SECRET_KEY": "t"})
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="jointreview.access"):
        plain.test_client().get("/healthz", headers={"X-Forwarded-For": "10.1.2.3"})
    assert [r.remote for r in caplog.records if r.name == "jointreview.access"] == ["127.0.0.1"]


def test_web_processes_starting_together_keep_one_secret_key(tmp_path, monkeypatch):
    """Two processes on a fresh instance folder both find no key; the one that writes second must take the first
    one's key, not replace it (sessions would not carry across processes)."""
    from flask import Flask

    from web import _instance_secret

    app = Flask("probe", instance_path=str(tmp_path / "instance"))
    first = _instance_secret(app)
    monkeypatch.setattr("pathlib.Path.exists", lambda self: False)  # as if it looked just before the other wrote
    assert _instance_secret(app) == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"], "no temporary file is left"
