"""`jointreview retention` and `jointreview legal-hold`: purge what the retention policy lets go, and keep
cases out of it; `jointreview reindex-search` rebuilds the lookup digests of every case's personal data."""
from __future__ import annotations

import argparse
from typing import Callable

from sqlalchemy import select

from . import lookup, retention
from .cli_actions import actor_of
from .models import Case
from .runtime import Runtime


def cmd_retention(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.read() as session:
        found = retention.due(session, rt, limit=args.limit)
    for item in found:
        print(f"  {item.business_key:<20} {item.process_key:<20} ended {item.ended_at:%Y-%m-%d}  "
              f"(kept {item.years} years)")
    if args.dry_run:
        print(f"{len(found)} case(s) would be purged; nothing was changed (dry run)")
        return 0
    actor = actor_of(rt, args.user)
    purged = redacted = 0
    for item in found:
        with rt.db.write() as session:  # one case per transaction: a hold placed meanwhile is respected
            redacted += retention.purge(session, rt, actor, item)
            purged += 1
    print(f"purged {purged} case(s); {redacted} audit entries redacted (the chain still verifies)")
    return 0


def cmd_hold(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        hold = retention.place(session, actor, args.key, args.reason)
    print(f"legal hold #{hold.id} on {args.key}: it is not purged until the hold is lifted")
    return 0


def cmd_lift(rt: Runtime, args: argparse.Namespace) -> int:
    actor = actor_of(rt, args.user)
    with rt.db.write() as session:
        retention.lift(session, actor, args.hold, args.reason)
    print(f"legal hold #{args.hold} lifted")
    return 0


def cmd_holds(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.read() as session:
        case = session.execute(select(Case).where(Case.business_key == args.key)).scalar_one_or_none()
        if case is None:
            print(f"no case {args.key}")
            return 1
        holds = retention.holds_of(session, case.id)
    for h in holds:
        state = f"lifted {h.lifted_at:%Y-%m-%d} by {h.lifted_by}: {h.lift_reason}" if h.lifted_at else "in force"
        print(f"  #{h.id} placed {h.placed_at:%Y-%m-%d} by {h.placed_by}: {h.reason} — {state}")
    if not holds:
        print("no legal holds")
    return 0


def cmd_reindex(rt: Runtime, args: argparse.Namespace) -> int:
    done = lookup.reindex(rt)
    print(f"search digests rebuilt for {done} case(s) (fields: {', '.join(rt.search_fields)})")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("retention", cmd_retention, "purge finished cases past their process's retention_years (legal holds "
                                        "excepted); --dry-run lists them")
    p.add_argument("--dry-run", action="store_true", help="list what would be purged; change nothing")
    p.add_argument("--limit", type=int, default=1000, help="at most this many cases in one run")
    p.add_argument("--user", help="who purges (recorded; default: system)")
    p = add("legal-hold", cmd_hold, "put a case under a legal hold (auditors, administrators)")
    p.add_argument("key", help="business key")
    p.add_argument("--reason", required=True)
    p.add_argument("--user", required=True)
    p = add("lift-hold", cmd_lift, "lift a legal hold (auditors, administrators)")
    p.add_argument("hold", type=int, help="hold id (shown by legal-hold and holds)")
    p.add_argument("--reason", required=True)
    p.add_argument("--user", required=True)
    p = add("holds", cmd_holds, "list a case's legal holds")
    p.add_argument("key", help="business key")
    add("reindex-search", cmd_reindex, "rebuild the digests staff find cases by (after an upgrade or a new "
                                       "JOINTREVIEW_SEARCH_KEY)")
