"""The inbox, team and case pages and `audit verify` at scale on PostgreSQL: 100,000 and then 1,000,000
cases (3 steps each, 37 % running with one open step, 10 audit entries each on a valid hash chain),
generated in bulk (SQL for cases and steps, COPY for the chain), not through the engine. The pages are
requested through the real web app (Flask test client, logged in); p50/p95 of each, the ratio 1M / 100k,
and audit verify throughput.

    python bench/scale.py [--small 100000] [--large 1000000] [--runs 50]
"""
from __future__ import annotations

import argparse
import io
import os
import time
from datetime import datetime, timedelta, timezone

from common import drop_schema, percentile, postgres_url
from sqlalchemy import text

os.environ.setdefault("JOINTREVIEW_PG_STATEMENT_TIMEOUT", "30min")  # the bulk inserts are single statements
os.environ["JOINTREVIEW_LOG_FORMAT"] = "text"

from engine import audit, cases, lookup, repository  # noqa: E402
from engine.config import Settings, make_runtime  # noqa: E402
from engine.definitions import read_files  # noqa: E402
from engine.passwords import hash_password  # noqa: E402
from engine.routing import Actor, add_user, seed_departments  # noqa: E402
from workflows.walkthrough import BPMN  # noqa: E402

DEPARTMENTS = ["EDU", "PSB", "HRSS", "HUD", "HEALTH", "STREET", "FIN", "JOINT"]
PASSWORD = "Bench-Passw0rd"
MEMBERS = 20  # reviewers per department who hold claimed steps
AUDIT_PER_CASE = 10

CASES = """
INSERT INTO cases (id, business_key, definition_id, process_key, status, state, version, summary, visited, error,
                   started_by, started_at, updated_at, ended_at)
SELECT g, 'BX-' || (2000 + g / 1000000) || '-' || lpad((g % 1000000)::text, 6, '0'),
       CASE WHEN g % 100 < 37 THEN :inquiry ELSE (ARRAY[:inquiry, :admission, :subsidy])[1 + g % 3] END,
       CASE WHEN g % 100 < 37 THEN 'formal_inquiry'
            ELSE (ARRAY['formal_inquiry', 'admission_review', 'subsidy_approval'])[1 + g % 3] END,
       CASE WHEN g % 100 < 37 THEN 'running' ELSE 'completed' END,
       CASE WHEN g % 100 < 37 THEN :state ELSE '' END, 1,
       '{{"applicant_name": "申请人' || g || '"}}', '', NULL, 'bench',
       now() - make_interval(mins => ((g * 7919) % (400 * 1440))::int), now(),
       CASE WHEN g % 100 >= 37 THEN now() - make_interval(mins => ((g * 7919) % (400 * 1440))::int) + interval '9 days' END
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) g;

INSERT INTO tasks (id, case_id, process_key, element_id, name, lane, department_code, role, state, assignee, priority,
                   created_at, claimed_at, due_at, closed_at, completed_by, data)
SELECT uuid_in(md5(c.id || '-' || s)::cstring)::text, c.id,
       CASE WHEN c.status = 'running' AND s = 3 THEN (ARRAY['formal_inquiry', 'admission_review', 'subsidy_approval'])[1 + (c.id / 100) % 3]
            ELSE c.process_key END,
       'step' || s, '环节' || s, NULL, ({departments})[1 + (c.id + CASE WHEN s = 3 THEN 0 ELSE s END) % 8],
       CASE WHEN c.id % 20 = 7 THEN 'supervisor' ELSE 'reviewer' END,
       CASE WHEN c.status = 'running' AND s = 3 THEN 'open' ELSE 'completed' END,
       CASE WHEN c.status = 'running' AND s = 3 AND c.id % 100 < 3 THEN NULL
            WHEN c.status = 'running' AND s = 3 AND (c.id / 7) % 100 >= 8 THEN NULL
            ELSE lower(({departments})[1 + (c.id + CASE WHEN s = 3 THEN 0 ELSE s END) % 8]) || '_rev' || ((c.id / 8) % {members}) END,
       50, c.started_at + make_interval(days => s - 1), NULL,
       CASE WHEN c.id % 50 = 0 THEN NULL ELSE c.started_at + make_interval(days => s + 2, mins => (c.id % 997)::int) END,
       CASE WHEN c.status = 'running' AND s = 3 THEN NULL ELSE c.started_at + make_interval(days => s) END,
       NULL, '{{}}'
FROM cases c CROSS JOIN generate_series(1, 3) s WHERE c.id BETWEEN :start AND :stop;
"""


def _array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def setup(url: str):
    rt = make_runtime(Settings.from_env(url))
    rt.db.migrate()
    with rt.db.write() as session:
        seed_departments(session)
    with rt.db.write() as session:
        repository.deploy(session, rt, Actor.system("bench"), read_files([BPMN]))
        secret = hash_password(PASSWORD)
        add_user(session, "edu_reviewer", "王晓明", secret, memberships={"EDU": "reviewer"})
        add_user(session, "edu_supervisor", "赵静", secret, memberships={"EDU": "supervisor"})
        add_user(session, "auditor", "审计员", secret, roles=("auditor",))
        for code in DEPARTMENTS:
            for i in range(MEMBERS):
                add_user(session, f"{code.lower()}_rev{i}", f"{code}{i}", secret, memberships={code: "reviewer"})
    with rt.db.read() as session:
        ids = dict(session.execute(text("SELECT process_key, max(id) FROM process_definitions GROUP BY process_key")).all())
    with rt.db.write() as session:  # one real running inquiry: its state is the template of the running cases
        out = cases.start(session, rt, Actor.system("bench"), "formal_inquiry",
                          {"requester_department": "PSB", "target_department": "EDU"}, business_key="TEMPLATE-1")
        state = session.execute(text("SELECT state FROM cases WHERE id = :id"), {"id": out.case_id}).scalar_one()
        session.execute(text("DELETE FROM tasks WHERE case_id = :id"), {"id": out.case_id})
        session.execute(text("DELETE FROM audit_log"))
        session.execute(text("DELETE FROM audit_head"))
        session.execute(text("DELETE FROM cases WHERE id = :id"), {"id": out.case_id})
    return rt, {"inquiry": ids["formal_inquiry"], "admission": ids["admission_review"],
                "subsidy": ids["subsidy_approval"], "state": state}


def grow(rt, params: dict, start: int, stop: int) -> float:
    """Add cases start..stop with their steps and audit entries; returns seconds."""
    began = time.perf_counter()
    sql = CASES.format(departments=_array(DEPARTMENTS), members=MEMBERS)
    chunk = 100_000
    for low in range(start, stop + 1, chunk):
        with rt.db.write() as session:
            for statement in filter(str.strip, sql.split(";\n")):
                session.execute(text(statement), {**params, "start": low, "stop": min(stop, low + chunk - 1)})
        _chain(rt, low, min(stop, low + chunk - 1))
    with rt.db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - began


def _chain(rt, start: int, stop: int) -> None:
    """AUDIT_PER_CASE entries per case, hashed onto the chain as the engine hashes them, written with COPY."""
    with rt.db.write() as session:
        head = session.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
        seq, prev = head if head else (0, audit.GENESIS)
        keys = dict(session.execute(text("SELECT id, business_key FROM cases WHERE id BETWEEN :a AND :b"),
                                    {"a": start, "b": stop}).all())
        base = datetime(2026, 1, 1, tzinfo=timezone.utc)
        buffer = io.StringIO()
        for case_id in range(start, stop + 1):
            key = keys[case_id]
            for e in range(AUDIT_PER_CASE):
                seq += 1
                at = base + timedelta(seconds=seq)
                event = "case_started" if e == 0 else ("task_ready", "task_claimed", "task_completed")[e % 3]
                details = audit.canonical({"task": f"环节{e}", "element": f"step{e}"} if e else {"process": "bench"})
                digest = audit.entry_hash(prev, seq, at, "bench", "EDU", case_id, key, None, event, details)
                buffer.write("\t".join([str(seq), at.isoformat(), "bench", "EDU", str(case_id), key, r"\N", event,
                                        details.replace("\\", "\\\\"), prev, digest]) + "\n")
                prev = digest
        raw = session.connection().connection
        with raw.cursor().copy("COPY audit_log (seq, at, actor, department, case_id, business_key, task_id, event, "
                               "details, prev_hash, hash) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :s, :h) ON CONFLICT (id) DO UPDATE "
                             "SET seq = :s, hash = :h"), {"s": seq, "h": prev})
        buffer = io.StringIO()  # what staff find each case by: its applicant's name and ID number (engine/lookup.py)
        for case_id in range(start, stop + 1):
            buffer.write(f"{lookup.digest(f'申请人{case_id}')}\t{case_id}\tapplicant_name\n"
                         f"{lookup.digest(fake_id(case_id))}\t{case_id}\tapplicant_id\n")
        with raw.cursor().copy("COPY case_lookup (digest, case_id, field) FROM STDIN") as copy:
            copy.write(buffer.getvalue())


def fake_id(case_id: int) -> str:
    return f"3301061988{case_id:08d}"


def timed(get, url: str, runs: int) -> list[float]:
    response = get(url)
    assert response.status_code == 200, (url, response.status_code, response.data[:300])
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        get(url)
        out.append(time.perf_counter() - began)
    return out


def deep_cursor(rt, where: str, order: str, at: float) -> str:
    """The inbox cursor of the step at `at` (0..1) of a queue, as the page would hand it on."""
    with rt.db.read() as session:
        total = session.execute(text(f"SELECT count(*) FROM tasks WHERE {where}")).scalar_one()
        column = "created_at" if order == "received" else "due_at"
        sort = "created_at DESC, id DESC" if order == "received" else "due_at ASC NULLS LAST, id"
        moment, task_id = session.execute(text(f"SELECT {column}, id FROM tasks WHERE {where} ORDER BY {sort} "
                                               f"OFFSET :n LIMIT 1"), {"n": int(total * at)}).one()
    return f"{moment.isoformat() if moment else 'none'}|{task_id}"


def measure(rt, runs: int) -> dict[str, list[float]]:
    from web import create_app
    app = create_app({"DATABASE_URL": rt.db.url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    clients = {}
    for user in ("edu_reviewer", "edu_rev3", "edu_supervisor", "auditor"):
        client = app.test_client()
        assert client.post("/login", data={"username": user, "password": PASSWORD}).status_code == 302
        clients[user] = client
    queue = "state = 'open' AND assignee IS NULL AND department_code = 'EDU' AND role = 'reviewer'"
    mine = "state = 'open' AND assignee = 'edu_rev3'"
    with rt.db.read() as session:
        running = session.execute(text("SELECT business_key FROM cases WHERE status = 'running' "
                                       "AND process_key = 'formal_inquiry' ORDER BY id DESC LIMIT 1")).scalar_one()
    some_key = running
    r, m, t, a = (clients[u].get for u in ("edu_reviewer", "edu_rev3", "edu_supervisor", "auditor"))
    deep = deep_cursor(rt, queue, "due", 0.8)
    return {
        "inbox, department queue, page 1": timed(r, "/inbox?view=department", runs),
        "inbox, department queue, deep page": timed(r, f"/inbox?view=department&after={deep}", runs),
        "inbox, mine, deep page": timed(m, f"/inbox?view=mine&after={deep_cursor(rt, mine, 'due', 0.8)}", runs),
        "inbox, sort by received, deep page": timed(
            r, f"/inbox?view=department&sort=received&after={deep_cursor(rt, queue, 'received', 0.8)}", runs),
        "inbox, filter by process": timed(r, "/inbox?view=department&process=subsidy_approval", runs),
        "inbox, filter by business key": timed(r, f"/inbox?view=department&key={some_key}", runs),
        "inbox, filter by applicant's name": timed(r, "/inbox?view=department&applicant=" + "申请人12345", runs),
        "inbox, filter by ID number": timed(r, "/inbox?view=department&applicant=" + fake_id(23456), runs),
        "team page (EDU supervisor)": timed(t, "/team", runs),
        "case page (running inquiry)": timed(a, f"/cases/{running}", runs),
    }


def verify_rate(rt) -> tuple[float, int]:
    began = time.perf_counter()
    with rt.db.read() as session:
        result = audit.verify(session)
    assert result.ok, str(result)
    return result.checked / (time.perf_counter() - began), result.checked


def report(label: str, results: dict[str, list[float]]) -> dict[str, float]:
    out = {}
    for name, values in results.items():
        p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
        out[name] = p95
        print(f"  {label:>6}  {name:<40} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--verify", action="store_true", help="also time audit verify over the whole chain")
    parser.add_argument("--keep", action="store_true", help="keep the generated schema (its URL is printed)")
    args = parser.parse_args()
    url, schema = postgres_url()
    if url is None:
        print("not measured: no PostgreSQL on 127.0.0.1:5432")
        return
    rt, params = setup(url)
    try:
        figures = {}
        for label, start, stop in (("small", 1, args.small), ("large", args.small + 1, args.large)):
            seconds = grow(rt, params, start, stop)
            with rt.db.read() as session:
                open_steps, queue = session.execute(text(
                    "SELECT count(*) FILTER (WHERE state = 'open'), count(*) FILTER (WHERE state = 'open' AND "
                    "assignee IS NULL AND department_code = 'EDU') FROM tasks")).one()
            print(f"{stop:,} cases ({3 * stop:,} steps, {open_steps:,} open, {queue:,} in EDU's queue; "
                  f"{AUDIT_PER_CASE * stop:,} audit entries) generated in {seconds:.0f} s", flush=True)
            figures[label] = report(f"{stop // 1000}k", measure(rt, args.runs))
            if args.verify or label == "small":
                rate, checked = verify_rate(rt)
                print(f"  {stop // 1000:>5}k  audit verify: {checked:,} entries, {rate:,.0f} entries/s", flush=True)
        for name in figures["small"]:
            print(f"{name}: p95 at {args.large:,} is {figures['large'][name] / figures['small'][name]:.2f}x "
                  f"of {args.small:,}")
    finally:
        rt.db.dispose()
        if args.keep:
            print(f"kept: {url}")
        else:
            drop_schema(url, schema)


if __name__ == "__main__":
    main()
