"""Engine throughput: one 3-user-task process, (a) plain SpiffWorkflow in memory, (b) JointReview on
SQLite, (c) JointReview on PostgreSQL, measured in one run. Prints cases/s, completion p50/p95, SQL
statements and commits per completion, and ratios to (a).

    python bench/engine.py [--cases 300]
"""
from __future__ import annotations

import argparse
import time

from common import HERE, drop_schema, percentile, postgres_url, prepared_runtime, sqlite_url
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine import cases

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


def report(name: str, r: dict, base: dict | None) -> None:
    p50, p95 = percentile(r["latencies"], 0.5) * 1000, percentile(r["latencies"], 0.95) * 1000
    ratio = f"{r['cases_per_s'] / base['cases_per_s']:.2f}x of (a)" if base else "baseline"
    sql = f"{r['statements']:.1f} stmts, {r['commits']:.2f} commits" if base else "no SQL"
    print(f"{name:<34} {r['cases_per_s']:>8.1f} cases/s   completion p50 {p50:6.2f} ms  p95 {p95:6.2f} ms   "
          f"{sql} per completion   {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    print(f"3-user-task process, {args.cases} cases per mode, {args.cases * 3} completions")
    base = plain_spiff(args.cases)
    report("(a) SpiffWorkflow in memory", base, None)
    report("(b) JointReview on SQLite (WAL)", jointreview(sqlite_url(), args.cases), base)
    url, schema = postgres_url()
    if url is None:
        print("(c) JointReview on PostgreSQL          not measured: no server on 127.0.0.1:5432")
        return
    try:
        report("(c) JointReview on PostgreSQL", jointreview(url, args.cases), base)
    finally:
        drop_schema(url, schema)


if __name__ == "__main__":
    main()
