"""Account administration: passwords, activation, memberships and lane aliases, each change audited."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit
from .errors import EngineError, InvalidInput, NotFound
from .models import Department, Membership, User
from .passwords import hash_password
from .routing import GLOBAL_ROLES, ROLE_RANK, Actor, Directory, add_user

MIN_PASSWORD = 8


def _record(session: Session, by: Actor, event: str, details: dict) -> None:
    audit.append(session, [audit.Event(event, by.username, details)], datetime.now(timezone.utc))


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def check_password(password: str) -> None:
    """InvalidInput unless the password is long enough and not only digits."""
    if len(password or "") < MIN_PASSWORD or password.isdigit():
        raise InvalidInput("the password is too weak", {"password": f"use at least {MIN_PASSWORD} characters, not only digits"})


def create(session: Session, by: Actor, username: str, display_name: str, password: str,
           memberships: dict[str, str], roles: tuple[str, ...]) -> User:
    """A new user with a password, memberships and global roles."""
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("invalid user name", {"username": "use letters, digits, . and _"})
    check_password(password)
    user = add_user(session, username, display_name or username, hash_password(password), memberships, roles)
    _record(session, by, "user_created", {"user": username, "memberships": memberships, "roles": list(roles)})
    return user


def set_password(session: Session, by: Actor, username: str, password: str) -> None:
    """Replace a user's password."""
    check_password(password)
    _user(session, username).password_hash = hash_password(password)
    _record(session, by, "password_set", {"user": username})


def set_active(session: Session, by: Actor, username: str, active: bool) -> None:
    """Let a user log in again, or stop them (their history stays)."""
    if username == by.username and not active:
        raise EngineError("you cannot deactivate yourself")
    _user(session, username).active = active
    _record(session, by, "user_activated" if active else "user_deactivated", {"user": username})


def set_access(session: Session, by: Actor, username: str, memberships: dict[str, str], roles: tuple[str, ...]) -> None:
    """Replace a user's department memberships and global roles."""
    user = _user(session, username)
    codes = Directory.load(session).codes
    for code, role in memberships.items():
        if code not in codes:
            raise NotFound(f"no department {code!r}")
        if role not in ROLE_RANK:
            raise InvalidInput("unknown role", {"memberships": f"{role!r} is not reviewer, supervisor or head"})
    if set(roles) - set(GLOBAL_ROLES):
        raise InvalidInput("unknown role", {"roles": f"use {', '.join(GLOBAL_ROLES)}"})
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    for code, role in memberships.items():
        session.add(Membership(user_id=user.id, department_code=code, role=role))
    user.roles = ",".join(roles)
    _record(session, by, "access_changed", {"user": username, "memberships": memberships, "roles": list(roles)})


def add_alias(session: Session, by: Actor, code: str, alias: str) -> None:
    """Let lanes named `alias` route to department `code`."""
    alias = " ".join(alias.split())
    department = session.get(Department, code)
    if department is None:
        raise NotFound(f"no department {code!r}")
    if not alias:
        raise InvalidInput("the alias is empty", {"alias": "is required"})
    other = Directory.load(session).resolve(alias)
    if other and other != code:
        raise InvalidInput("the alias is taken", {"alias": f"already names {other}"})
    aliases = [a for a in department.aliases.splitlines() if a.strip()]
    if alias not in aliases:
        department.aliases = "\n".join([*aliases, alias])
        _record(session, by, "department_alias_added", {"department": code, "alias": alias})
