"""Long cases stay fast: the cost of one step at round 300 of a rework loop against round 1, and the same
for a parallel join inside a loop; plain SpiffWorkflow (no pruning) alongside for comparison.

    python bench/long_case.py [--rounds 300]
"""
from __future__ import annotations

import argparse
import statistics
import time

from common import HERE, prepared_runtime, sqlite_url
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine import cases
from engine.models import Case

FIXTURES = HERE.parent / "tests" / "engine" / "bpmn"


def window(times: list[float], start: int, size: int = 10) -> float:
    return statistics.median(times[start:start + size]) * 1000


def ours_rework(rounds: int) -> tuple[list[float], str, int]:
    rt, actor = prepared_runtime(sqlite_url(), FIXTURES / "rework_loop.bpmn")
    with rt.db.write() as session:
        out = cases.start(session, rt, actor, "rework_loop", {"rounds": 0})
    times = []
    for i in range(rounds):
        t0 = time.perf_counter()
        with rt.db.write() as session:
            out = cases.complete(session, rt, actor, out.opened[0]["id"], {"again": i < rounds - 1})
        times.append(time.perf_counter() - t0)
    with rt.db.read() as session:
        size = len(session.get(Case, out.case_id).state)
    return times, out.status, size


def ours_parallel(rounds: int) -> tuple[list[float], str]:
    rt, actor = prepared_runtime(sqlite_url(), FIXTURES / "parallel_loop.bpmn")
    with rt.db.write() as session:
        out = cases.start(session, rt, actor, "parallel_loop", {})
    times = []
    for i in range(rounds):
        ids = {r["element_id"]: r["id"] for r in out.opened}
        t0 = time.perf_counter()
        with rt.db.write() as session:
            cases.complete(session, rt, actor, ids["check_psb"], {"psb_ok": True})
        with rt.db.write() as session:
            out = cases.complete(session, rt, actor, ids["check_edu"], {"edu_again": i < rounds - 1})
        times.append(time.perf_counter() - t0)
    return times, out.status


def plain(process: str, rounds: int, values) -> tuple[list[float], str]:
    parser = CamundaParser()
    parser.add_bpmn_file(str(FIXTURES / f"{process}.bpmn"))
    wf = BpmnWorkflow(parser.get_spec(process))
    wf.get_tasks(state=TaskState.READY)[0].data.update({"rounds": 0})
    wf.do_engine_steps()
    times = []
    for i in range(rounds):
        t0 = time.perf_counter()
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            return times, f"stalled silently at round {i + 1} (no ready task, not completed)"
        for task in sorted(ready, key=lambda t: t.task_spec.name, reverse=True):
            task.data.update(values(i, rounds))
            task.run()
            wf.do_engine_steps()
        times.append(time.perf_counter() - t0)
    return times, "completed" if wf.completed else "not completed"


def line(name: str, times: list[float], status: str, rounds: int) -> None:
    if len(times) < rounds:
        print(f"{name:<46} {status}")
        return
    first, last = window(times, 0), window(times, rounds - 10)
    print(f"{name:<46} round 1–10 {first:7.2f} ms   round {rounds - 9}–{rounds} {last:7.2f} ms   "
          f"ratio {last / first:5.2f}   {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--parallel-rounds", type=int, default=150)
    args = parser.parse_args()
    times, status, size = ours_rework(args.rounds)
    line("rework loop, JointReview (SQLite, persisted)", times, f"{status}, state {size} bytes", args.rounds)
    times, status = plain("rework_loop", args.rounds, lambda i, n: {"again": i < n - 1})
    line("rework loop, plain SpiffWorkflow in memory", times, status, args.rounds)
    times, status = ours_parallel(args.parallel_rounds)
    line("parallel join in a loop, JointReview", times, status, args.parallel_rounds)
    times, status = plain("parallel_loop", args.parallel_rounds,
                          lambda i, n: {"edu_again": i < n - 1, "psb_ok": True})
    line("parallel join in a loop, plain SpiffWorkflow", times, status, args.parallel_rounds)
    print("target: ratio ≤ 2.0 for JointReview (cost of a step at the last rounds against the first)")


if __name__ == "__main__":
    main()
