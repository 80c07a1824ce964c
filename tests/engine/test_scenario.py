"""The acceptance scenario: 1,000 cases through two departments, two workers firing timers at once,
an intact audit chain, and a hand-edited audit row named by `jointreview audit verify`."""
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from engine.models import AuditEntry, Case
from factories import complete, deploy_fixtures, make_users, opened, start
from test_timers import reminders, worker

CASES = 1000
pytestmark = pytest.mark.slow


def cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", "--db", db_url, *args], capture_output=True, text=True, timeout=120)


def test_thousand_cases_two_departments_two_workers(rt, db_url):
    deploy_fixtures(rt, "sla_two_lane.bpmn")
    users = make_users(rt)
    checks = []
    for i in range(CASES):
        out = start(rt, "sla_two_lane", {"remind_after": "PT1S", "applicant_name": f"申请人{i}"})
        out = complete(rt, users["edu_reviewer" if i % 2 else "edu_reviewer2"], opened(out)["intake"], {})
        checks.append(opened(out)["check"])
    with rt.db.read() as session:
        last_due = session.execute(select(func.max(Case.next_due_at))).scalar()
    time.sleep(max(0.0, (last_due - datetime.now(timezone.utc)).total_seconds()) + 0.1)

    workers = [worker(db_url, "w1", "--once"), worker(db_url, "w2", "--once")]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), "\n".join(o[-3000:] for o in outputs)
    counts = reminders(rt)
    assert len(counts) == CASES and all(n == 1 for _, n in counts), "a timer fired twice or not at all"

    for task_id in checks:
        complete(rt, users["psb_reviewer"], task_id, {})
    with rt.db.read() as session:
        statuses = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        assert statuses == {"completed": CASES}
        victim = session.execute(select(AuditEntry.seq).where(AuditEntry.event == "task_completed")
                                 .order_by(AuditEntry.seq.desc()).limit(1).offset(CASES // 2)).scalar()

    ok = cli(db_url, "audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stdout + ok.stderr
    with rt.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = :seq"), {"seq": victim})
    broken = cli(db_url, "audit", "verify")
    assert broken.returncode == 1
    assert f"BROKEN at entry #{victim}: its content was edited" in broken.stdout
