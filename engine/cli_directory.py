"""`jointreview unit` and `jointreview units`: the sub-units of a department (the street offices of 街道办),
with the area each covers, so a step can go to the office of the applicant's street; `jointreview head-title`:
what a department calls its head (局长, 主任)."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from . import directory
from .cli_actions import actor_of
from .runtime import Runtime


def cmd_unit(rt: Runtime, args: argparse.Namespace) -> int:
    covers = [n for part in args.covers or [] for n in part.replace("，", ",").split(",")]
    with rt.db.write() as session:
        unit = directory.add_unit(session, actor_of(rt, args.user), args.code, args.name, args.name_en or "", args.parent,
                                  args.district, covers)
    rt.forget_departments()
    print(f"unit {unit.code} ({unit.name}) of {unit.parent} covers {unit.district or 'any district'}: "
          f"{'、'.join(unit.covers) or 'the whole district'}")
    return 0


def cmd_units(rt: Runtime, args: argparse.Namespace) -> int:
    with rt.db.read() as session:
        found = directory.units(session, args.parent.upper())
    for unit in found:
        print(f"  {unit.code:<16} {unit.name:<12} {unit.district or '-':<8} {'、'.join(unit.covers)}")
    if not found:
        print(f"{args.parent.upper()} has no units; its steps go to anyone of it")
    return 0


def cmd_head_title(rt: Runtime, args: argparse.Namespace) -> int:
    if args.clear and (args.zh is not None or args.en is not None):
        print("error: give --zh and --en, or --clear, not both", file=sys.stderr)
        return 2
    if not args.clear and args.zh is None and args.en is None:
        with rt.db.read() as session:
            title = directory.head_title(session, args.code)
    else:
        with rt.db.write() as session:
            title = directory.set_head_title(session, actor_of(rt, args.user), args.code, args.zh, args.en,
                                                   clear=args.clear)
        rt.forget_departments()
    if title.zh or title.en:
        print(f"the head of {title.code} is called {title.zh} / {title.en}")
    else:
        print(f"{title.code} has no title of its own for its head: the role's word (a unit: its department's title)")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("unit", cmd_unit, "add or change a sub-unit of a department (a street office of STREET) and its area")
    p.add_argument("code", help="the unit's code, e.g. STREET-BS")
    p.add_argument("--parent", required=True, help="the department it belongs to, e.g. STREET")
    p.add_argument("--name", required=True, help="its Chinese name, e.g. 北山街道")
    p.add_argument("--name-en", help="its English name")
    p.add_argument("--district", help="the district it lies in (an address must be of this district)")
    p.add_argument("--user", help="who changes the directory (recorded; default: system)")
    p.add_argument("--covers", action="append", help="streets, roads or communities of its area (comma separated; "
                                                     "repeatable)")
    p = add("units", cmd_units, "list a department's sub-units and their areas")
    p.add_argument("parent", help="department code, e.g. STREET")
    p = add("head-title", cmd_head_title, "show or set what a department calls its head (局长, 主任), in Chinese and "
                                          "English")
    p.add_argument("code", help="department code, e.g. HEALTH or STREET-WX")
    p.add_argument("--zh", help="the title in Chinese, e.g. 主任 (with --en)")
    p.add_argument("--en", help="the title in English, e.g. Director (with --zh)")
    p.add_argument("--clear", action="store_true", help="remove the department's own title: its head is called by the "
                                                        "role's word (a unit: by its department's title)")
    p.add_argument("--user", help="who changes the directory (recorded; default: system)")
