"""API tokens: issued per system or per person, bound to one role (and department), stored as hashes.

A token is 256 random bits, so a plain SHA-256 is the right hash (a slow password hash would only slow
every request down). The secret is shown once, when it is issued. A person's token acts as that person
but never with more than the role it was issued for, and stops working when the person is deactivated or
loses that role. Issuing and revoking are recorded in the audit log.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from . import audit, wallclock
from .errors import Conflict, InvalidInput, Message, NotAuthenticated, NotFound, catalogue
from .models import ApiToken, Department, IdempotencyRecord
from .routing import GLOBAL_ROLES, ROLE_RANK, Actor, load_actor

PREFIX = "jrt_"
PORTAL = "portal"
ROLES = (PORTAL, *ROLE_RANK, *GLOBAL_ROLES)
MESSAGES = catalogue({
    "token_name": "use 2–63 lower-case letters, digits, '.', '_' or '-'",
    "token_name_taken": "a token named {name!r} already exists",
    "token_role": "must be one of {known}",
    "token_needs_department": "a {role} token needs a department",
    "no_department": "no department {department!r}",
    "token_no_department": "a {role} token has no department",
    "token_days": "must be between 1 and 3650",
    "token_portal_person": "the portal token belongs to a system, not a person",
    "no_active_user": "no active user {user!r}",
    "token_not_held": "{user} does not hold the {role} role in {department}",
    "token_not_held_global": "{user} does not hold the {role} role",
    "token_not_issued": "the token was not issued",
    "token_missing": "no token named {name!r}",
    "token_revoked_already": "token {name!r} was already revoked",
    "token_malformed": "the API token is missing or malformed",
    "token_unknown": "the API token is not known",
    "token_revoked": "the API token {name!r} was revoked",
    "token_expired": "the API token {name!r} has expired",
    "token_user_inactive": "the API token {name!r} belongs to a user who is no longer active",
    "token_user_lost_role": "{user} no longer holds the {role} role in {department}",
    "token_user_lost_role_global": "{user} no longer holds the {role} role",
})
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,62}")
TOUCH_EVERY = timedelta(minutes=1)
KEEP_ANSWERS = timedelta(days=7)  # how long a submission's answer is kept for retries with its Idempotency-Key


@dataclass(frozen=True)
class Issued:
    """A new token: its row and the secret, which is never shown again."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    """What is stored for a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return wallclock.now()


def issue(session: Session, by: Actor, name: str, role: str, department: str | None = None,
          username: str | None = None, expires_days: int | None = None) -> Issued:
    """A new token for a system (`username` None) or a person; InvalidInput names every bad field."""
    errors = {}
    name = (name or "").strip().lower()
    if not NAME.fullmatch(name):
        errors["name"] = Message("token_name")
    elif session.execute(select(ApiToken.id).where(ApiToken.name == name)).first():
        errors["name"] = Message("token_name_taken", name=name)
    if role not in ROLES:
        errors["role"] = Message("token_role", known=", ".join(ROLES))
    department = (department or "").strip().upper() or None
    if role in ROLE_RANK:
        if not department:
            errors["department"] = Message("token_needs_department", role=role)
        elif session.get(Department, department) is None:
            errors["department"] = Message("no_department", department=department)
    elif department and role in ROLES:
        errors["department"] = Message("token_no_department", role=role)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        errors["expires_days"] = Message("token_days")
    if username:
        if role == PORTAL:
            errors["username"] = Message("token_portal_person")
        elif not errors:
            try:
                person = load_actor(session, username)
            except NotFound:
                errors["username"] = Message("no_active_user", user=username)
            else:
                if not _allowed(person, role, department):
                    errors["role"] = _describe("token_not_held", username, role, department)
    if errors:
        raise InvalidInput(Message("token_not_issued"), errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    now = _now()
    token = ApiToken(name=name, token_hash=digest(secret), hint=secret[:10], username=username or None, role=role,
                     department_code=department, created_by=by.username, created_at=now,
                     expires_at=now + timedelta(days=expires_days) if expires_days else None)
    session.add(token)
    session.flush()
    audit.append(session, [audit.Event("token_issued", by.username, _details(token))], now)
    return Issued(token, secret)


def revoke(session: Session, by: Actor, name: str) -> ApiToken:
    """Stop a token at once; its record stays."""
    token = session.execute(select(ApiToken).where(ApiToken.name == (name or "").strip().lower())).scalar_one_or_none()
    if token is None:
        raise NotFound(Message("token_missing", name=name))
    if token.revoked_at is not None:
        raise Conflict(Message("token_revoked_already", name=token.name))
    now = _now()
    token.revoked_at, token.revoked_by = now, by.username
    audit.append(session, [audit.Event("token_revoked", by.username, _details(token))], now)
    return token


def state(token: ApiToken, now: datetime | None = None) -> str:
    """active, expired or revoked."""
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at is not None and token.expires_at <= (now or _now()) else "active"


def listing(session: Session) -> list[ApiToken]:
    """All tokens, newest first (revoked ones included)."""
    return list(session.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars())


def authenticate(session: Session, secret: str, now: datetime | None = None) -> tuple[ApiToken, Actor]:
    """The token and the actor it acts as; NotAuthenticated for anything unknown, expired or revoked."""
    now = now or _now()
    if not secret or not secret.startswith(PREFIX) or len(secret) > 128:
        raise NotAuthenticated(Message("token_malformed"))
    token = session.execute(select(ApiToken).where(ApiToken.token_hash == digest(secret))).scalar_one_or_none()
    if token is None:
        raise NotAuthenticated(Message("token_unknown"))
    if state(token, now) != "active":
        raise NotAuthenticated(Message("token_revoked" if token.revoked_at else "token_expired", name=token.name))
    return token, actor_of(session, token)


def due_for_touch(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether to note the token's use now: at most once a minute, so that reads stay reads."""
    return token.last_used_at is None or (now or _now()) - token.last_used_at >= TOUCH_EVERY


def touch(session: Session, token: ApiToken, now: datetime | None = None) -> None:
    """Note when the token was last used."""
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now or _now()))


def actor_of(session: Session, token: ApiToken) -> Actor:
    """The actor a token acts as: `api:<name>` for a system, the person (narrowed to the token's role)."""
    if token.username is None:
        departments = {token.department_code: token.role} if token.role in ROLE_RANK else {}
        roles = frozenset({token.role}) if token.role not in ROLE_RANK else frozenset()
        return Actor(f"api:{token.name}", token.name, departments, roles)
    try:
        person = load_actor(session, token.username)
    except NotFound:
        raise NotAuthenticated(Message("token_user_inactive", name=token.name)) from None
    if not _allowed(person, token.role, token.department_code):
        raise NotAuthenticated(_describe("token_user_lost_role", token.username, token.role, token.department_code))
    if token.role in ROLE_RANK:
        return Actor(person.username, person.display_name, {token.department_code: token.role}, frozenset())
    return Actor(person.username, person.display_name, {}, frozenset({token.role}))


def _allowed(person: Actor, role: str, department: str | None) -> bool:
    if role in ROLE_RANK:
        return bool(department) and person.rank_in(department) >= ROLE_RANK[role]
    return role in person.roles


def _describe(code: str, username: str, role: str, department: str | None) -> Message:
    """`code` said of a role in a department, or of a global role (code + "_global")."""
    if department:
        return Message(code, user=username, role=role, department=department)
    return Message(f"{code}_global", user=username, role=role)


def _details(token: ApiToken) -> dict:
    return {"token": token.name, "role": token.role, "department": token.department_code, "user": token.username}


def forget_old_answers(session: Session, now: datetime | None = None) -> int:
    """Delete stored answers to idempotent submissions older than KEEP_ANSWERS; returns how many."""
    cutoff = (now or _now()) - KEEP_ANSWERS
    return session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount or 0
