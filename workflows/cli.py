"""Commands the workflows package adds to `jointreview`: registry imports and demo data."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from engine.runtime import Runtime

from . import registries


def cmd_registry_import(rt: Runtime, args: argparse.Namespace) -> int:
    path = Path(args.file)
    name = args.dataset or path.stem
    with rt.db.write() as session:
        report = registries.import_csv(session, args.department.upper(), name, path)
        if not report.ok:
            session.rollback()
    if not report.ok:
        for line in report.errors:
            print(line)
        print(f"error: {len(report.errors)} bad row(s); nothing was imported")
        return 1
    print(f"{args.department.upper()}/{name}: {report.imported} new, {report.updated} updated record(s) from {path.name}")
    return 0


def cmd_registry_datasets(rt: Runtime, args: argparse.Namespace) -> int:
    for key, ds in sorted(registries.DATASETS.items()):
        print(f"{key:<28} {ds.title}  key={ds.key}  columns: {', '.join(ds.columns)}")
    return 0


def cmd_demo(rt: Runtime, args: argparse.Namespace) -> int:
    from .demo import build_demo  # the demo data set is large; load it only for this command

    return build_demo(rt, seed=args.seed, cases_wanted=args.cases, history=args.history)


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the commands to the engine's parser (entry point `jointreview.cli`)."""
    p = add("registry", None, "department registry data (CSV exports)")
    sub = p.add_subparsers(dest="registry_command", metavar="SUBCOMMAND", required=True)
    imp = sub.add_parser("import", help="import a department's CSV export (all rows, or none if any is bad)")
    imp.add_argument("department", help="department code, e.g. PSB")
    imp.add_argument("file", help="CSV file with a header row")
    imp.add_argument("--dataset", help="dataset name (default: the file name without .csv)")
    imp.set_defaults(func=cmd_registry_import)
    ls = sub.add_parser("datasets", help="list the datasets and their columns")
    ls.set_defaults(func=cmd_registry_datasets)
    p = add("demo", cmd_demo, "create demo departments, users, registries, about 200 current cases and 300 finished "
                              "ones of the last fifteen months (safe to re-run)")
    p.add_argument("--seed", type=int, default=2026, help="random seed of the generated people")
    p.add_argument("--cases", type=int, default=200, help="how many current demo cases")
    p.add_argument("--history", type=int, default=300, help="how many finished cases of the last fifteen months")
    p.set_defaults(creates_schema=True)
