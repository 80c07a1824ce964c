"""The `jointreview` command line. Other packages add commands through the `jointreview.cli` entry points."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import threading
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

from . import (accounts, audit, cases, checkpoints, cli_actions, cli_calendar, cli_directory, cli_figures, cli_retention,
               cli_migrate, cli_rules, logs, repository, rules, timers, tokens)
from .config import Settings, make_runtime
from .definitions import read_files
from .errors import DeployError, EngineError, InvalidInput
from .models import Case, Task
from .routing import Actor, add_user, load_actor, seed_departments
from .runtime import Runtime

CLI_GROUP = "jointreview.cli"


def _runtime(args: argparse.Namespace) -> Runtime:
    rt = make_runtime(Settings.from_env(args.db))
    if not getattr(args, "creates_schema", False) and not rt.db.is_migrated():
        raise EngineError(f"the database at {rt.db.url} has no schema yet; run `jointreview init-db` first")
    return rt


def _json_arg(text: str | None, file: str | None, what: str) -> dict[str, Any]:
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise EngineError(f"{file}: not UTF-8 text") from None
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EngineError(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(value, dict):
        raise EngineError(f"{what} must be a JSON object like {{\"field\": \"value\"}}")
    return value


_actor = cli_actions.actor_of


def _when(rt: Runtime, moment: datetime | None) -> str:
    """A moment in the calendar's time zone (the office's local time), or '-'."""
    return moment.astimezone(rt.calendar.tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _print_task_rows(rt: Runtime, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        get = row.get
        due_text = _when(rt, get("due_at"))
        who = get("assignee") or "(unclaimed)"
        print(f"  {get('id')}  {get('department_code'):<6} {get('role'):<10} {get('name')}  due {due_text}  {who}")


# --- commands --------------------------------------------------------------------------------------

def cmd_init_db(rt: Runtime, args: argparse.Namespace) -> int:
    rt.db.migrate()
    with rt.db.write() as session:
        added = seed_departments(session)
    print(f"database ready at {rt.db.url} (schema at newest revision; {added} departments added)")
    return 0


def cmd_validate(rt: Runtime, args: argparse.Namespace) -> int:
    files = read_files(args.paths)
    if rt.db.is_migrated():
        with rt.db.read() as session:
            compiled = rt.compile(session, files)
    else:
        print("(no database: lanes are checked against the standard departments)")
        compiled = rt.compile(None, files)
    for key, model in sorted(compiled.processes.items()):
        print(f"ok: {key} ({model.name}) uses {', '.join(model.files)}")
    print(f"{len(files)} files valid")
    return 0


def cmd_deploy(rt: Runtime, args: argparse.Namespace) -> int:
    files = read_files(args.paths)
    if not (args.note or "").strip():  # every version says why it was deployed (the designer pages ask the same)
        raise EngineError('say why this version is deployed: --note "…" (it is recorded with the version)')
    effective = rules.effective_moment(rt.calendar, args.effective)
    with rt.db.write() as session:
        results = repository.deploy(session, rt, _actor(rt, args.user), files, args.note.strip(), effective)
    for item in results:
        state = "new version" if item.created else "unchanged"
        print(f"{item.process_key} v{item.version} ({item.name}): {state}")
    cli_rules.print_pending(rt)
    return 0


def cmd_start(rt: Runtime, args: argparse.Namespace) -> int:
    data = _json_arg(args.data, args.data_file, "--data")
    with rt.db.write() as session:
        outcome = cases.start(session, rt, _actor(rt, args.user), args.process, data, args.key)
    print(f"started {outcome.business_key} ({outcome.status})")
    _print_task_rows(rt, outcome.opened)
    return 0 if outcome.status != "failed" else 1


def cmd_tasks(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.read() as session:
        stmt = select(Task, Case.business_key).join(Case, Case.id == Task.case_id)
        if not args.all:
            stmt = stmt.where(Task.state == "open")
        if args.user:
            actor = load_actor(session, args.user)
            stmt = stmt.where(Task.department_code.in_(list(actor.departments)))
        if args.department:
            stmt = stmt.where(Task.department_code == args.department)
        if args.case:
            stmt = stmt.where(Case.business_key == args.case)
        rows = session.execute(stmt.order_by(Task.due_at, Task.created_at).limit(args.limit)).all()
    if not rows:
        print("no tasks")
    for task, key in rows:
        print(f"{task.id}  {key:<18} {task.department_code:<6} {task.name}  [{task.state}] "
              f"due {_when(rt, task.due_at)}  {task.assignee or '(unclaimed)'}")
    return 0


def cmd_cases(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.read() as session:
        stmt = select(Case).order_by(Case.updated_at.desc()).limit(args.limit)
        if args.status:
            stmt = stmt.where(Case.status == args.status)
        if args.process:
            stmt = stmt.where(Case.process_key == args.process)
        rows = session.execute(stmt).scalars().all()
    if not rows:
        print("no cases")
    for case in rows:
        note = f"  {case.error}" if case.error else ""
        print(f"{case.business_key:<18} {case.process_key:<20} {case.status:<10} updated {_when(rt, case.updated_at)}"
              f"  next timer {_when(rt, case.next_due_at)}{note}")
    return 0


def cmd_claim(rt: Runtime, args: argparse.Namespace) -> int:
    actor = _actor(rt, args.user)
    with rt.db.write() as session:
        task = cases.claim(session, rt, actor, args.task)
    print(f"claimed {task.name!r} for {actor.username}")
    return 0


def cmd_release(rt: Runtime, args: argparse.Namespace) -> int:
    actor = _actor(rt, args.user)
    with rt.db.write() as session:
        task = cases.release(session, rt, actor, args.task)
    print(f"released {task.name!r}")
    return 0


def cmd_reassign(rt: Runtime, args: argparse.Namespace) -> int:
    actor = _actor(rt, args.user)
    with rt.db.write() as session:
        moved = cases.reassign(session, rt, actor, args.tasks, args.to, args.reason)
    print(f"reassigned {len(moved)} task(s) to {args.to}")
    return 0


def cmd_complete(rt: Runtime, args: argparse.Namespace) -> int:
    values = _json_arg(args.data, args.data_file, "--data")
    actor = _actor(rt, args.user)
    with rt.db.write() as session:
        outcome = cases.complete(session, rt, actor, args.task, values)
    print(f"completed; case {outcome.business_key} is {outcome.status}")
    _print_task_rows(rt, outcome.opened)
    if outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    return 0


def cmd_worker(rt: Runtime, args: argparse.Namespace) -> int:
    logs.setup()
    print(f"timer worker {args.name} on {rt.db.url} (Ctrl-C to stop)", flush=True)
    stop = threading.Event()  # SIGTERM (systemd, a supervisor) and Ctrl-C stop it after the current round
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    result = timers.run(rt, args.name, stop=stop, poll=args.poll, once=args.once)
    postponed = f"; {result.postponed} put off after a transient database error" if result.postponed else ""
    print(f"fired timers of {result.fired} case(s); {result.failed} failed{postponed}")
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    return 0 if result.failed == 0 else 1


def cmd_audit_verify(rt: Runtime, args: argparse.Namespace) -> int:
    trusted = {k for k in (args.public_key or os.environ.get("JOINTREVIEW_AUDIT_PUBLIC_KEY", "")).split(",") if k}
    with rt.db.read() as session:
        result = audit.verify(session)
        given = checkpoints.stored(session) + [c for f in args.checkpoints or [] for c in checkpoints.read_file(f)]
        problems = checkpoints.check(session, given, trusted)
    print(result)
    for problem in problems:
        print(f"not intact: {problem}")
    if given and not problems:
        print(f"{len(given)} checkpoint(s) hold" + ("" if trusted else " (no published key given: signatures "
                                                                       "checked against their own keys only)"))
    return 0 if result.ok and not problems else 1


def cmd_audit_keygen(rt: Runtime, args: argparse.Namespace) -> int:
    public = checkpoints.generate(args.out)
    print(f"signing key written to {args.out} (keep it outside the database, readable by the worker only)")
    print(f"public key (publish it; JOINTREVIEW_AUDIT_PUBLIC_KEY): {public}")
    return 0


def cmd_audit_checkpoint(rt: Runtime, args: argparse.Namespace) -> int:
    key = checkpoints.load_key(args.key or os.environ.get("JOINTREVIEW_AUDIT_KEY"))
    with rt.db.write() as session:
        checkpoint = checkpoints.sign(session, key)
    target = args.export or os.environ.get("JOINTREVIEW_AUDIT_CHECKPOINT_FILE")
    if target:
        checkpoints.export(checkpoint, target)
    print(f"checkpoint of #{checkpoint.seq} signed at {checkpoint.at}" + (f", exported to {target}" if target else ""))
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise EngineError("the two passwords differ")
    return first


def cmd_user_add(rt: Runtime, args: argparse.Namespace) -> int:
    memberships = _memberships(args.dept)
    with rt.db.write() as session:
        if args.no_password:
            add_user(session, args.username, args.name or args.username, None, memberships, tuple(args.role or ()))
        else:
            accounts.create(session, Actor.system("cli"), args.username, args.name or args.username, _password(args),
                            memberships, tuple(args.role or ()))
    print(f"user {args.username} added")
    return 0


def _memberships(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        code, _, role = item.partition(":")
        out[code.strip().upper()] = (role or "reviewer").strip()
    return out


def cmd_user_access(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.write() as session:
        accounts.set_access(session, Actor.system("cli"), args.username, _memberships(args.dept), tuple(args.role or ()))
    print(f"access of {args.username} set")
    return 0


def cmd_user_active(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.write() as session:
        accounts.set_active(session, Actor.system("cli"), args.username, args.user_command == "activate")
    print(f"{args.username} {args.user_command}d")
    return 0


def cmd_user_password(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.write() as session:
        accounts.set_password(session, Actor.system("cli"), args.username, _password(args))
    print(f"password of {args.username} set")
    return 0


def cmd_token_issue(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.write() as session:
        issued = tokens.issue(session, Actor.system("cli"), args.name, args.role, args.dept, args.user, args.expires_days)
        name = issued.token.name
    print(f"token {name} issued; it is shown only this once:", file=sys.stderr)
    print(issued.secret)
    return 0


def cmd_token_revoke(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.write() as session:
        tokens.revoke(session, Actor.system("cli"), args.name)
    print(f"token {args.name} revoked")
    return 0


def cmd_token_list(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.read() as session:
        rows = tokens.listing(session)
    for t in rows:
        scope = f"{t.role}@{t.department_code}" if t.department_code else t.role
        used = _when(rt, t.last_used_at) if t.last_used_at else "never used"
        print(f"{t.name:<24} {t.hint}…  {scope:<18} {t.username or '(system)':<18} {tokens.state(t):<8} {used}")
    if not rows:
        print("no tokens")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every built-in and plugged-in command."""
    parser = argparse.ArgumentParser(prog="jointreview", description="JointReview: cross-department joint review engine")
    parser.add_argument("--db", help="database URL (default: $JOINTREVIEW_DATABASE_URL or sqlite:///jointreview.db)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable | None, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if func is not None:
            p.set_defaults(func=func)
        return p

    add("init-db", cmd_init_db, "create or upgrade the database schema and the standard departments").set_defaults(
        creates_schema=True)
    p = add("validate", cmd_validate, "check BPMN/DMN files and print every problem as file:line: element: message "
                                      "(exit 1: refused; 2: an internal error)")
    p.add_argument("paths", nargs="+", help=".bpmn/.dmn files or folders")
    p.set_defaults(creates_schema=True)  # needs no schema: without one, the standard departments are used
    p = add("deploy", cmd_deploy, "validate and deploy BPMN/DMN files; changed processes get a new version")
    p.add_argument("paths", nargs="+", help=".bpmn/.dmn files or folders")
    p.add_argument("--note", help="why this version is deployed (required; recorded with the version)")
    p.add_argument("--user", help="deploying user (default: system)")
    p.add_argument("--effective", help="YYYY-MM-DD: a changed shared rule table takes effect on this day at the "
                                       "earliest (once co-signed)")
    p = add("start", cmd_start, "start a case of the newest version of a process")
    p.add_argument("process", help="process id, e.g. admission_review")
    p.add_argument("--data", help="initial data as a JSON object")
    p.add_argument("--data-file", help="file with the initial data as a JSON object")
    p.add_argument("--key", help="business key (default: generated, e.g. ADM-2026-000123)")
    p.add_argument("--user", help="starting user (default: system)")
    p = add("tasks", cmd_tasks, "list inbox tasks")
    p.add_argument("--user", help="only tasks of this user's departments")
    p.add_argument("--department", help="only tasks of this department code")
    p.add_argument("--case", help="only tasks of this business key")
    p.add_argument("--all", action="store_true", help="include completed and cancelled tasks")
    p.add_argument("--limit", type=int, default=50)
    p = add("cases", cmd_cases, "list cases, e.g. the stuck or failed ones")
    p.add_argument("--status", choices=["running", "completed", "stuck", "failed"])
    p.add_argument("--process", help="only cases of this process id")
    p.add_argument("--limit", type=int, default=50)
    for name, func, text in (("claim", cmd_claim, "claim a task"), ("release", cmd_release, "release a claimed task")):
        p = add(name, func, text)
        p.add_argument("task", help="task id")
        p.add_argument("--user", required=True)
    p = add("complete", cmd_complete, "complete a task with form values")
    p.add_argument("task", help="task id")
    p.add_argument("--user", required=True)
    p.add_argument("--data", help="form values as a JSON object")
    p.add_argument("--data-file", help="file with the form values as a JSON object")
    p = add("reassign", cmd_reassign, "reassign tasks to a member (supervisors)")
    p.add_argument("tasks", nargs="+", help="task ids")
    p.add_argument("--to", required=True, help="username of the new assignee")
    p.add_argument("--reason", required=True)
    p.add_argument("--user", required=True)
    p = add("worker", cmd_worker, "run the timer worker (fires due timers, reminders, escalations)")
    p.add_argument("--name", default="worker")
    p.add_argument("--poll", type=float, default=0.5, help="longest sleep between checks, in seconds")
    p.add_argument("--once", action="store_true", help="fire what is due now and exit")
    p = sub.add_parser("audit", help="audit log commands", description="audit log commands")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", required=True)
    v = audit_sub.add_parser("verify", help="check the hash chain and the signed checkpoints; names what is wrong")
    v.add_argument("--checkpoints", action="append", help="a file of exported checkpoints (repeatable)")
    v.add_argument("--public-key", help="the published public key(s), comma separated "
                                        "(default: $JOINTREVIEW_AUDIT_PUBLIC_KEY)")
    v.set_defaults(func=cmd_audit_verify)
    k = audit_sub.add_parser("keygen", help="create the Ed25519 signing key for checkpoints; prints the public key")
    k.add_argument("--out", required=True, help="the key file to write (never overwritten)")
    k.set_defaults(func=cmd_audit_keygen)
    c = audit_sub.add_parser("checkpoint", help="sign the chain's head now (the worker also does it every hour)")
    c.add_argument("--key", help="the signing key file (default: $JOINTREVIEW_AUDIT_KEY)")
    c.add_argument("--export", help="also append the checkpoint to this file (default: $JOINTREVIEW_AUDIT_CHECKPOINT_FILE)")
    c.set_defaults(func=cmd_audit_checkpoint)
    p = sub.add_parser("user", help="user commands", description="user commands")
    user_sub = p.add_subparsers(dest="user_command", metavar="SUBCOMMAND", required=True)
    u = user_sub.add_parser("add", help="add a user with department memberships")
    u.add_argument("username")
    u.add_argument("--name", help="display name")
    u.add_argument("--dept", action="append", help="CODE:role, e.g. EDU:reviewer (repeatable)")
    u.add_argument("--role", action="append", choices=["designer", "auditor", "admin"])
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u.add_argument("--no-password", action="store_true", help="an account that cannot log in (for tests, systems)")
    u.set_defaults(func=cmd_user_add)
    pw = user_sub.add_parser("password", help="set a user's password (asked twice, or --password-stdin)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    pw.set_defaults(func=cmd_user_password)
    ac = user_sub.add_parser("access", help="replace a user's departments (CODE:role) and global roles")
    ac.add_argument("username")
    ac.add_argument("--dept", action="append", help="CODE:role, e.g. PSB:supervisor (repeatable)")
    ac.add_argument("--role", action="append", choices=["designer", "auditor", "admin"])
    ac.set_defaults(func=cmd_user_access)
    for verb in ("activate", "deactivate"):
        act = user_sub.add_parser(verb, help=f"{verb} a user (history is kept)")
        act.add_argument("username")
        act.set_defaults(func=cmd_user_active)
    p = sub.add_parser("token", help="REST API tokens", description="REST API tokens (shown once, stored hashed)")
    token_sub = p.add_subparsers(dest="token_command", metavar="SUBCOMMAND", required=True)
    t = token_sub.add_parser("issue", help="issue a token for a system or a person; prints the secret once")
    t.add_argument("name", help="a name for the token, e.g. portal or psb-system")
    t.add_argument("--role", required=True, choices=tokens.ROLES)
    t.add_argument("--dept", help="department code (for reviewer, supervisor and head tokens)")
    t.add_argument("--user", help="the person the token acts as (default: a system token)")
    t.add_argument("--expires-days", type=int, help="the token stops working after this many days")
    t.set_defaults(func=cmd_token_issue)
    t = token_sub.add_parser("revoke", help="stop a token at once")
    t.add_argument("name")
    t.set_defaults(func=cmd_token_revoke)
    token_sub.add_parser("list", help="all tokens with their scope and state").set_defaults(func=cmd_token_list)
    cli_figures.register(add)
    cli_actions.register(add)
    cli_retention.register(add)
    cli_directory.register(add)
    cli_calendar.register(add)
    cli_rules.register(add)
    cli_migrate.register(add)
    for entry in entry_points(group=CLI_GROUP):
        try:
            entry.load()(add)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the engine's commands down
            print(f"warning: the {entry.name!r} commands are unavailable ({type(exc).__name__}: {exc})", file=sys.stderr)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors print a plain message and give a non-zero exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rt = _runtime(args)
        return args.func(rt, args)
    except DeployError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ArgumentError as exc:
        print(f"error: the database URL is not valid: {exc}", file=sys.stderr)
        return 1
    except (OperationalError, InterfaceError) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        print(f"error: cannot use the database ({reason})", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a defect: say so plainly, with exit code 2, never a traceback
        print(f"internal error: {type(exc).__name__}; please report it with the command you ran", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
