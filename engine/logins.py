"""Logging in: checks that hold across server processes and give an attacker nothing to measure.

Failed attempts are rows in the database (one account key per name and address, one key per address), so
every web process sees the same counts and nothing grows in memory; over-long names are refused before
anything is looked up or stored; a known and an unknown name cost the same password-hash computation;
and each user carries a session version, so logging out or a new password ends every session.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from . import wallclock
from .errors import EngineError
from .models import LoginFailure, User
from .passwords import hash_password, verify_password

MAX_USERNAME = 64
MAX_PASSWORD = 1024
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures an account (name from one address) and one address may have in the window."""

    per_account: int = 5
    per_address: int = 50  # an office behind one NAT address shares it
    window: timedelta = timedelta(minutes=5)


class LoginRefused(EngineError):
    """The name or password is wrong, the name is unusable, or the attempt is throttled."""

    def __init__(self, message: str, code: str, wait_seconds: float = 0.0) -> None:
        super().__init__(message)
        self.code, self.wait_seconds = code, wait_seconds


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check unknown names against, so they take as long as known ones."""
    return hash_password("decoy password for unknown user names")


def _now() -> datetime:
    return wallclock.now()


def _wait(session: Session, column, key: str, limit: int, policy: LoginPolicy, now: datetime) -> float:
    count, oldest = session.execute(select(func.count(), func.min(LoginFailure.at))
                                    .where(column == key, LoginFailure.at > now - policy.window)).one()
    if count < limit or oldest is None:
        return 0.0
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=timezone.utc)
    return max(1.0, (oldest + policy.window - now).total_seconds())


def _usable(username: str, password: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > MAX_USERNAME or len(password or "") > MAX_PASSWORD:
        raise LoginRefused("wrong user name or password", "bad_credentials")
    return name


def begin(session: Session, username: str, password: str, address: str, now: datetime | None = None) -> int:
    """Record an attempt as a failure before its password is checked (commit it at once, in a write transaction of its
    own), and return its row: `check(..., attempt=row)` then counts it with those before it, so that of attempts made
    at the same moment no more than the limit get a password checked (counted only after the check, twenty parallel
    ones all passed the count of an account allowed five). `succeed` clears it, `withdraw` takes back a throttled one.
    Unusable names are refused here, before anything is kept."""
    name = _usable(username, password)
    row = LoginFailure(account_key=_key(name.lower(), address), address_key=_key(address), at=now or _now())
    session.add(row)
    session.flush()
    return row.id


def withdraw(session: Session, attempt: int) -> None:
    """An attempt refused by the throttle had no password checked: it is no failure."""
    session.execute(delete(LoginFailure).where(LoginFailure.id == attempt))


def check(session: Session, username: str, password: str, address: str,
          policy: LoginPolicy = LoginPolicy(), now: datetime | None = None,
          attempt: int | None = None) -> tuple[User | None, str, str]:
    """Check a login in a read session: (the user or None, account key, address key).

    Raises LoginRefused for unusable names and throttled accounts or addresses. With the `attempt` recorded by `begin`
    (counted here with the failures before it), the caller keeps it as the failure when the user is None; without
    one, the caller records a failure with `fail` (in a short write transaction)."""
    now = now or _now()
    name = _usable(username, password)
    account_key, address_key = _key(name.lower(), address), _key(address)
    own = attempt is not None  # the attempt itself is among the rows counted
    wait = max(_wait(session, LoginFailure.account_key, account_key, policy.per_account + own, policy, now),
               _wait(session, LoginFailure.address_key, address_key, policy.per_address + own, policy, now))
    if wait:
        raise LoginRefused("too many failed attempts", "throttled", wait)
    user = session.execute(select(User).where(User.username == name, User.active.is_(True))).scalar_one_or_none()
    ok = verify_password(user.password_hash if user and user.password_hash else _decoy_hash(), password or "")
    return (user if ok and user is not None else None), account_key, address_key


def fail(session: Session, account_key: str, address_key: str, now: datetime | None = None) -> None:
    """Record one failed attempt."""
    session.add(LoginFailure(account_key=account_key, address_key=address_key, at=now or _now()))


def succeed(session: Session, account_key: str) -> None:
    """A good login clears the account's failures (not the address's)."""
    session.execute(delete(LoginFailure).where(LoginFailure.account_key == account_key))


def end_sessions(session: Session, username: str) -> None:
    """Every session of `username` ends (logout, new password, deactivation)."""
    session.execute(update(User).where(User.username == username)
                    .values(session_version=User.session_version + 1))


def session_version(session: Session, username: str) -> int | None:
    """The user's current session version (None for unknown or inactive users)."""
    return session.execute(select(User.session_version)
                           .where(User.username == username, User.active.is_(True))).scalar_one_or_none()


def forget_old_failures(session: Session, now: datetime | None = None) -> int:
    """Housekeeping: failures older than a day no longer count for anything."""
    return session.execute(delete(LoginFailure).where(LoginFailure.at < (now or _now()) - FORGET_AFTER)).rowcount
