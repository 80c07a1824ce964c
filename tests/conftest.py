"""Shared fixtures: a real database per test, on SQLite and on PostgreSQL.

PostgreSQL tests use a private schema in the `test` database. Outside CI they are skipped (with the
reason) when no server answers; with CI=true a missing server is an error, never a skip.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.db import Database
from engine.routing import seed_departments
from engine.runtime import Runtime

HERE = Path(__file__).parent
PG_CANDIDATES = [os.environ.get("JOINTREVIEW_TEST_PG_URL"),
                 "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                 "postgresql+psycopg://root@127.0.0.1:5432/test"]


def _find_postgres() -> str | None:
    for url in filter(None, PG_CANDIDATES):
        try:
            engine = create_engine(url)
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            return url
        except Exception:  # noqa: BLE001 - any failure means "not this one"
            continue
    return None


@pytest.fixture(scope="session")
def pg_base_url():
    url = _find_postgres()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is required in CI (127.0.0.1:5432, database test) but did not answer")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (set JOINTREVIEW_TEST_PG_URL)")
    return url


@pytest.fixture(scope="session")
def pg_schema_url(pg_base_url):
    """A migrated private schema for this test session; dropped at the end."""
    schema = f"jr_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg_base_url}?options=-csearch_path%3D{schema}"
    db = Database(url)
    db.migrate()
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file that each test copies (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


def _clean_postgres(url: str) -> None:
    """Empty every table of the test schema (engine and plugin tables alike) but the migration version."""
    engine = create_engine(url)
    with engine.begin() as conn:
        names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                                  " AND tablename <> 'alembic_version'")).scalars().all()
        conn.execute(text(f"TRUNCATE {', '.join(chr(34) + n + chr(34) for n in names)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, sqlite_template):
    """A clean, migrated database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "jointreview.db"
        shutil.copy(sqlite_template, target)
        yield f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("pg_schema_url")
        _clean_postgres(url)
        yield url


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    with database.write() as session:
        seed_departments(session)
    yield database
    database.dispose()


@pytest.fixture
def rt(db):
    return Runtime(db)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """Tests hash passwords at a low scrypt cost: a stored hash names its own cost, so checking a password reads it
    back, and the suite spends its time on what it tests (test_passwords checks the production cost)."""
    from engine import passwords

    strong = passwords._N
    passwords._N = 2 ** 10
    yield
    passwords._N = strong


@pytest.fixture(autouse=True, scope="session")
def _attachment_store(tmp_path_factory):
    """Scanned materials go to a directory of this test session (engine/attachments.py), not the checkout's instance/."""
    before = os.environ.get("JOINTREVIEW_ATTACHMENTS")
    os.environ["JOINTREVIEW_ATTACHMENTS"] = str(tmp_path_factory.mktemp("attachments"))
    yield
    if before is None:
        os.environ.pop("JOINTREVIEW_ATTACHMENTS", None)
    else:
        os.environ["JOINTREVIEW_ATTACHMENTS"] = before


def pytest_collection_modifyitems(config, items):
    """In parallel runs (`make test`: pytest-xdist), the tests marked slow go first: each worker starts on one and
    the quick ones fill in around them, rather than one worker starting a minutes-long test when the rest are done.
    A run in one process keeps the files' order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
