"""Engine throughput: one 3-user-task process, measured in one run:
(a) plain SpiffWorkflow in memory;
(n1)/(n2) the naive persistence floor on SQLite (WAL) and on PostgreSQL: plain SpiffWorkflow with its own
    serializer, one JSON row per case, read, advanced and written back in its own transaction at every step
    (what the simplest web app around SpiffWorkflow does);
(b)/(c) JointReview on SQLite (WAL) and on PostgreSQL (tasks, audit chain, figures, timers, all of it).
Prints cases/s, completion p50/p95, SQL statements and commits per completion, and each JointReview run's
ratio to the naive floor on the same database.

    python bench/engine.py [--cases 300]
"""
from __future__ import annotations

import argparse
import time

from common import HERE, drop_schema, percentile, postgres_url, prepared_runtime, sqlite_url
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from engine import cases
from engine.db import Database

BPMN = HERE / "three_tasks.bpmn"
VALUES = [{"months": "36"}, {"valid": "true"}, {"result": "admit"}]


def plain_spiff(n: int) -> dict:
    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("three_tasks")
    latencies = []
    began = time.perf_counter()
    for _ in range(n):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        for values in VALUES:
            t0 = time.perf_counter()
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(values)
            task.run()
            wf.do_engine_steps()
            latencies.append(time.perf_counter() - t0)
        assert wf.completed
    return {"cases_per_s": n / (time.perf_counter() - began), "latencies": latencies, "statements": 0, "commits": 0}


def naive(url: str, n: int) -> dict:
    """The persistence floor: load the case's JSON row, run one step, write it back, commit."""
    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("three_tasks")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    db = Database(url)  # the same engine settings as JointReview's (SQLite: WAL, synchronous=NORMAL)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE naive_cases (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))

    def step(conn, case_id: int, values: dict) -> None:
        state = conn.execute(text("SELECT state FROM naive_cases WHERE id = :id"), {"id": case_id}).scalar_one()
        wf = serializer.deserialize_json(state)
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(values)
        task.run()
        wf.do_engine_steps()
        conn.execute(text("UPDATE naive_cases SET state = :s WHERE id = :id"),
                     {"s": serializer.serialize_json(wf), "id": case_id})

    def one_case(case_id: int, latencies: list) -> None:
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO naive_cases (id, state) VALUES (:id, :s)"),
                         {"id": case_id, "s": serializer.serialize_json(wf)})
        for values in VALUES:
            t0 = time.perf_counter()
            with db.engine.begin() as conn:
                step(conn, case_id, values)
            latencies.append(time.perf_counter() - t0)

    for i in range(20):
        one_case(-1 - i, [])
    latencies: list = []
    began = time.perf_counter()
    for i in range(n):
        one_case(i + 1, latencies)
    elapsed = time.perf_counter() - began
    with db.engine.connect() as conn:
        done = conn.execute(text("SELECT state FROM naive_cases WHERE id = :id"), {"id": n}).scalar_one()
    assert serializer.deserialize_json(done).completed
    db.dispose()
    return {"cases_per_s": n / elapsed, "latencies": latencies, "statements": 2.0, "commits": 1.0}


def jointreview(url: str, n: int) -> dict:
    rt, actor = prepared_runtime(url, BPMN)
    for _ in range(20):  # warm-up: caches, connection pool
        _one_case(rt, actor, [])
    latencies, statements, commits = [], 0, 0
    began = time.perf_counter()
    for _ in range(n):
        s, c = _one_case(rt, actor, latencies)
        statements, commits = statements + s, commits + c
    elapsed = time.perf_counter() - began
    rt.db.dispose()
    completions = n * len(VALUES)
    return {"cases_per_s": n / elapsed, "latencies": latencies,
            "statements": statements / completions, "commits": commits / completions}


def _one_case(rt, actor, latencies: list) -> tuple[int, int]:
    with rt.db.write() as session:
        out = cases.start(session, rt, actor, "three_tasks", {"applicant_name": "张三"})
    statements = commits = 0
    for values in VALUES:
        task_id = out.opened[0]["id"]
        s0, c0 = rt.db.counts.statements, rt.db.counts.commits
        t0 = time.perf_counter()
        with rt.db.write() as session:
            out = cases.complete(session, rt, actor, task_id, values)
        latencies.append(time.perf_counter() - t0)
        statements += rt.db.counts.statements - s0
        commits += rt.db.counts.commits - c0
    assert out.status == "completed"
    return statements, commits


def report(name: str, r: dict, base: dict | None = None, base_name: str = "") -> None:
    p50, p95 = percentile(r["latencies"], 0.5) * 1000, percentile(r["latencies"], 0.95) * 1000
    ratio = f"{r['cases_per_s'] / base['cases_per_s']:.2f}x of {base_name}" if base else ""
    sql = f"{r['statements']:.1f} stmts, {r['commits']:.2f} commits per completion" if r["commits"] else "no SQL"
    print(f"{name:<38} {r['cases_per_s']:>8.1f} cases/s   completion p50 {p50:6.2f} ms  p95 {p95:6.2f} ms   "
          f"{sql:<36} {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    print(f"3-user-task process, {args.cases} cases per mode, {args.cases * 3} completions")
    memory = plain_spiff(args.cases)
    report("(a) SpiffWorkflow in memory", memory)
    floor = naive(sqlite_url(), args.cases)
    report("(n1) naive floor on SQLite (WAL)", floor)
    report("(b) JointReview on SQLite (WAL)", jointreview(sqlite_url(), args.cases), floor, "(n1)")
    url, schema = postgres_url()
    if url is None:
        print("(n2)/(c) PostgreSQL                      not measured: no server on 127.0.0.1:5432")
        return
    try:
        floor = naive(url, args.cases)
        report("(n2) naive floor on PostgreSQL", floor)
        report("(c) JointReview on PostgreSQL", jointreview(url, args.cases), floor, "(n2)")
    finally:
        drop_schema(url, schema)


if __name__ == "__main__":
    main()
