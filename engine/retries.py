"""Transient database errors (a lock held past the timeout, a deadlock, a serialization failure, a broken
connection) and the bounded retry of work that met one: nothing was saved, so the same work can simply run again.

The worker uses it so that a round it lost to another session (two workers on SQLite under heavy load, a row
lock held on PostgreSQL) is tried again after a short pause instead of ending `worker --once`.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from typing import Callable, TypeVar

import psycopg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from .errors import Conflict, EngineError

log = logging.getLogger("jointreview.worker")
T = TypeVar("T")

TRIES = 4  # one try and three retries
BACKOFF = 0.5  # seconds before the first retry, doubled before each next one (0.5 + 1 + 2: 3.5 s in all)


RACES = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure, psycopg.errors.LockNotAvailable)


def race(exc: BaseException) -> bool:
    """Whether the database gave up a transaction to another session (a deadlock, a serialization failure, a lock
    held past the lock timeout; SQLite: "database is locked"): nothing was saved and the same work may simply run
    again. `Database.write` tells a user so (a Conflict: please try again)."""
    original = getattr(exc, "orig", None) or exc
    if isinstance(original, RACES):
        return True
    return isinstance(original, sqlite3.OperationalError) and any(word in str(original) for word in ("locked", "busy"))


def transient(exc: BaseException) -> bool:
    """Whether work failed for a reason outside it, so that it is tried again later rather than given up: a race
    lost to another session (`race`, or the Conflict `Database.write` made of one), a connection that broke, or
    another operational error of the database (a disk, a server restarting). The work itself (a process model,
    an expression) never raises these: a case is never set aside for what its database did."""
    if race(exc):
        return True
    return isinstance(exc, (Conflict, OperationalError, InterfaceError, psycopg.OperationalError)) or \
        (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def describe(exc: BaseException) -> str:
    """One line saying what went wrong: the database's own words for a database error (also behind a Conflict),
    an engine error's message, else the exception's type and text."""
    drivers = (DBAPIError, sqlite3.Error, psycopg.Error)
    cause = exc.__cause__ if isinstance(exc, Conflict) and isinstance(exc.__cause__, drivers) else exc
    if isinstance(cause, drivers):
        original = cause.orig if isinstance(cause, DBAPIError) and cause.orig is not None else cause
        lines = str(original).strip().splitlines()
        return lines[0] if lines else type(original).__name__
    if isinstance(exc, EngineError):
        return exc.message
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def attempt(what: str, work: Callable[[], T], tries: int | None = None) -> T:
    """Run `work`; after a transient error run it again after a pause (doubling), at most `tries` times in all.
    The last error, or the first that is not transient, is raised."""
    tries = tries or TRIES
    pause = BACKOFF
    for number in range(1, tries):
        try:
            return work()
        except Exception as exc:
            if not transient(exc):
                raise
            log.warning("%s failed (try %d of %d), trying again in %.1fs: %s", what, number, tries, pause, describe(exc))
        time.sleep(pause)
        pause *= 2
    return work()
