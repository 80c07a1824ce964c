"""Engine throughput: one 3-user-task process, measured in one run:
(a) plain SpiffWorkflow in memory;
(n1)/(n2) the naive persistence floor on SQLite (WAL) and on PostgreSQL: plain SpiffWorkflow with its own
    serializer, one JSON row per case, read, advanced and written back in its own transaction at every step
    (what the simplest web app around SpiffWorkflow does);
(b)/(c) JointReview on SQLite (WAL) and on PostgreSQL (tasks, audit chain, figures, timers, all of it).
Each floor and JointReview run on the same database in alternating rounds, so that the machine's drift
during the run (a busy neighbour, a slower minute) falls on both alike and the ratio stays put.
Prints cases/s, completion p50/p95, SQL statements and commits per completion, and each JointReview run's
ratio to the naive floor on the same database.

    python bench/engine.py [--cases 300]
"""
from __future__ import annotations

import argparse
import statistics
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


class Naive:
    """The persistence floor: load the case's JSON row, run one step, write it back, commit."""

    def __init__(self, url: str) -> None:
        parser = CamundaParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec("three_tasks")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        self.db = Database(url)  # the same engine settings as JointReview's (SQLite: WAL, synchronous=NORMAL)
        with self.db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE naive_cases (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"))
        self.next_id = 0

    def _step(self, conn, case_id: int, values: dict) -> None:
        state = conn.execute(text("SELECT state FROM naive_cases WHERE id = :id"), {"id": case_id}).scalar_one()
        wf = self.serializer.deserialize_json(state)
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(values)
        task.run()
        wf.do_engine_steps()
        conn.execute(text("UPDATE naive_cases SET state = :s WHERE id = :id"),
                     {"s": self.serializer.serialize_json(wf), "id": case_id})

    def one_case(self, latencies: list) -> tuple[int, int]:
        self.next_id += 1
        case_id = self.next_id
        wf = BpmnWorkflow(self.spec)
        wf.do_engine_steps()
        with self.db.engine.begin() as conn:
            conn.execute(text("INSERT INTO naive_cases (id, state) VALUES (:id, :s)"),
                         {"id": case_id, "s": self.serializer.serialize_json(wf)})
        for values in VALUES:
            t0 = time.perf_counter()
            with self.db.engine.begin() as conn:
                self._step(conn, case_id, values)
            latencies.append(time.perf_counter() - t0)
        return 2 * len(VALUES), len(VALUES)

    def check(self) -> None:
        with self.db.engine.connect() as conn:
            done = conn.execute(text("SELECT state FROM naive_cases WHERE id = :id"), {"id": self.next_id}).scalar_one()
        assert self.serializer.deserialize_json(done).completed

    def close(self) -> None:
        self.db.dispose()


class Ours:
    """JointReview: start the case, then complete its three steps, each in its own transaction."""

    def __init__(self, url: str) -> None:
        self.rt, self.actor = prepared_runtime(url, BPMN)

    def one_case(self, latencies: list) -> tuple[int, int]:
        return _one_case(self.rt, self.actor, latencies)

    def check(self) -> None:
        pass  # _one_case asserts that every case completed

    def close(self) -> None:
        self.rt.db.dispose()


def head_to_head(url: str, n: int, rounds: int = 20) -> tuple[dict, dict]:
    """The floor and JointReview on the same database server, measured in alternating rounds (the order swapped
    each round) so that the machine's drift during the run falls on both alike. JointReview's ratio to the floor
    is the median of the rounds' ratios (a burst of noise spoils a round, not the figure), with the quartiles."""
    modes = [Naive(url), Ours(url)]
    totals = [{"elapsed": 0.0, "latencies": [], "statements": 0, "commits": 0, "rounds": []} for _ in modes]
    try:
        for mode in modes:  # warm-up: caches, connection pool
            for _ in range(20):
                mode.one_case([])
        per_round = max(n // rounds, 1)
        for r in range(rounds):
            for i in (0, 1) if r % 2 == 0 else (1, 0):
                total = totals[i]
                began = time.perf_counter()
                for _ in range(per_round):
                    s, c = modes[i].one_case(total["latencies"])
                    total["statements"] += s
                    total["commits"] += c
                total["elapsed"] += time.perf_counter() - began
                total["rounds"].append(time.perf_counter() - began)
        for mode in modes:
            mode.check()
    finally:
        for mode in modes:
            mode.close()
    done = per_round * rounds
    floor, ours = ({"cases_per_s": done / t["elapsed"], "latencies": t["latencies"],
                    "statements": t["statements"] / (done * len(VALUES)),
                    "commits": t["commits"] / (done * len(VALUES))} for t in totals)
    ratios = sorted(f / o for f, o in zip(totals[0]["rounds"], totals[1]["rounds"]))
    ours["ratio"] = (percentile(ratios, 0.25), statistics.median(ratios), percentile(ratios, 0.75))
    return floor, ours


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
    ratio = ""
    if base:
        low, mid, high = r["ratio"]
        ratio = f"{mid:.2f}x of {base_name} (rounds' quartiles {low:.2f}-{high:.2f})"
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
    floor, ours = head_to_head(sqlite_url(), args.cases)
    report("(n1) naive floor on SQLite (WAL)", floor)
    report("(b) JointReview on SQLite (WAL)", ours, floor, "(n1)")
    url, schema = postgres_url()
    if url is None:
        print("(n2)/(c) PostgreSQL                      not measured: no server on 127.0.0.1:5432")
        return
    try:
        floor, ours = head_to_head(url, args.cases)
        report("(n2) naive floor on PostgreSQL", floor)
        report("(c) JointReview on PostgreSQL", ours, floor, "(n2)")
    finally:
        drop_schema(url, schema)


if __name__ == "__main__":
    main()
