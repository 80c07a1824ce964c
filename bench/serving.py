"""Task completions per second over real HTTP under gunicorn, with 1, 2 and 4 web processes, on PostgreSQL.

Cases of a 3-user-task process are started beforehand through the engine (their first step open); then
CLIENTS threads (keep-alive connections, in their own process) each take a case and complete its steps one
after the other through `POST /api/v1/tasks/{id}/complete` with a department's API token, following the
step each answer opens. Every completion is a full request: token check, rate limit, validation,
idempotency record, the engine's step in one transaction. Prints completions/s, latency p50/p95 and the
rate relative to one process, measured in one run. The load generator shares the machine's cores.

    python bench/serving.py [--cases 400] [--clients 8] [--threads 4]
"""
from __future__ import annotations

import argparse
import os
import queue
import socket
import subprocess
import sys
import threading
import time

import requests
from common import HERE, drop_schema, percentile, postgres_url, prepared_runtime

from engine import cases, tokens
from engine.routing import Actor

BPMN = HERE / "three_tasks.bpmn"
VALUES = {"t1": {"months": 36}, "t2": {"valid": True}, "t3": {"result": "admit"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, processes: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "JOINTREVIEW_API_RATE_LIMIT": str(10**9), "JOINTREVIEW_SECRET_KEY": "bench",
           }
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "--db", url, "serve", "--port", str(port),
                             "--workers", str(processes), "--threads", str(threads)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise SystemExit("gunicorn did not answer on /healthz")
    for _ in range(processes * 4):  # every process has built its app and opened a connection
        requests.get(f"{base}/healthz", timeout=5)
    return proc, base


def start_cases(rt, actor, n: int) -> "queue.Queue[str]":
    firsts: queue.Queue[str] = queue.Queue()
    for _ in range(n):
        with rt.db.write() as session:
            out = cases.start(session, rt, actor, "three_tasks", {"applicant_name": "张三"})
        firsts.put(out.opened[0]["id"])
    return firsts


def drive(base: str, auth: dict[str, dict], firsts: "queue.Queue[str]", clients: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    lock = threading.Lock()
    errors = []

    def client() -> None:
        s = requests.Session()
        mine = []
        while True:
            try:
                task_id, department, element = firsts.get_nowait(), "EDU", "t1"
            except queue.Empty:
                break
            while task_id:
                t0 = time.perf_counter()
                r = s.post(f"{base}/api/v1/tasks/{task_id}/complete", json={"values": VALUES[element]},
                           headers=auth[department])
                mine.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    return
                opened = r.json()["opened"]
                task_id = opened[0]["task_id"] if opened else None
                if task_id:
                    department = opened[0]["department"]
                    element = {"t1": "t2", "t2": "t3"}[element]
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"a completion failed: {errors[0]}")
    return len(latencies) / elapsed, latencies, len(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    url, schema = postgres_url()
    if url is None:
        raise SystemExit("needs PostgreSQL on 127.0.0.1:5432")
    try:
        rt, actor = prepared_runtime(url, BPMN)
        with rt.db.write() as session:
            auth = {d: {"Authorization": "Bearer " + tokens.issue(session, Actor.system("bench"), f"{d.lower()}-bench",
                                                                   "reviewer", d).secret} for d in ("EDU", "PSB")}
        print(f"completions over HTTP under gunicorn on PostgreSQL: {args.cases} cases × 3 steps per run, "
              f"{args.clients} client threads, {args.threads} threads per process, {os.cpu_count()} cores")
        first = None
        for processes in (1, 2, 4):
            firsts = start_cases(rt, actor, args.cases + args.clients * 5)
            proc, base = serve(url, processes, args.threads)
            try:
                warm = queue.Queue()
                for _ in range(args.clients * 5):
                    warm.put(firsts.get())
                drive(base, auth, warm, args.clients)
                rate, latencies, done = drive(base, auth, firsts, args.clients)
            finally:
                proc.terminate()
                proc.wait(30)
            first = first or rate
            print(f"  {processes} process{'es' if processes > 1 else '  '}  {rate:7.1f} completions/s   "
                  f"p50 {percentile(latencies, 0.5) * 1000:6.1f} ms  p95 {percentile(latencies, 0.95) * 1000:6.1f} ms   "
                  f"{rate / first:.2f}× one process   ({done} completions)")
        rt.db.dispose()
    finally:
        drop_schema(url, schema)


if __name__ == "__main__":
    main()
