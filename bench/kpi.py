"""The figures at scale on PostgreSQL: 100,000 and then 1,000,000 finished and running cases with their
facts and audit histories, generated in bulk with SQL (not through the engine). Prints, in one run:
dashboard and node-assessment response p50/p95 (the queries the pages run), the ratio 1M / 100k, the
alert sweep per worker round, and XES export throughput (events/s) and peak memory.

    python bench/kpi.py [--small 100000] [--large 1000000] [--runs 20]
"""
from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from datetime import date, datetime, timezone

from common import drop_schema, percentile, postgres_url
from sqlalchemy import text

os.environ.setdefault("JOINTREVIEW_PG_STATEMENT_TIMEOUT", "30min")  # the bulk inserts are single statements

from engine import alerts, assessment, eventlog, kpis, rollups  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.routing import seed_departments  # noqa: E402

PROCESSES = ["admission_review", "subsidy_approval", "formal_inquiry"]
DEPARTMENTS = ["EDU", "PSB", "HRSS", "HUD", "HEALTH", "STREET", "FIN", "JOINT"]
AREAS = ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区"]
SPAN_DAYS = 730  # the cases start over the two years before now

GENERATE = """
INSERT INTO cases (id, business_key, definition_id, process_key, status, state, version, summary, visited, error,
                   started_by, started_at, updated_at, ended_at)
SELECT g, 'B-' || g, 1 + g % 3, (ARRAY{processes})[1 + g % 3],
       CASE WHEN g % 10 < 8 THEN 'completed' ELSE 'running' END, '{{}}', 1, '{{}}', '', NULL, 'bench',
       now() - make_interval(mins => ((g * 7919) % ({span} * 1440))::int), now(),
       CASE WHEN g % 10 < 8 THEN now() - make_interval(mins => ((g * 7919) % ({span} * 1440))::int) + interval '9 days' END
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) g;

INSERT INTO case_facts (case_id, business_key, process_key, status, area, category, started_at, accepted_at,
                        decided_at, first_outcome, outcome, success, changed, approved_at, paid_at, ended_at,
                        handling_days, disbursement_days, appeals, objections, requests, withdrawn, rating)
SELECT c.id, c.business_key, c.process_key, c.status, (ARRAY{areas})[1 + c.id % 8],
       CASE WHEN c.process_key = 'subsidy_approval' THEN (ARRAY['employment','housing','education'])[1 + c.id % 3] END,
       c.started_at, c.started_at + interval '2 hours',
       CASE WHEN c.status = 'completed' THEN c.started_at + interval '3 days' END,
       CASE WHEN c.status = 'completed' THEN (ARRAY['admit','waitlist','reject'])[1 + c.id % 3] END,
       CASE WHEN c.status = 'completed' THEN (ARRAY['admit','waitlist','reject'])[1 + c.id % 3] END,
       CASE WHEN c.status = 'completed' THEN c.id % 3 = 0 END, c.id % 97 = 0,
       CASE WHEN c.process_key = 'subsidy_approval' THEN c.started_at + interval '4 days' END,
       CASE WHEN c.process_key = 'subsidy_approval' AND c.status = 'completed' THEN c.started_at + interval '8 days' END,
       c.ended_at,
       CASE WHEN c.status = 'completed' THEN 0.5 + (c.id % 40) / 10.0 END,
       CASE WHEN c.process_key = 'subsidy_approval' AND c.status = 'completed' THEN 1 + (c.id % 50) / 10.0 END,
       (c.id % 23 = 0)::int, 0, (c.id % 7 = 0)::int, false, CASE WHEN c.id % 5 = 0 THEN 1 + c.id % 5 END
FROM cases c WHERE c.id BETWEEN :start AND :stop;

INSERT INTO step_facts (task_id, case_id, process_key, element_id, name, department_code, state, created_at,
                        closed_at, due_at, escalated_at, work_days, on_time)
SELECT c.id || '-' || s, c.id, c.process_key, 'step' || s, '环节' || s, (ARRAY{departments})[1 + (c.id + s) % 8],
       CASE WHEN c.status = 'running' AND s = 3 THEN 'open' ELSE 'completed' END,
       c.started_at + make_interval(days => s - 1),
       CASE WHEN c.status = 'running' AND s = 3 THEN NULL ELSE c.started_at + make_interval(days => s) END,
       c.started_at + make_interval(days => s + 2),
       CASE WHEN (c.id + s) % 31 = 0 THEN c.started_at + make_interval(days => s + 2) END,
       CASE WHEN c.status = 'running' AND s = 3 THEN NULL ELSE 0.2 + ((c.id + s) % 30) / 10.0 END,
       CASE WHEN c.status = 'running' AND s = 3 THEN NULL ELSE (c.id + s) % 13 <> 0 END
FROM cases c CROSS JOIN generate_series(1, 3) s WHERE c.id BETWEEN :start AND :stop;

INSERT INTO audit_log (seq, at, actor, department, case_id, business_key, task_id, event, details, prev_hash, hash)
SELECT (SELECT COALESCE(max(seq), 0) FROM audit_log) + (c.id - :start) * 5 + e, c.started_at + make_interval(hours => e * 5), 'bench', (ARRAY{departments})[1 + (c.id + e) % 8],
       c.id, c.business_key, CASE WHEN e > 1 THEN c.id || '-' || (e - 1) END,
       (ARRAY['case_started','task_ready','task_completed','task_ready','task_completed'])[e],
       CASE WHEN e = 1 THEN '{{}}' ELSE '{{"task":"环节' || e || '","element":"step' || e || '"}}' END, '', ''
FROM cases c CROSS JOIN generate_series(1, 5) e WHERE c.id BETWEEN :start AND :stop;

INSERT INTO alert_watches (rule_id, kind, case_id, task_id, department_code, fire_at)
SELECT 1, 'idle', c.id, NULL, (ARRAY{departments})[1 + c.id % 8], c.started_at + interval '30 days'
FROM cases c WHERE c.status = 'running' AND c.id BETWEEN :start AND :stop;
"""


def _array(values: list[str]) -> str:
    return "[" + ",".join(f"'{v}'" for v in values) + "]"


def setup(db: Database) -> None:
    db.migrate()
    with db.write() as session:
        seed_departments(session)
        session.execute(text("INSERT INTO deployments (id, deployed_at, deployed_by, note) VALUES (1, now(), 'bench', '')"))
        for i, key in enumerate(PROCESSES, 1):
            session.execute(text("INSERT INTO process_definitions (id, process_key, version, name, content_hash, "
                                 "deployment_id, files, deployed_at) VALUES (:i, :k, 1, :k, '', 1, '', now())"),
                            {"i": i, "k": key})
        session.execute(text("INSERT INTO alert_rules (id, process_key, kind, threshold, active, created_by, created_at) "
                             "VALUES (1, 'admission_review', 'idle', 20, true, 'bench', now())"))


def grow(db: Database, start: int, stop: int) -> float:
    """Add cases start..stop with their facts, steps, audit entries and watches; returns seconds."""
    began = time.perf_counter()
    sql = GENERATE.format(processes=_array(PROCESSES), areas=_array(AREAS), departments=_array(DEPARTMENTS),
                          span=SPAN_DAYS)
    chunk = 100_000
    for low in range(start, stop + 1, chunk):
        with db.write() as session:
            for statement in filter(str.strip, sql.split(";\n")):
                session.execute(text(statement), {"start": low, "stop": min(stop, low + chunk - 1)})
    with db.write() as session:
        session.execute(text("UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_log)"))
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - began


def summed(db: Database) -> float:
    """Sum every month's rollups from the facts (what the worker keeps up to date month by month)."""
    began = time.perf_counter()
    with db.write() as session:
        rollups.rebuild(session, kpis.ZoneInfo("Asia/Shanghai"))
    return time.perf_counter() - began


def timed(action, runs: int) -> list[float]:
    action()  # warm
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        out.append(time.perf_counter() - began)
    return out


def measure(db: Database, runs: int) -> dict[str, list[float]]:
    tz = kpis.ZoneInfo("Asia/Shanghai")
    period = kpis.current_period("quarter", tz)

    def dashboard(scope: kpis.Scope):
        with db.read() as session:
            kpis.compare(session, period, scope, tz)
            kpis.trend(session, period, scope, tz)
            alerts.open_alerts(session, [scope.department] if scope.department else None)

    def node_assessment():
        with db.read() as session:
            assessment.assess(session, period, DEPARTMENTS, tz)
    return {"dashboard (all departments)": timed(lambda: dashboard(kpis.Scope()), runs),
            "dashboard (one department)": timed(lambda: dashboard(kpis.Scope(department="EDU")), runs),
            "node assessment (8 departments)": timed(node_assessment, runs)}


def sweep(db: Database) -> tuple[float, int]:
    with db.write() as session:
        session.execute(text("UPDATE alert_watches SET fire_at = now() - interval '1 hour' WHERE id IN "
                             "(SELECT id FROM alert_watches WHERE raised_at IS NULL ORDER BY id LIMIT 1000)"))
    began = time.perf_counter()
    with db.write() as session:
        raised = alerts.sweep(session, datetime.now(timezone.utc))
    return time.perf_counter() - began, raised


def export(db: Database) -> tuple[float, int, int]:
    tz = kpis.ZoneInfo("Asia/Shanghai")
    today = datetime.now(timezone.utc).date()
    selection = eventlog.Selection(start=date.fromordinal(today.toordinal() - 60), end=today)
    counts = eventlog.Counts()
    tracemalloc.start()
    began = time.perf_counter()
    size = 0
    with db.read() as session:
        for piece in eventlog.xes(session, selection, tz, counts):
            size += len(piece)
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return counts.events / seconds, counts.events, peak


def report(label: str, results: dict[str, list[float]]) -> dict[str, float]:
    out = {}
    for name, values in results.items():
        p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
        out[name] = p95
        print(f"  {label:>9}  {name:<34} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url, schema = postgres_url()
    if url is None:
        print("not measured: no PostgreSQL on 127.0.0.1:5432")
        return
    db = Database(url)
    try:
        setup(db)
        figures = {}
        for label, start, stop in (("small", 1, args.small), ("large", args.small + 1, args.large)):
            seconds = grow(db, start, stop)
            print(f"{stop:,} cases ({3 * stop:,} steps, {5 * stop:,} audit entries) generated in {seconds:.0f} s; "
                  f"all months summed in {summed(db):.0f} s")
            figures[label] = report(f"{stop // 1000}k", measure(db, args.runs))
            took, raised = sweep(db)
            print(f"  {stop // 1000:>8}k  alert sweep, {raised} due of {stop // 10:,} watched cases: {took * 1000:.0f} ms")
            rate, events, peak = export(db)
            print(f"  {stop // 1000:>8}k  XES export of the last 60 days: {events:,} events, {rate:,.0f} events/s, "
                  f"peak {peak / 2**20:.1f} MiB")
        for name in figures["small"]:
            print(f"{name}: p95 at {args.large:,} is {figures['large'][name] / figures['small'][name]:.2f}x of {args.small:,}")
    finally:
        db.dispose()
        drop_schema(url, schema)


if __name__ == "__main__":
    main()
