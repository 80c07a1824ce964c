"""`jointreview migrate`: move running cases to a newer version of their process (engine/migration.py), with a dry
run that says for each case whether it can move and why not, and `--map old=new` for renamed steps."""
from __future__ import annotations

import argparse
from typing import Callable

from . import migration
from .cli_actions import actor_of
from .runtime import Runtime


def cmd_migrate(rt: Runtime, args: argparse.Namespace) -> int:
    mapping = migration.parse_mapping(args.map)
    if args.dry_run:
        with rt.db.read() as session:
            target, checks = migration.plan(session, rt, args.process, mapping, args.version)
        print(f"{args.process}: {len(checks)} running case(s) on other versions; target version {target.version}")
        for c in checks:
            where = "、".join(c.steps) or "-"
            print(f"  {c.business_key:<20} v{c.version}  at {where}: " + ("can move" if c.movable else
                                                                         "cannot move: " + "; ".join(c.reasons)))
        return 0
    moved = migration.migrate(rt, actor_of(rt, args.user), args.process, mapping, args.version, args.case)
    for m in moved:
        print(f"  {m.business_key:<20} " + ("moved" if m.moved else "not moved: " + "; ".join(m.reasons)))
    done = sum(m.moved for m in moved)
    print(f"{done} of {len(moved)} case(s) moved")
    return 0 if done == len(moved) else 1


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("migrate", cmd_migrate, "move running cases to a newer version of their process (audited per case)")
    p.add_argument("process", help="process id, e.g. admission_review")
    p.add_argument("--dry-run", action="store_true", help="list each case, whether it can move and why not; change nothing")
    p.add_argument("--map", action="append", help="a renamed step: OLD_ID=NEW_ID (repeatable)")
    p.add_argument("--version", type=int, help="the version to move to (default: the newest)")
    p.add_argument("--case", action="append", help="move only this case (repeatable; default: every case that can)")
    p.add_argument("--user", help="who migrates (recorded; default: system)")
