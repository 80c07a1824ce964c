"""The approval actions of Chinese offices on the command line: 退回, 撤回, 撤回申请, 转办, 委派, 抄送, 催办, 督办,
加签 / 减签 and signing. Each acts as `--user`, with the same checks as the pages and the REST API."""
from __future__ import annotations

import argparse
from typing import Callable

from . import copies, delegation, sendback, signers, supervision, transfers, urges, withdrawal
from .routing import Actor, load_actor
from .runtime import Runtime
from .steps import Outcome


def actor_of(rt: Runtime, username: str | None) -> Actor:
    """The acting user with their memberships (a system actor when none is given)."""
    if not username:
        return Actor.system("cli")
    with rt.db.read() as session:
        return load_actor(session, username)


def _opened(outcome: Outcome) -> None:
    for row in outcome.opened:
        print(f"  opened {row['id']}  {row['department_code']:<6} {row['name']}")
    if outcome.error:
        print(f"  the case stopped with an error: {outcome.error}")


def cmd_send_back(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        if args.to is None:
            found = sendback.targets(session, rt, actor, args.task)
            for t in found:
                print(f"  {t.task_id}  {t.department_code:<6} {t.name}  done by {t.completed_by or '-'}")
            if not found:
                print("no earlier step to send it back to")
            return 0
        outcome = sendback.send_back(session, rt, actor, args.task, args.to, args.reason or "")
    print(f"sent back; case {outcome.business_key} is {outcome.status}")
    _opened(outcome)
    return 0


def cmd_withdraw(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        outcome = withdrawal.withdraw(session, rt, actor, args.task)
    print(f"taken back; case {outcome.business_key} is {outcome.status}")
    _opened(outcome)
    return 0


def cmd_withdraw_application(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        outcome = withdrawal.withdraw_application(session, rt, actor, args.key, args.reason, "window")
    print(f"{outcome.business_key} withdrawn at the applicant's request; it is {outcome.status}")
    return 0


def cmd_transfer(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        task = transfers.transfer(session, rt, actor, args.task, args.to, args.reason)
    print(f"transferred {task.name!r} to {args.to}")
    return 0


def cmd_delegate(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        task = delegation.delegate(session, rt, actor, args.task, args.to, args.note)
    print(f"delegated {task.name!r} to {args.to}; it comes back to {actor.username} to confirm")
    return 0


def cmd_copy(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        count = copies.add(session, actor, args.task, args.to.replace("，", ",").split(","), args.note)
    print(f"copied to {count} people")
    return 0


def cmd_urge(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        times = urges.urge(session, actor, args.task, args.note, per_hour=rt.urges_per_hour)
    print(f"urged ({times} times so far)")
    return 0


def cmd_supervise(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        item = supervision.open_item(session, actor, supervision.configured_overseers(), rt.calendar, args.key,
                                     args.reason, args.days)
    print(f"supervision item #{item.id} on {args.key}, due {item.due_at.astimezone(rt.calendar.tz):%Y-%m-%d %H:%M}")
    return 0


def cmd_add_signer(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        row = signers.add(session, rt, actor, args.task, args.to, args.position, args.reason)
    print(f"signer #{row.id}: {args.to} signs {'before' if args.position == 'before' else 'after'} {actor.username}")
    return 0


def cmd_sign(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        outcome = signers.sign(session, rt, actor, args.task, args.decision, args.opinion)
    print(f"signed ({args.decision}); case {outcome.business_key} is {outcome.status}")
    _opened(outcome)
    return 0


def cmd_remove_signer(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        outcome = signers.remove(session, rt, actor, args.signer, args.reason)
    print(f"signer #{args.signer} removed; case {outcome.business_key} is {outcome.status}")
    _opened(outcome)
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Declare the commands on the main parser (`add(name, func, help)` gives a subparser)."""
    def task_command(name: str, func: Callable, text: str) -> argparse.ArgumentParser:
        p = add(name, func, text)
        p.add_argument("task", help="task id")
        p.add_argument("--user", required=True, help="who acts")
        return p

    p = task_command("send-back", cmd_send_back, "退回: list the earlier steps a task may go back to, or send it back")
    p.add_argument("--to", help="the task id of the earlier step (leave out to list them)")
    p.add_argument("--reason", help="why; shown to the earlier step (required to send back)")
    task_command("withdraw", cmd_withdraw, "撤回: take back a step you completed while the next step is unclaimed")
    p = add("withdraw-application", cmd_withdraw_application, "撤回申请: record at the window that the applicant "
                                                              "withdraws the application")
    p.add_argument("key", help="business key")
    p.add_argument("--reason", required=True)
    p.add_argument("--user", required=True, help="who records it")
    p = task_command("transfer", cmd_transfer, "转办: hand a task to a colleague, with a reason")
    p.add_argument("--to", required=True, help="username of the colleague")
    p.add_argument("--reason", required=True)
    p = task_command("delegate", cmd_delegate, "委派: let a colleague do a task; it comes back to you to confirm")
    p.add_argument("--to", required=True, help="username of the colleague")
    p.add_argument("--note", default="")
    p = task_command("copy", cmd_copy, "抄送: copy the case to departments or people for information")
    p.add_argument("--to", required=True, help="department codes or usernames, comma separated")
    p.add_argument("--note", default="")
    p = task_command("urge", cmd_urge, "催办: urge the holder of an open task")
    p.add_argument("--note", default="")
    p = add("supervise", cmd_supervise, "督办: open a supervision item on an overdue case (the overseeing office)")
    p.add_argument("key", help="business key")
    p.add_argument("--reason", required=True)
    p.add_argument("--days", type=int, required=True, help="its deadline in working days")
    p.add_argument("--user", required=True)
    p = task_command("add-signer", cmd_add_signer, "加签: add a colleague who signs before or after you")
    p.add_argument("--to", required=True, help="username of the colleague")
    p.add_argument("--position", required=True, choices=signers.POSITIONS)
    p.add_argument("--reason", required=True)
    p = task_command("sign", cmd_sign, "sign a task as its added signer")
    p.add_argument("--decision", required=True, choices=signers.DECISIONS)
    p.add_argument("--opinion", default="", help="required when you disagree")
    p = add("remove-signer", cmd_remove_signer, "减签: remove a pending added signer, with a reason")
    p.add_argument("signer", type=int, help="signer id (shown by add-signer and on the task page)")
    p.add_argument("--reason", required=True)
    p.add_argument("--user", required=True)
