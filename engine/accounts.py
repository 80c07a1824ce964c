"""Account administration: passwords, activation, memberships and lane aliases, each change audited."""
from __future__ import annotations


from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit, logins, wallclock
from .forms import HIDDEN
from .errors import EngineError, InvalidInput, Message, NotFound, catalogue
from .models import Department, Membership, User
from .passwords import hash_password, verify_password
from .routing import GLOBAL_ROLES, ROLE_RANK, Actor, Directory, add_user

MIN_PASSWORD = 8
MESSAGES = catalogue({  # coded password messages (msgids of the web layer's translations too)
    "password_weak": "use at least {limit} characters, not only digits",
    "password_common": "this password is one of the most common ones",
    "password_user_name": "the password must not be the user name",
    "password_unchanged": "the new password must differ from the current one",
})
_REFUSALS = catalogue({
    "password_too_weak": "the password is too weak",
    "no_user": "no user {user!r}",
    "user_name_invalid": "invalid user name",
    "user_name_letters": "use letters, digits, . and _",
    "deactivate_self": "you cannot deactivate yourself",
    "admin_self": "you cannot take the administrator role from yourself",
    "user_refused": "the user was not created",
    "field_too_long": "must be at most {limit} characters",
    "field_hidden": "contains control characters, invisible characters or hidden text-direction marks",
    "access_missing": "choose at least one department (with the role there) or a global role: an account with neither can do nothing",
    "no_department": "no department {department!r}",
    "role_unknown": "unknown role",
    "role_not_department": "{role!r} is not reviewer, supervisor or head",
    "role_not_global": "use {known}",
    "alias_empty": "the alias is empty",
    "alias_type": "type the name a process's lanes use for this department",
    "alias_taken": "the alias is taken",
    "alias_names": "already names {department}",
})


def _weak(code: str, field: str = "password", **params) -> InvalidInput:
    exc = InvalidInput(Message("password_too_weak"), {field: Message(code, **params)})
    exc.codes = {field: (code, params)}
    return exc


def _record(session: Session, by: Actor, event: str, details: dict) -> None:
    audit.append(session, [audit.Event(event, by.username, details)], wallclock.now())


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(Message("no_user", user=username))
    return user


# Passwords that appear at the top of every leaked-password list (Chinese and international).
COMMON_PASSWORDS = frozenset("""
password password1 password123 passw0rd p@ssw0rd p@ssword qwertyuiop qwerty123 qwertyui asdfghjkl
zxcvbnm123 1qaz2wsx 1q2w3e4r 1q2w3e4r5t qazwsxedc abc123456 abcd1234 abcdefgh a1234567 a12345678
a123456789 aa123456 aa12345678 admin123 admin1234 admin888 administrator root1234 welcome1 welcome123
iloveyou woaini1314 woaini520 5201314a 1314520a letmein1 sunshine monkey123 dragon123 football
baseball princess charlie1 superman michael1 trustno1 changeme zhang123456 wang123456 li123456
""".split())


def check_password(password: str, username: str = "") -> None:
    """InvalidInput unless the password is long enough, not only digits, not a commonly used password
    and not the user name (or the user name reversed)."""
    text = password or ""
    lowered, name = text.lower(), (username or "").strip().lower()
    if len(text) < MIN_PASSWORD or text.isdigit() or len(set(text)) < 3:
        raise _weak("password_weak", limit=MIN_PASSWORD)
    if lowered in COMMON_PASSWORDS:
        raise _weak("password_common")
    if name and lowered in (name, name[::-1]):
        raise _weak("password_user_name")


def create(session: Session, by: Actor, username: str, display_name: str, password: str,
           memberships: dict[str, str], roles: tuple[str, ...]) -> User:
    """A new user with a password, memberships and global roles."""
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput(Message("user_name_invalid"), {"username": Message("user_name_letters")})
    _names_fit(username, display_name)
    _require_access(memberships, roles)
    check_password(password, username)
    user = add_user(session, username, display_name or username, hash_password(password), memberships, roles)
    _record(session, by, "user_created", {"user": username, "memberships": memberships, "roles": list(roles)})
    return user


LONGEST_USERNAME, LONGEST_NAME = 64, 100  # the columns' sizes


def _names_fit(username: str, display_name: str) -> None:
    """A log-in name and a display name that fit their columns; a display name shown as written (it names the person
    on every page, so it may not hide text-direction marks)."""
    if len(username) > LONGEST_USERNAME:
        raise InvalidInput(Message("user_refused"), {"username": Message("field_too_long", limit=LONGEST_USERNAME)})
    if len(display_name or "") > LONGEST_NAME:
        raise InvalidInput(Message("user_refused"), {"display_name": Message("field_too_long", limit=LONGEST_NAME)})
    if HIDDEN.search(display_name or ""):
        raise InvalidInput(Message("user_refused"), {"display_name": Message("field_hidden")})


def _require_access(memberships: dict[str, str], roles: tuple[str, ...]) -> None:
    """Every account is a member of a department or holds a global role: one with neither sees nothing and may do
    nothing (stopping someone is deactivation, which keeps their access for a return)."""
    if not memberships and not any(roles):
        raise InvalidInput(Message("access_missing"))


def set_password(session: Session, by: Actor, username: str, password: str) -> None:
    """Replace a user's password."""
    check_password(password, username)
    _user(session, username).password_hash = hash_password(password)
    logins.end_sessions(session, username)
    _record(session, by, "password_set", {"user": username})


def change_own_password(session: Session, actor: Actor, password: str) -> int:
    """A user replaces their own password (the caller has checked the current one, through the login
    throttle); every session of theirs ends, and the new session version is returned for the one they are in."""
    user = _user(session, actor.username)
    check_password(password, actor.username)
    if verify_password(user.password_hash, password):
        raise _weak("password_unchanged")
    set_password(session, actor, actor.username, password)
    return logins.session_version(session, actor.username)


def set_active(session: Session, by: Actor, username: str, active: bool) -> None:
    """Let a user log in again, or stop them (their history stays)."""
    if username == by.username and not active:
        raise EngineError(Message("deactivate_self"))
    _user(session, username).active = active
    if not active:
        logins.end_sessions(session, username)
    _record(session, by, "user_activated" if active else "user_deactivated", {"user": username})


def set_access(session: Session, by: Actor, username: str, memberships: dict[str, str], roles: tuple[str, ...]) -> None:
    """Replace a user's department memberships and global roles."""
    user = _user(session, username)
    _require_access(memberships, roles)
    if username == by.username and "admin" in by.roles and "admin" not in roles:  # as deactivating oneself is refused
        raise InvalidInput(Message("admin_self"))
    codes = Directory.load(session).codes
    for code, role in memberships.items():
        if code not in codes:
            raise NotFound(Message("no_department", department=code))
        if role not in ROLE_RANK:
            raise InvalidInput(Message("role_unknown"), {"memberships": Message("role_not_department", role=role)})
    if set(roles) - set(GLOBAL_ROLES):
        raise InvalidInput(Message("role_unknown"), {"roles": Message("role_not_global", known=", ".join(GLOBAL_ROLES))})
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
        raise NotFound(Message("no_department", department=code))
    if not alias:
        raise InvalidInput(Message("alias_empty"), {"alias": Message("alias_type")})
    other = Directory.load(session).resolve(alias)
    if other and other != code:
        raise InvalidInput(Message("alias_taken"), {"alias": Message("alias_names", department=other)})
    aliases = [a for a in department.aliases.splitlines() if a.strip()]
    if alias not in aliases:
        department.aliases = "\n".join([*aliases, alias])
        _record(session, by, "department_alias_added", {"department": code, "alias": alias})
