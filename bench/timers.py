"""Timers at scale on PostgreSQL: how late a running worker fires timers as they fall due, and how fast 1, 2
and 4 worker processes drain 100,000 timers that are all due at once (each fired exactly once).

The cases are clones of one real case of bench/reminder.bpmn (a user task with a reminder), each with its
own task ids and its own due moment, written with COPY; the workers are real processes running the worker's
firing loop (timers.drain, what `jointreview worker --once` does before its chores).

    python bench/timers.py [--cases 100000] [--workers 1,2,4] [--lag 2000]
"""
from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import drop_schema, percentile, postgres_url, prepared_runtime
from sqlalchemy import text

from engine import cases  # noqa: E402
from engine.routing import Actor  # noqa: E402

HERE = Path(__file__).parent
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DRAIN = ("import sys; from engine.config import Settings, make_runtime; from engine import timers; "
         "from engine.routing import Actor; rt = make_runtime(Settings.from_env(sys.argv[1])); "
         "r = timers.drain(rt, Actor.system(sys.argv[2])); print(r.fired, r.failed)")


def setup(url: str):
    rt, _ = prepared_runtime(url, HERE / "reminder.bpmn")
    with rt.db.write() as session:
        out = cases.start(session, rt, Actor.system("bench"), "reminder_bench", {"remind_after": "P365D"},
                          business_key="TEMPLATE-1")
        case = session.execute(text("SELECT * FROM cases WHERE id = :id"), {"id": out.case_id}).mappings().one()
        task = session.execute(text("SELECT * FROM tasks WHERE case_id = :id"), {"id": out.case_id}).mappings().one()
        session.execute(text("DELETE FROM tasks WHERE case_id = :id"), {"id": out.case_id})
        session.execute(text("UPDATE cases SET status = 'completed', next_due_at = NULL WHERE id = :id"),
                        {"id": out.case_id})
    value = re.search(r'"event_value":"([^"]+)"', case["state"]).group(1)
    return rt, dict(case), dict(task), value


def clone(rt, template: tuple, first_id: int, dues: list[datetime]) -> None:
    """One case per due moment, each with fresh task ids and its reminder due at that moment."""
    case, task, value = template
    state = case["state"]
    ids = sorted(set(UUID.findall(state)))
    cases_out, tasks_out = io.StringIO(), io.StringIO()
    for offset, due in enumerate(dues):
        mapping = {old: str(uuid.uuid4()) for old in ids}
        text_ = UUID.sub(lambda m: mapping.get(m.group(0), m.group(0)), state).replace(value, due.isoformat())
        case_id = first_id + offset
        now = datetime.now(timezone.utc).isoformat()
        cases_out.write("\t".join([str(case_id), f"TM-{case_id}", str(case["definition_id"]), "reminder_bench", "running",
                                   text_.replace("\\", "\\\\"), "1", "{}", "", "bench", now, now, due.isoformat()]) + "\n")
        tasks_out.write("\t".join([mapping.get(task["id"], task["id"]), str(case_id), "reminder_bench", "check", "核验",
                                   "EDU", "reviewer", "open", "50", now, (due + timedelta(days=3)).isoformat()]) + "\n")
    with rt.db.write() as session:
        raw = session.connection().connection
        with raw.cursor().copy("COPY cases (id, business_key, definition_id, process_key, status, state, version, "
                               "summary, visited, started_by, started_at, updated_at, next_due_at) FROM STDIN") as copy:
            copy.write(cases_out.getvalue())
        with raw.cursor().copy("COPY tasks (id, case_id, process_key, element_id, name, department_code, role, state, "
                               "priority, created_at, due_at) FROM STDIN") as copy:
            copy.write(tasks_out.getvalue())
        session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    with rt.db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE cases; ANALYZE tasks"))


def reminders(rt, low: int, high: int) -> tuple[int, int]:
    with rt.db.read() as session:
        return session.execute(text("SELECT count(*), count(DISTINCT case_id) FROM audit_log WHERE event = 'reminder' "
                                    "AND case_id BETWEEN :a AND :b"), {"a": low, "b": high}).one()


def lag(rt, url: str, template, first_id: int, count: int) -> list[float]:
    """A worker runs; `count` timers fall due over 20 seconds; how late each fired."""
    worker = subprocess.Popen([sys.executable, "-m", "engine.cli", "--db", url, "worker", "--name", "bench-lag",
                               "--poll", "0.5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # its first round (chores) is over
        start = datetime.now(timezone.utc) + timedelta(seconds=5)
        dues = [start + timedelta(seconds=20 * i / count) for i in range(count)]
        clone(rt, template, first_id, dues)
        deadline = time.time() + 90
        while reminders(rt, first_id, first_id + count - 1)[0] < count and time.time() < deadline:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(30)
    with rt.db.read() as session:
        rows = session.execute(text("SELECT a.at, c.id FROM audit_log a JOIN cases c ON c.id = a.case_id "
                                    "WHERE a.event = 'reminder' AND c.id BETWEEN :a AND :b"),
                               {"a": first_id, "b": first_id + count - 1}).all()
    due_of = {first_id + i: d for i, d in enumerate(dues)}
    return [(at if at.tzinfo else at.replace(tzinfo=timezone.utc)).timestamp() - due_of[case_id].timestamp()
            for at, case_id in rows]


def drain(rt, url: str, template, first_id: int, count: int, workers: int) -> tuple[float, int, int]:
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    clone(rt, template, first_id, [past] * count)
    began = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", DRAIN, url, f"bench-{workers}-{i}"], cwd=HERE.parent,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for i in range(workers)]
    for p in procs:
        p.wait()
    seconds = time.perf_counter() - began
    fired, distinct = reminders(rt, first_id, first_id + count - 1)
    return seconds, fired, distinct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--lag", type=int, default=2000)
    args = parser.parse_args()
    url, schema = postgres_url()
    if url is None:
        print("not measured: no PostgreSQL on 127.0.0.1:5432")
        return
    rt, case, task, value = setup(url)
    template = (case, task, value)
    try:
        next_id = case["id"] + 1
        late = lag(rt, url, template, next_id, args.lag)
        print(f"timer lag, one worker polling every 0.5 s, {args.lag:,} timers falling due over 20 s: "
              f"fired {len(late):,}; p50 {percentile(late, 0.5):.2f} s, p95 {percentile(late, 0.95):.2f} s, "
              f"max {max(late):.2f} s", flush=True)
        next_id += args.lag
        base = None
        for workers in (int(w) for w in args.workers.split(",")):
            seconds, fired, distinct = drain(rt, url, template, next_id, args.cases, workers)
            rate = args.cases / seconds
            base = base or rate
            print(f"{args.cases:,} due timers, {workers} worker process(es): {seconds:.1f} s, {rate:,.0f} fires/s "
                  f"({rate / base:.2f}× one worker); fired {fired:,}, distinct cases {distinct:,}, "
                  f"missed {args.cases - distinct:,}, duplicates {fired - distinct:,}", flush=True)
            next_id += args.cases
    finally:
        rt.db.dispose()
        drop_schema(url, schema)


if __name__ == "__main__":
    main()
