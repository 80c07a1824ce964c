"""Shared helpers for the benchmarks: a fresh database with departments, users and a deployed file."""
from __future__ import annotations

import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import repository  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.definitions import read_files  # noqa: E402
from engine.routing import Actor, add_user, load_actor, seed_departments  # noqa: E402
from engine.runtime import Runtime  # noqa: E402

HERE = Path(__file__).parent
PG_URLS = ["postgresql+psycopg://postgres@127.0.0.1:5432/test", "postgresql+psycopg://root@127.0.0.1:5432/test"]


def sqlite_url() -> str:
    return f"sqlite:///{tempfile.mkdtemp(prefix='jr-bench-')}/bench.db"


def postgres_url() -> tuple[str | None, str | None]:
    """A URL with a fresh private schema, and the schema name (None, None when no server answers)."""
    for base in PG_URLS:
        try:
            engine = create_engine(base, isolation_level="AUTOCOMMIT")
            schema = f"jr_bench_{uuid.uuid4().hex[:8]}"
            with engine.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine.dispose()
            return f"{base}?options=-csearch_path%3D{schema}", schema
        except Exception:  # noqa: BLE001
            continue
    return None, None


def drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url.split("?")[0], isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def prepared_runtime(url: str, *paths: Path) -> tuple[Runtime, Actor]:
    """Migrated database, departments, one user in every department, files deployed."""
    db = Database(url)
    db.migrate()
    rt = Runtime(db)
    with db.write() as session:
        seed_departments(session)
        add_user(session, "bench", "bench", memberships={c: "head" for c in ("EDU", "PSB", "HRSS", "HUD")})
        repository.deploy(session, rt, Actor.system("bench"), read_files(paths))
    with db.read() as session:
        return rt, load_actor(session, "bench")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)
