"""`jointreview demo` builds a realistic data set in every state, and running it again adds nothing."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from engine import wallclock
from engine.cli import main
from engine.db import Database
from engine.models import AuditEntry, Case, Task, User
from engine.passwords import verify_password
from workflows.models import RegistryRecord

pytestmark = pytest.mark.slow


def counts(db):
    with db.read() as session:
        return (session.execute(select(func.count()).select_from(Case)).scalar(),
                session.execute(select(func.count()).select_from(AuditEntry)).scalar(),
                session.execute(select(func.count()).select_from(RegistryRecord)).scalar(),
                session.execute(select(func.count()).select_from(User)).scalar())


@pytest.mark.parametrize("moment", [None, datetime(2026, 11, 30, 5, 2, tzinfo=timezone.utc)], ids=["now", "new-year"])
def test_demo_data_in_every_state_and_idempotent(db_url, capsys, moment):
    """Also on a day when a history case starts near New Year (a second run once made such a case again)."""
    if moment is None:
        check_demo(db_url, capsys)
    else:
        with wallclock.travel(moment):
            check_demo(db_url, capsys)


def check_demo(db_url, capsys):
    assert main(["--db", db_url, "demo", "--cases", "60"]) == 0
    out = capsys.readouterr().out
    db = Database(db_url)
    with db.read() as session:
        statuses = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        open_elements = set(session.execute(select(Task.element_id).where(Task.state == "open")).scalars())
        departments = set(session.execute(select(Task.department_code).where(Task.state == "open")).scalars())
        escalated = session.execute(select(func.count()).select_from(Task).where(Task.escalated_at.is_not(None))).scalar()
        admin = session.execute(select(User).where(User.username == "admin")).scalar_one()
    assert statuses.get("completed") and statuses.get("running") and set(statuses) <= {"completed", "running"}
    assert {"draft_answer", "joint_review", "decide", "street_check", "disburse"} <= open_elements
    assert {"EDU", "JOINT", "STREET", "FIN"} <= departments
    assert escalated > 0
    password = next(line.split()[-1] for line in out.splitlines() if line.strip().startswith("admin "))
    assert verify_password(admin.password_hash, password)
    before = counts(db)
    assert main(["--db", db_url, "demo", "--cases", "60"]) == 0
    assert "Demo cases: 0 new" in capsys.readouterr().out
    assert counts(db) == before
    assert main(["--db", db_url, "audit", "verify"]) == 0
    db.dispose()


@pytest.mark.parametrize("moment", [datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc),
                                    datetime(2026, 2, 10, 2, 0, tzinfo=timezone.utc)], ids=["november", "spring-festival"])
def test_no_demo_event_is_later_than_the_moment_it_is_built(db_url, capsys, moment):
    """Every step is run "as of" a past moment; none may lie after the build (a decision on 12-02 built on 11-30
    was counted by the dashboard), also when a holiday stretches a public notice period."""
    with wallclock.travel(moment):
        assert main(["--db", db_url, "demo", "--cases", "20", "--history", "6"]) == 0
    capsys.readouterr()
    db = Database(db_url)
    with db.read() as session:
        late = {"audit": session.execute(select(AuditEntry.seq).where(AuditEntry.at > moment)).scalars().all(),
                "task created": session.execute(select(Task.id).where(Task.created_at > moment)).scalars().all(),
                "task closed": session.execute(select(Task.id).where(Task.closed_at > moment)).scalars().all(),
                "case ended": session.execute(select(Case.business_key).where(Case.ended_at > moment)).scalars().all()}
        statuses = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        open_elements = set(session.execute(select(Task.element_id).where(Task.state == "open")).scalars())
    db.dispose()
    assert not any(late.values()), late
    assert statuses.get("completed") and statuses.get("running"), "still cases in every state"
    assert {"joint_review", "decide", "street_check", "disburse"} <= open_elements
