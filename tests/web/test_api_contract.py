"""Schemathesis, a property-based fuzzer for OpenAPI, against the live app over real HTTP: every
operation, every check but positive-data acceptance (valid-looking ID numbers fail their GB 11643
check digit, on purpose), positive and negative data. Any server error or any response that breaks
the published contract fails the test, with Schemathesis' report of how to reproduce it."""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from sqlalchemy import select

from engine import tokens
from engine.models import Task
from engine.routing import Actor

from web import create_app

ROLES = {"portal": None, "reviewer": "EDU", "supervisor": "EDU", "head": "EDU", "auditor": None, "designer": None,
         "admin": None}
# One worker: Schemathesis' coverage phase parses lambdas with `ast` in its threads, and CPython 3.11
# can fail that with "AST constructor recursion depth mismatch" when two threads do it at once.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Real identifiers are offered to the fuzzer part of the time, so that operations on existing cases and
# tasks are reached too; 413 is a correct way to refuse an oversized (and invalid) body.
CONFIG = """
[cache]
enabled = false

[dictionaries.keys]
values = {keys}

[dictionaries.tasks]
values = {tasks}

[dictionaries.applicants]
values = {applicants}

[parameters]
"path.business_key" = {{ dictionary = "keys", probability = 0.6 }}
"path.task_id" = {{ dictionary = "tasks", probability = 0.6 }}
"header.X-Applicant-Id" = {{ dictionary = "applicants", probability = 0.6 }}

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""
# Examples per operation in the fuzzing and stateful phases (the coverage phase's boundary cases come on top). Each
# database gets a seed of its own, so the two runs together try twice as many different requests as one of them.
EXAMPLES = int(os.environ.get("JOINTREVIEW_FUZZ_EXAMPLES", "30"))
SEEDS = {"sqlite": 0, "postgresql": 1}

pytestmark = pytest.mark.slow


def test_every_operation_keeps_the_contract_under_fuzzing(world, tmp_path):
    secrets = {}
    with world.rt.db.write() as session:
        for role, department in ROLES.items():
            secrets[role] = tokens.issue(session, Actor.system("test"), f"fuzz-{role}", role, department).secret
    keys, applicants = [], []
    for _ in range(3):  # real cases and tasks for the fuzzer to find through the API
        person = world.person()
        applicants.append(person.id_number)
        keys.append(world.start("admission_review", person.admission()).business_key)
        keys.append(world.start("subsidy_approval", person.subsidy()).business_key)
    with world.rt.db.read() as session:
        task_ids = list(session.execute(select(Task.id).where(Task.state == "open")).scalars())
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(keys=json.dumps(keys), tasks=json.dumps(task_ids),
                                    applicants=json.dumps(applicants)), encoding="utf-8")
    app = create_app({"DATABASE_URL": world.rt.db.url, "SECRET_KEY": "fuzz", "API_RATE_LIMIT": 1_000_000})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{http.server_port}"
    report = ARTIFACTS / "schemathesis" / world.rt.db.engine.dialect.name
    seed = int(os.environ.get("JOINTREVIEW_FUZZ_SEED", "20261123")) + SEEDS[world.rt.db.engine.dialect.name]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz_auth", "JOINTREVIEW_FUZZ_TOKENS": json.dumps(secrets),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    try:
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", f"{base}/api/v1/openapi.json",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance",
             "--max-examples", str(EXAMPLES), "--seed", str(seed), "--workers", "1",
             "--generation-database", "none", "--no-color", "--report", "junit",
             "--report-dir", str(report), "--request-timeout", "30"],
            env=env, capture_output=True, text=True, timeout=900)
    finally:
        http.shutdown()
    output = run.stdout + run.stderr
    report.mkdir(parents=True, exist_ok=True)
    (report / "output.txt").write_text(output, encoding="utf-8")
    short = "\n".join(line[:300] for line in output.splitlines())
    assert run.returncode == 0, short[-20000:]
    operations = len([m for p in app.test_client().get("/api/v1/openapi.json").get_json()["paths"].values() for m in p])
    tested = re.search(r"API Operations:\s+Selected:\s+(\d+)/(\d+)\s+Tested:\s+(\d+)", output)
    assert tested, output[-5000:]
    assert (int(tested.group(1)), int(tested.group(2)), int(tested.group(3))) == (operations,) * 3, output[-5000:]
