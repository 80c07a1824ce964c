"""`jointreview kpi`: the figures and the node assessment of a period on the command line."""
from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from . import assessment, directory, eventlog, facts, kpis
from .errors import InvalidInput
from .runtime import Runtime


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _figure(group: dict[str, Any], key: str, percent: bool = False) -> str:
    if group.get("too_few"):
        return f"too few cases ({group.get('n', 0)})"
    value = group.get(key)
    if value is None:
        return "—"
    return f"{100 * value:.1f} %" if percent else _number(value)


def _headlines(figures: dict[str, Any]) -> list[tuple[str, str]]:
    h, d = figures["handling"], figures["disbursement"]
    return [
        ("period", figures["period"]),
        ("handling time, working days (avg / median / p90)",
         f"{_figure(h, 'avg')} / {_figure(h, 'median')} / {_figure(h, 'p90')}  n={h['n']}"),
        ("disbursement time, working days (avg)", f"{_figure(d, 'avg')}  n={d['n']}"),
        ("success rate", f"{_figure(figures['success'], 'rate', True)}  n={figures['success']['n']}"),
        ("decisions not changed later", f"{_figure(figures['accuracy'], 'rate', True)}"),
        ("satisfaction (1-5)", f"{_figure(figures['satisfaction'], 'avg')}  n={figures['satisfaction']['n']}"),
        ("appeals and objections per 1,000 decisions", _figure(figures["complaints"], "per_1000")),
        ("finished with at most one request for materials", _figure(figures["one_visit"], "rate", True)),
        ("accepted", ", ".join(f"{k} {v}" for k, v in sorted(figures["volume"]["accepted"].items())) or "0"),
        ("finished", ", ".join(f"{k} {v}" for k, v in sorted(figures["volume"]["finished"].items())) or "0"),
    ]


def cmd_kpi(rt: Runtime, args: argparse.Namespace) -> int:
    """Print the period's figures and node assessment (table, csv or json)."""
    period = kpis.parse_period(args.period) if args.period else kpis.current_period("quarter", rt.calendar.tz)
    with rt.db.write() as session:
        if args.rebuild:
            facts.rebuild_all(session, rt)
        else:
            while facts.refresh(session, rt):
                pass
    with rt.db.read() as session:
        departments = [args.department] if args.department else directory.codes(session)
        scope = kpis.Scope(process=args.process, department=args.department, area=args.area)
        figures = kpis.compare(session, period, scope, rt.calendar.tz)
        assessed = assessment.assess(session, period, departments, rt.calendar.tz, process=args.process)
    rows = [assessment.flat(r) for r in assessed["departments"]]
    if args.format == "json":
        json.dump({"figures": figures, "node_assessment": assessed}, sys.stdout, ensure_ascii=False, indent=2,
                  default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v))
        print()
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=[name for name, _ in assessment.COLUMNS])
        writer.writeheader()
        writer.writerows(rows)
    else:
        for label, value in _headlines(figures):
            print(f"{label:<50} {value}")
        print()
        names = [name for name, _ in assessment.COLUMNS]
        widths = {n: max(len(n), *(len(_number(r[n])) for r in rows)) for n in names} if rows else {}
        print("  ".join(n.ljust(widths[n]) for n in names))
        for row in rows:
            print("  ".join(_number(row[n]).ljust(widths[n]) for n in names))
        print(f"\nweights: {json.dumps(assessed['weights'])}; parts without data leave the score")
    return 0


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", {"date": "write YYYY-MM-DD"}) from None


def cmd_export(rt: Runtime, args: argparse.Namespace) -> int:
    """Write the case histories as an XES or CSV event log."""
    selection = eventlog.Selection(args.process, _date(args.start), _date(args.end))
    counts = eventlog.Counts()
    writer = eventlog.xes if args.kind == "xes" else eventlog.csv_log
    target = Path(args.out)
    partial = target.with_name(target.name + ".partial")
    with rt.db.read() as session, partial.open("w", encoding="utf-8", newline="") as out:
        for piece in writer(session, selection, rt.calendar.tz, counts):
            out.write(piece)
    partial.replace(target)
    with rt.db.write() as session:
        eventlog.record_export(session, "system:cli", args.kind, selection, counts)
    print(f"{target}: {counts.traces} traces, {counts.events} events")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `kpi` and `export` commands to the CLI."""
    p = add("kpi", cmd_kpi, "figures and node assessment of a period, computed from the case histories")
    p.add_argument("--period", help="2026, 2026Q4 or 2026-11 (default: this quarter)")
    p.add_argument("--department", help="one department code (e.g. EDU)")
    p.add_argument("--process", help="one process id")
    p.add_argument("--area", help="one street office / district")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--rebuild", action="store_true", help="recompute every fact from the audit log first")
    p = add("export", cmd_export, "write the case histories as a process-mining event log (XES or CSV)")
    p.add_argument("kind", choices=["xes", "csv"])
    p.add_argument("--process", help="only cases of this process id")
    p.add_argument("--from", dest="start", help="cases started on or after this date (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", help="cases started before this date (YYYY-MM-DD)")
    p.add_argument("--out", required=True, help="the file to write")
