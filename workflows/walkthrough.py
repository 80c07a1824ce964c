"""A narrated run of a formal inter-department inquiry (部门函询) on the engine, for `make run`.

Sets up the database, demo users and the processes in bpmn/, then takes one inquiry from the
Education Bureau to HR & Social Security and back, prints each department's inbox on the way, fires
due timers and verifies the audit chain. Re-running it adds one more finished case; nothing is duplicated.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import select

from engine import audit, cases, repository, timers
from engine.config import Settings, make_runtime
from engine.definitions import read_files
from engine.models import Case, Task, User
from engine.routing import Actor, add_user, load_actor, seed_departments
from engine.runtime import Runtime

BPMN = Path(__file__).resolve().parents[1] / "bpmn"
DEMO_USERS = [
    ("edu_wang", "王晓明（教育局审核员）", {"EDU": "reviewer"}),
    ("edu_zhao", "赵静（教育局科长）", {"EDU": "supervisor"}),
    ("hrss_li", "李华（人社局审核员）", {"HRSS": "reviewer"}),
    ("hrss_chen", "陈伟（人社局科长）", {"HRSS": "supervisor"}),
    ("joint_sun", "孙丽（联席办）", {"JOINT": "reviewer"}),
]


def say(text: str) -> None:
    print(text, flush=True)


def ensure_users(rt: Runtime) -> None:
    """Create the demo users that do not exist yet."""
    with rt.db.write() as session:
        existing = set(session.execute(select(User.username)).scalars())
        for username, name, memberships in DEMO_USERS:
            if username not in existing:
                add_user(session, username, name, memberships=memberships)


def inbox(rt: Runtime, username: str) -> list[Task]:
    """Open tasks of the user's departments, as the CLI `tasks --user` shows them."""
    with rt.db.read() as session:
        actor = load_actor(session, username)
        return list(session.execute(select(Task).where(Task.state == "open",
                                                       Task.department_code.in_(list(actor.departments)))
                                    .order_by(Task.due_at)).scalars())


def show_inbox(rt: Runtime, username: str) -> None:
    tasks = inbox(rt, username)
    say(f"  inbox of {username}: " + (", ".join(f"{t.name} [{t.department_code}] due "
                                              f"{t.due_at.astimezone(rt.calendar.tz).strftime('%m-%d %H:%M') if t.due_at else '-'}"
                                              for t in tasks) or "empty"))


def act(rt: Runtime, username: str, task_id: str, values: dict) -> cases.Outcome:
    with rt.db.read() as session:
        actor = load_actor(session, username)
    with rt.db.write() as session:
        cases.claim(session, rt, actor, task_id)
    with rt.db.write() as session:
        return cases.complete(session, rt, actor, task_id, values)


def run(rt: Runtime) -> int:
    """The walkthrough itself; returns a process exit code."""
    say(f"1. database {rt.db.url}: schema upgraded, departments and demo users ready")
    rt.db.migrate()
    with rt.db.write() as session:
        seed_departments(session)
    ensure_users(rt)
    with rt.db.write() as session:
        deployed = repository.deploy(session, rt, Actor.system("walkthrough"), read_files([BPMN]))
    for item in deployed:
        say(f"2. process {item.process_key} v{item.version} ({item.name}): {'deployed' if item.created else 'already deployed'}")

    with rt.db.write() as session:
        out = cases.start(session, rt, Actor.system("walkthrough"), "formal_inquiry",
                          {"requester_department": "EDU", "target_department": "HRSS", "case_ref": "ADM-2026-000123"})
    say(f"3. started inquiry {out.business_key}: 教育局 asks 人社局 about an applicant's insured months")
    show_inbox(rt, "edu_wang")
    out = act(rt, "edu_wang", out.opened[0]["id"], {
        "inquiry_subject": "申请人社保缴费月数核实", "reply_days": 5,
        "questions": "请核实申请人张三（身份证号110105********1234）2023年1月至2025年12月在本市的社保缴费月数。"})
    say("4. 教育局 (edu_wang) sent the inquiry; the reply is due in 5 working days")
    show_inbox(rt, "hrss_li")
    out = act(rt, "hrss_li", out.opened[0]["id"], {"answer": "经核查，申请人在本市累计缴费34个月，其中2024年3月、4月中断。",
                                                  "evidence": "社保系统缴费明细截图"})
    say("5. 人社局 reviewer (hrss_li) drafted the answer; it goes to the section chief for signing")
    show_inbox(rt, "hrss_chen")
    out = act(rt, "hrss_chen", out.opened[0]["id"], {"sign_decision": "approve", "sign_comment": "同意"})
    say("6. 人社局 section chief (hrss_chen) signed it (签发); back to 教育局 for review")
    out = act(rt, "edu_wang", out.opened[0]["id"], {"review_decision": "accept"})
    say(f"7. 教育局 accepted the answer: case {out.business_key} is {out.status}")

    result = timers.sweep(rt, Actor.system("walkthrough"))
    say(f"8. timer sweep: fired the due timers of {result.fired} case(s)")
    with rt.db.read() as session:
        verification = audit.verify(session)
        finished = session.execute(select(Case.business_key).where(Case.status == "completed")).scalars().all()
    say(f"9. {verification}")
    say(f"   finished cases in this database: {len(finished)}")
    say("\nTry it yourself:")
    say(f"  .venv/bin/jointreview --db {rt.db.url} start formal_inquiry "
        "--data '{\"requester_department\": \"EDU\", \"target_department\": \"HRSS\"}'")
    say(f"  .venv/bin/jointreview --db {rt.db.url} tasks --user edu_wang")
    say(f"  .venv/bin/jointreview --db {rt.db.url} worker")
    return 0 if verification.ok and out.status == "completed" else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m workflows.walkthrough [--db URL]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="database URL (default: $JOINTREVIEW_DATABASE_URL or sqlite:///jointreview.db)")
    args = parser.parse_args(argv)
    return run(make_runtime(Settings.from_env(args.db)))


if __name__ == "__main__":
    sys.exit(main())
