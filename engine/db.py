"""Database connection: SQLite (embedded default) or PostgreSQL, sessions, migrations, statement counts."""
from __future__ import annotations

import os
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from . import retries
from .errors import Conflict, EngineError

DEFAULT_URL = "sqlite:///jointreview.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(url: str | None = None) -> str:
    """The URL given, else $JOINTREVIEW_DATABASE_URL, else a SQLite file in the working directory."""
    url = url or os.environ.get("JOINTREVIEW_DATABASE_URL") or DEFAULT_URL
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass
class Counts:
    statements: int = 0
    commits: int = 0


def postgres_timeouts() -> str:
    """Session settings that keep one stuck transaction from stalling the others: a write waits at most
    JOINTREVIEW_PG_LOCK_TIMEOUT for a lock, a statement runs at most JOINTREVIEW_PG_STATEMENT_TIMEOUT, and an
    abandoned transaction is ended after JOINTREVIEW_PG_IDLE_TIMEOUT (PostgreSQL time units, e.g. 10s, 2min)."""
    settings = {"lock_timeout": os.environ.get("JOINTREVIEW_PG_LOCK_TIMEOUT", "10s"),
                "statement_timeout": os.environ.get("JOINTREVIEW_PG_STATEMENT_TIMEOUT", "2min"),
                "idle_in_transaction_session_timeout": os.environ.get("JOINTREVIEW_PG_IDLE_TIMEOUT", "5min")}
    for name, value in settings.items():
        if not re.fullmatch(r"\d+\s*(ms|s|min|h)?", value.strip()):
            raise EngineError(f"{name} {value!r} is not a PostgreSQL duration such as 10s or 2min")
    return " ".join(f"-c {name}={value.strip().replace(' ', '')}" for name, value in settings.items())


_UNIT_MS = {"ms": 1, "": 1, "s": 1000, "min": 60_000, "h": 3_600_000}


def sqlite_busy_timeout() -> int:
    """Milliseconds a SQLite write waits for another writer before it fails ("database is locked"):
    JOINTREVIEW_SQLITE_BUSY_TIMEOUT (written as the PostgreSQL timeouts, e.g. 30s, 500ms), 30 s by default."""
    value = os.environ.get("JOINTREVIEW_SQLITE_BUSY_TIMEOUT", "30s").strip()
    found = re.fullmatch(r"(\d+)\s*(ms|s|min|h)?", value)
    if not found:
        raise EngineError(f"JOINTREVIEW_SQLITE_BUSY_TIMEOUT {value!r} is not a duration such as 30s or 500ms")
    return int(found.group(1)) * _UNIT_MS[found.group(2) or ""]


def postgres_options(url: URL) -> str:
    """The URL's own `options` (e.g. a search_path) followed by the timeouts."""
    given = url.query.get("options") or ""
    given = " ".join(given) if isinstance(given, tuple) else given
    return f"{given} {postgres_timeouts()}".strip()


class Database:
    """Engines and session factories for one database URL.

    Write sessions on SQLite start with BEGIN IMMEDIATE, so one writer at a time holds the lock from
    its first read: the single-writer claim that makes concurrent operations on one case safe.
    """

    def __init__(self, url: str | None = None, echo: bool = False) -> None:
        self.url = database_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, echo)
        elif self.dialect == "postgresql":
            self.engine = create_engine(self.url, echo=echo, pool_pre_ping=False, pool_recycle=300, pool_size=10,
                                        max_overflow=20, connect_args={"options": postgres_options(parsed)})
        else:
            raise EngineError(f"unsupported database {self.dialect!r}; use sqlite:/// or postgresql://")
        self.counts = Counts()
        event.listen(self.engine, "before_cursor_execute", self._count_statement)
        event.listen(self.engine, "commit", self._count_commit)
        info = {"counts": self.counts}  # engine.sql counts the statements it runs on the driver cursor
        self._writer = sessionmaker(self.engine.execution_options(jr_write=True), expire_on_commit=False, info=info)
        self._reader = sessionmaker(self.engine, expire_on_commit=False, info=info)

    def _count_statement(self, *args) -> None:
        self.counts.statements += 1

    def _count_commit(self, *args) -> None:
        self.counts.commits += 1

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session for one engine operation: committed once at the end, rolled back on any error.

        A transaction the database aborted to resolve a conflict (deadlock, serialization failure, a
        lock wait that timed out) becomes a Conflict: nothing was changed and the action can be retried.
        """
        try:
            with self._writer() as session:
                with session.begin():
                    yield session
        except (DBAPIError, sqlite3.OperationalError, *retries.RACES) as exc:  # BEGIN IMMEDIATE runs on the driver
            if not retries.race(exc):
                raise
            raise Conflict("another action changed the same data at the same moment; nothing was saved, "
                           "please try again") from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed (closing rolls back; loaded objects stay usable)."""
        with self._reader() as session:
            yield session

    def migrate(self) -> None:
        """Upgrade the schema to the newest Alembic revision (creates it on an empty database)."""
        cfg = migration_config()
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

    def schema_current(self) -> bool:
        """True when the database is at the newest revision of every migration branch (engine and plugins)."""
        from alembic.runtime.migration import MigrationContext
        with self.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        return current == _script_heads()

    def is_migrated(self) -> bool:
        """True when the schema exists (at least the case table)."""
        return inspect(self.engine).has_table("cases")

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


MIGRATIONS_GROUP = "jointreview.migrations"


@lru_cache(maxsize=1)
def _script_heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory
    return frozenset(ScriptDirectory.from_config(migration_config()).get_heads())


def migration_config() -> Config:
    """Alembic configuration: the engine's migration scripts plus those of installed plugins (e.g. workflows)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    locations = [str(_MIGRATIONS / "versions")]
    for entry in entry_points(group=MIGRATIONS_GROUP):
        locations.append(str(entry.load()()))
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


WAL_CHECKPOINT_PAGES = 4000
"""SQLite moves the write-ahead log into the database file once it holds this many pages (16 MB; SQLite's default is
1,000). A step writes some twenty pages, most of them the same few index pages again and again (the inbox's, the
audit log's): the longer the log, the more of those writes one checkpoint folds into one, and the fewer steps pay
for a checkpoint at all."""


def _sqlite_engine(url: str, echo: bool) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    busy = sqlite_busy_timeout()
    engine = create_engine(url, echo=echo, connect_args={"timeout": busy / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", f"busy_timeout={busy}", "foreign_keys=ON",
                       f"wal_autocheckpoint={WAL_CHECKPOINT_PAGES}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("jr_write")
        # on the driver connection: SQLAlchemy's statement machinery costs more than the BEGIN itself
        connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
