"""代理 (deputies): a user names a deputy for a period (or a supervisor or head of their department names
one for them); while it runs the deputy sees and acts on the absent user's tasks with the absent user's
role, and the record says "A acting for B". 不相容岗位 still applies to the person who acts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import audit, wallclock
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .models import Deputy, Membership, User
from .routing import ROLE_RANK, Actor

LONGEST = timedelta(days=92)


def _now() -> datetime:
    return wallclock.now()


def _memberships(session: Session, username: str) -> dict[str, str]:
    return dict(session.execute(select(Membership.department_code, Membership.role).join(User, User.id == Membership.user_id)
                                .where(User.username == username)).all())


def borrowed(session: Session, deputy: str, now: datetime | None = None) -> dict[str, tuple[str, str]]:
    """code → (role, principal) that `deputy` holds for absent users right now (the highest role wins)."""
    now = now or _now()
    out: dict[str, tuple[str, str]] = {}
    principals = session.execute(select(Deputy.principal).where(Deputy.deputy == deputy, Deputy.revoked_at.is_(None),
                                                                 Deputy.starts_at <= now, Deputy.ends_at > now)).scalars()
    for principal in sorted(set(principals)):
        for code, role in _memberships(session, principal).items():
            if ROLE_RANK.get(role, 0) > ROLE_RANK.get(out.get(code, ("", ""))[0], 0):
                out[code] = (role, principal)
    return out


def name(session: Session, by: Actor, principal: str, deputy: str, starts_at: datetime, ends_at: datetime,
         reason: str) -> Deputy:
    """Name a deputy for a period: the principal themselves, or a supervisor or head of a department the
    principal belongs to (at least the principal's rank there)."""
    reason = (reason or "").strip()
    problems = {}
    if not reason:
        problems["reason"] = "required"
    if ends_at <= starts_at:
        problems["ends_at"] = "must be after the start"
    elif ends_at - starts_at > LONGEST:
        problems["ends_at"] = "a deputy is named for at most 92 days at a time"
    if deputy == principal:
        problems["deputy"] = "is the absent user"
    users = {u.username: u for u in session.execute(select(User).where(User.username.in_([principal, deputy]))).scalars()}
    if principal not in users:
        raise NotFound(f"no user {principal!r}")
    if deputy not in users or not users[deputy].active:
        problems["deputy"] = "is no active user"
    if problems:
        raise InvalidInput("the deputy cannot be named", problems)
    held = _memberships(session, principal)
    if by.username != principal and not any(by.rank_in(code) >= max(ROLE_RANK["supervisor"], ROLE_RANK.get(role, 1))
                                            for code, role in held.items()):
        raise PermissionDenied(f"{by.username} may not name a deputy for {principal}: they themselves or a supervisor "
                               "of their department may")
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
        raise NotFound(f"no deputy #{deputy_id}")
    if by.username not in (row.principal, row.deputy, row.named_by):
        raise PermissionDenied(f"{by.username} may not end this deputyship")
    if row.revoked_at is not None:
        raise Conflict("this deputyship has already ended")
    session.execute(update(Deputy).where(Deputy.id == deputy_id).values(revoked_at=_now()),
                    execution_options={"synchronize_session": False})
    audit.append(session, [audit.Event("deputy_revoked", by.username, {"principal": row.principal, "deputy": row.deputy})],
                 _now())


def listed(session: Session, username: str, now: datetime | None = None) -> list[Deputy]:
    """Deputyships that concern a user (as principal, deputy or who named it) and have not ended."""
    now = now or _now()
    return list(session.execute(select(Deputy).where(
        (Deputy.principal == username) | (Deputy.deputy == username) | (Deputy.named_by == username),
        Deputy.revoked_at.is_(None), Deputy.ends_at > now).order_by(Deputy.starts_at)).scalars())
