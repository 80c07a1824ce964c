"""代理 (deputies): a user names a deputy for a period (or a supervisor or head of their department names
one for them); while it runs the deputy sees and acts on the absent user's tasks with the absent user's
role, and the record says "A acting for B". 不相容岗位 still applies to the person who acts.

A deputy is a colleague: a member of a department of the absent user, and the absent user's role is lent only
in the departments they share (naming someone of another department would let them act for a department they do
not belong to, e.g. answer an inquiry their own department sent).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, wallclock
from .forms import HIDDEN
from .errors import Conflict, InvalidInput, Message, NotFound, PermissionDenied, catalogue
from .models import Deputy, Membership, User
from .routing import ROLE_RANK, Actor

LONGEST = timedelta(days=92)
MAX_REASON = 500  # characters, as of every other reason
YEARS = (2000, 2100)  # a deputyship's days lie within the years the office calendar knows
MESSAGES = catalogue({
    "field_required": "is required",
    "field_too_long": "must be at most {limit} characters",
    "field_hidden": "contains control characters, invisible characters or hidden text-direction marks",
    "calendar_year_range": "must lie between 2000 and 2100",
    "deputy_ends_before": "must be after the start",
    "deputy_too_long": "a deputy is named for at most {days} days at a time",
    "deputy_is_absent": "is the absent user",
    "no_user": "no user {user!r}",
    "deputy_inactive": "is no active user",
    "deputy_other_department": "must belong to a department of the absent user ({departments})",
    "deputy_refused": "the deputy cannot be named",
    "deputy_not_allowed": "{by} may not name a deputy for {user}: they themselves or a supervisor of their department may",
    "deputy_missing": "no deputy #{deputy}",
    "deputy_end_refused": "{by} may not end this deputyship",
    "deputy_ended": "this deputyship has already ended",
})


def _now() -> datetime:
    return wallclock.now()


def _memberships(session: Session, username: str) -> dict[str, str]:
    return dict(session.execute(select(Membership.department_code, Membership.role).join(User, User.id == Membership.user_id)
                                .where(User.username == username)).all())


def principals(session: Session, deputy: str, now: datetime | None = None) -> dict[str, dict[str, str]]:
    """The absent users `deputy` stands in for right now, each with the memberships (code → role) they share."""
    now = now or _now()
    rows = set(session.execute(select(Deputy.principal).where(Deputy.deputy == deputy, Deputy.revoked_at.is_(None),
                                                               Deputy.starts_at <= now, Deputy.ends_at > now)).scalars())
    if not rows:  # the usual case, on every request: nothing more to read
        return {}
    own = _memberships(session, deputy)
    out = {}
    for principal in sorted(rows):
        shared = {code: role for code, role in _memberships(session, principal).items() if code in own}
        if shared:
            out[principal] = shared
    return out


def highest(standing_in: dict[str, dict[str, str]]) -> dict[str, tuple[str, str]]:
    """code → (role, principal) a deputy holds for absent users (as `principals` gives them): the highest role lent in
    each department they share."""
    out: dict[str, tuple[str, str]] = {}
    for principal, shared in standing_in.items():
        for code, role in shared.items():
            if ROLE_RANK.get(role, 0) > ROLE_RANK.get(out.get(code, ("", ""))[0], 0):
                out[code] = (role, principal)
    return out


def name(session: Session, by: Actor, principal: str, deputy: str, starts_at: datetime, ends_at: datetime,
         reason: str) -> Deputy:
    """Name a deputy for a period: the principal themselves, or a supervisor or head (by their own membership, not
    a role they hold as someone's deputy) of every department whose role the deputyship lends, at least of the
    principal's rank there."""
    reason = (reason or "").strip()
    problems = {}
    if not reason:
        problems["reason"] = Message("field_required")
    elif len(reason) > MAX_REASON:
        problems["reason"] = Message("field_too_long", limit=MAX_REASON)
    elif HIDDEN.search(reason):  # shown to the colleagues concerned, as every reason is
        problems["reason"] = Message("field_hidden")
    outside = {field: Message("calendar_year_range") for field, moment in (  # ends_at is the moment the last day ends
        ("starts_at", starts_at), ("ends_at", ends_at - timedelta(microseconds=1))) if not YEARS[0] <= moment.year <= YEARS[1]}
    if outside:  # a period out of range has no length worth judging
        problems.update(outside)
    elif ends_at <= starts_at:
        problems["ends_at"] = Message("deputy_ends_before")
    elif ends_at - starts_at > LONGEST:
        problems["ends_at"] = Message("deputy_too_long", days=LONGEST.days)
    if deputy == principal:
        problems["deputy"] = Message("deputy_is_absent")
    users = {u.username: u for u in session.execute(select(User).where(User.username.in_([principal, deputy]))).scalars()}
    if principal not in users:
        raise NotFound(Message("no_user", user=principal))
    held = _memberships(session, principal)
    shared = set(held) & set(_memberships(session, deputy))
    if deputy not in users or not users[deputy].active:
        problems["deputy"] = Message("deputy_inactive")
    elif deputy != principal and not shared:
        problems["deputy"] = Message("deputy_other_department", departments=sorted(held))
    if by.username != principal:  # their own rank (not one borrowed), in every department whose role is lent
        mine = _memberships(session, by.username)
        if not all(ROLE_RANK.get(mine.get(code, ""), 0) >= max(ROLE_RANK["supervisor"], ROLE_RANK.get(held[code], 1))
                   for code in (shared or held)):
            raise PermissionDenied(Message("deputy_not_allowed", by=by.username, user=principal))
    if problems:
        raise InvalidInput(Message("deputy_refused"), problems)
    row = Deputy(principal=principal, deputy=deputy, starts_at=starts_at, ends_at=ends_at, named_by=by.username,
                 reason=reason)
    session.add(row)
    session.flush()
    audit.append(session, [audit.Event("deputy_named", by.username, {"principal": principal, "deputy": deputy,
                                                                     "from": starts_at.isoformat(),
                                                                     "until": ends_at.isoformat(), "reason": reason})],
                 _now())
    return row


def revoke(session: Session, by: Actor, deputy_id: int) -> None:
    """End a deputyship now (the principal, the deputy, or whoever named it)."""
    row = session.get(Deputy, deputy_id)
    if row is None:
        raise NotFound(Message("deputy_missing", deputy=deputy_id))
    if by.username not in (row.principal, row.deputy, row.named_by):
        raise PermissionDenied(Message("deputy_end_refused", by=by.username))
    if row.revoked_at is not None:
        raise Conflict(Message("deputy_ended"))
    session.execute(update(Deputy).where(Deputy.id == deputy_id).values(revoked_at=_now()),
                    execution_options={"synchronize_session": False})
    audit.append(session, [audit.Event("deputy_revoked", by.username, {"principal": row.principal, "deputy": row.deputy})],
                 _now())


@dataclass(frozen=True)
class Colleague:
    """Someone who may be named: their log-in name, display name and the departments they share."""

    username: str
    display_name: str
    departments: tuple[str, ...]


def colleagues(session: Session, username: str) -> list[Colleague]:
    """Who may be `username`'s deputy: every other active member of one of their departments (by their own
    memberships, as `name` checks), by display name."""
    own = _memberships(session, username)
    shared: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for login, display, code in session.execute(
            select(User.username, User.display_name, Membership.department_code)
            .join(Membership, Membership.user_id == User.id)
            .where(User.active.is_(True), User.username != username, Membership.department_code.in_(own))).all():
        shared.setdefault(login, set()).add(code)
        names[login] = display or login
    return sorted((Colleague(u, names[u], tuple(sorted(c))) for u, c in shared.items()),
                  key=lambda c: (c.departments, c.display_name, c.username))


def absentees(session: Session, username: str) -> list[Colleague]:
    """Whom `username` may name a deputy for besides themselves: the other active members of the departments they
    are a supervisor or head of, of no higher rank there."""
    mine = {code: ROLE_RANK.get(role, 0) for code, role in _memberships(session, username).items()
            if ROLE_RANK.get(role, 0) >= ROLE_RANK["supervisor"]}
    return [c for c in colleagues(session, username)
            if any(ROLE_RANK.get(_memberships(session, c.username).get(code, ""), 1) <= mine[code]
                   for code in c.departments if code in mine)]


def listed(session: Session, username: str, now: datetime | None = None) -> list[Deputy]:
    """Deputyships that concern a user (as principal, deputy or who named it) and have not ended."""
    now = now or _now()
    return list(session.execute(select(Deputy).where(
        (Deputy.principal == username) | (Deputy.deputy == username) | (Deputy.named_by == username),
        Deputy.revoked_at.is_(None), Deputy.ends_at > now).order_by(Deputy.starts_at)).scalars())
