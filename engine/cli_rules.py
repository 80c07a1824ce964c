"""`jointreview rules status`: every shared rule table with its active version, a proposed one and who has and has
not co-signed it (engine/rules.py)."""
from __future__ import annotations

import argparse
from typing import Callable

from . import rules
from .runtime import Runtime


def print_pending(rt: Runtime) -> None:
    """The shared tables awaiting co-sign, after a deploy."""
    with rt.db.read() as session:
        pending = [s for s in rules.status(session) if s.proposed]
    for s in pending:
        print(f"{s.decision} v{s.proposed}: proposed, v{s.active} stays in force until every department has co-signed "
              f"({s.case_key}; waiting for {', '.join(s.waiting) or 'nobody'})")


def cmd_status(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.read() as session:
        found = rules.status(session)
    if not found:
        print("no shared rule tables (a DMN decision with the applied_by property)")
    for s in found:
        print(f"{s.decision} ({s.filename}) applied by {', '.join(s.departments)}: v{s.active or '-'} active")
        if s.proposed:
            when = f", effective {s.effective_at.astimezone(rt.calendar.tz):%Y-%m-%d}" if s.effective_at else ""
            print(f"  v{s.proposed} proposed in {s.case_key}{when}: signed by {', '.join(s.signed) or 'nobody yet'}; "
                  f"waiting for {', '.join(s.waiting) or 'nobody'}")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("rules", lambda rt, args: args.rules_func(rt, args), "shared rule tables and their co-sign (政策细则协同确认)")
    sub = p.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    sub.add_parser("status", help="every shared table: active version, proposed version, who has and has not signed"
                   ).set_defaults(rules_func=cmd_status)
