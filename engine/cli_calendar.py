"""`jointreview calendar`: which years the official calendar knows, a year's working-day exceptions, and importing
the State Council's notice for a year (engine/calendar_notices.py)."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Callable

from . import calendar_notices, wallclock
from .cli_actions import actor_of
from .errors import InvalidInput
from .runtime import Runtime

_HOW = {"notice": "confirmed: the official notice imported here", "override": "confirmed: the local calendar file",
        "package": "confirmed: the holidays package's official data",
        None: "NOT confirmed: guessed by the holidays package without make-up working days"}


def cmd_show(rt: Runtime, args: argparse.Namespace) -> int:
    year = args.year or wallclock.now().astimezone(rt.calendar.tz).year
    if not 1900 < year < 2200:
        raise InvalidInput(f"year {year} is out of range (e.g. 2027)")
    with rt.db.read() as session:
        rt.refresh_calendar(session, force=True)
    how = rt.calendar.confirmation(year)
    print(f"{year}: {_HOW[how]}")
    if how == "notice":
        print(f"  source: {rt.calendar.notices[year].source}")
    for item in calendar_notices.exceptions(rt.calendar, year):
        kind = "working day" if item.working else "day off"
        print(f"  {item.day.isoformat()} {item.day:%a}  {kind:<11} {item.name}")
    return 0


def cmd_status(rt: Runtime, args: argparse.Namespace) -> int:
    now = wallclock.now()
    with rt.db.read() as session:
        rt.refresh_calendar(session, force=True)
        gaps = calendar_notices.gaps(session, rt.calendar, now)
    this_year = now.astimezone(rt.calendar.tz).year
    for year in range(this_year - 1, this_year + 2):
        print(f"{year}: {_HOW[rt.calendar.confirmation(year)]}")
    for gap in gaps:
        print(f"warning: {gap.year} is not confirmed; {gap.open_due} open step(s) are due in it (provisional). "
              f"Import the notice with: jointreview calendar import FILE")
    return 1 if gaps else 0


def cmd_import(rt: Runtime, args: argparse.Namespace) -> int:
    path = Path(args.file)
    notice = calendar_notices.parse(path.name, path.read_bytes())
    done = calendar_notices.import_notice(rt, actor_of(rt, args.user), notice)
    print(f"{done.year}: {'replaced the' if done.replaced else 'imported the'} notice "
          f"({len(notice.holidays)} days off, {len(notice.workdays)} make-up working days; {notice.source})")
    print(f"due dates moved: {done.moved} in {done.cases} running case(s)")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("calendar", lambda rt, args: args.calendar_func(rt, args),
            "the official calendar: confirmed years, a year's exceptions, importing a year's notice")
    sub = p.add_subparsers(dest="calendar_command", metavar="SUBCOMMAND", required=True)
    s = sub.add_parser("show", help="a year's working-day exceptions and whether the year is confirmed")
    s.add_argument("year", nargs="?", type=int, help=f"the year (default: this year), e.g. {date.today().year + 1}")
    s.set_defaults(calendar_func=cmd_show)
    s = sub.add_parser("status", help="which years are confirmed; exit code 1 while open due dates fall in a guessed year")
    s.set_defaults(calendar_func=cmd_status)
    s = sub.add_parser("import", help="load a year's notice (TOML or JSON) and move the open due dates that depend on it")
    s.add_argument("file", help="the notice file (see engine/calendar_notices.py or the README for its format)")
    s.add_argument("--user", help="who imports it (recorded; default: system)")
    s.set_defaults(calendar_func=cmd_import)
