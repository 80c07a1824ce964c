"""Retention and legal hold.

A process says how long its finished cases are kept (`retention_years` on the process, checked at deploy);
without it they are kept for good. `due` lists the completed cases past their time that no legal hold
keeps; `purge` removes what a case holds about people and keeps what the figures and the audit need:

- removed: the case's workflow state, summary and path, its tasks (their submitted data), its attachments
  (scanned materials), notices, copies, stopped-clock periods, added signers, supervision items and rating
  comment, and whatever the plugins keep about it (their purge hooks, e.g. the portal's application record);
- kept: a tombstone of the case row (business key, process, dates, `purged_at`), its figures' facts (no
  personal data), and every audit entry, whose `details` are replaced by `{"redacted":true}` with
  `redacted_at` set. The entries keep their hash and their place in the chain.

`audit verify` checks a redacted entry's links (its `prev_hash` is the previous entry's hash, and the next
entry's `prev_hash` is its hash, which is hashed into the next entry) but cannot recompute its hash from
content that is gone; instead each redaction must be recorded by a later `case_purged` entry listing the
redacted entries; one blanked without that record is reported as tampering. The signed checkpoints pin
the chain's head, so rewriting hashes to hide a blanking is caught too.

A legal hold (an auditor or administrator, with a reason) keeps a case from being purged until it is
lifted (with a reason). Placing, lifting and purging are audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from . import attachments, audit, holding, wallclock
from .errors import Conflict, Message, NotFound, PermissionDenied, catalogue
from .models import (AuditEntry, Case, CaseCopy, CaseLookup, CasePause, CaseRating, LegalHold, Notification,
                     SupervisionItem, Task, TaskSigner)
from .routing import Actor
from .runtime import Runtime

MAX_REASON = 1000
MESSAGES = catalogue({
    "hold_purge": "{key} is under a legal hold; it is not purged",
    "hold_who": "only an auditor or an administrator places or lifts a legal hold",
    "no_case": "no case {key}",
    "hold_purged": "{key} was purged on {day}; there is nothing left to hold",
    "hold_missing": "no legal hold #{hold}",
    "hold_lifted": "legal hold #{hold} was already lifted by {by}",
})
HOLDERS = ("auditor", "admin")


@dataclass(frozen=True)
class Due:
    case_id: int
    business_key: str
    process_key: str
    ended_at: datetime
    years: int


def _now() -> datetime:
    return wallclock.now()


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _not_held():
    return ~exists().where(LegalHold.case_id == Case.id, LegalHold.lifted_at.is_(None))


def due(session: Session, rt: Runtime, now: datetime | None = None, limit: int = 1000) -> list[Due]:
    """Completed cases past their process's retention time and not under a legal hold, oldest first."""
    now = now or _now()
    out: list[Due] = []
    versions = session.execute(select(Case.definition_id).where(Case.status == "completed", Case.purged_at.is_(None))
                               .distinct()).scalars().all()
    for definition_id in versions:
        years = rt.model(session, definition_id).retention_years
        if not years:
            continue
        rows = session.execute(select(Case.id, Case.business_key, Case.process_key, Case.ended_at).where(
            Case.definition_id == definition_id, Case.status == "completed", Case.purged_at.is_(None),
            Case.ended_at < _years_before(now, years), _not_held()).order_by(Case.ended_at).limit(limit)).all()
        out += [Due(r.id, r.business_key, r.process_key, r.ended_at, years) for r in rows]
    return sorted(out, key=lambda d: d.ended_at)[:limit]


def purge(session: Session, rt: Runtime, actor: Actor, item: Due, now: datetime | None = None) -> int:
    """Remove a due case's personal data (see the module's rules); returns the audit entries redacted."""
    now = now or _now()
    case = session.execute(select(Case).where(Case.id == item.case_id).with_for_update()).scalar_one_or_none()
    if case is None or case.purged_at is not None:
        return 0
    if session.execute(select(LegalHold.id).where(LegalHold.case_id == case.id, LegalHold.lifted_at.is_(None))
                       .limit(1)).first():
        raise Conflict(Message("hold_purge", key=case.business_key))
    task_ids = select(Task.id).where(Task.case_id == case.id)
    session.execute(delete(TaskSigner).where(TaskSigner.task_id.in_(task_ids)))
    for model in (CaseCopy, CaseLookup, CasePause, SupervisionItem):
        session.execute(delete(model).where(model.case_id == case.id))
    session.execute(delete(Notification).where(Notification.business_key == case.business_key))
    session.execute(update(CaseRating).where(CaseRating.case_id == case.id).values(comment=""))
    session.execute(delete(Task).where(Task.case_id == case.id))
    attachments.purge_case(session, case.id, case.business_key)  # their files go with the next sweep
    for hook in rt.purge_hooks:
        hook(session, case.id, case.business_key)
    case.state, case.summary, case.visited, case.error, case.purged_at = "", "{}", "", None, now
    redacted = list(session.execute(update(AuditEntry).where(AuditEntry.case_id == case.id,
                                                             AuditEntry.redacted_at.is_(None))
                                    .values(details=audit.REDACTED, redacted_at=now).returning(AuditEntry.seq)).scalars())
    audit.append(session, [audit.Event("case_purged", actor.username,
                                       {"process": case.process_key, "retention_years": item.years,
                                        "ended_at": case.ended_at.isoformat() if case.ended_at else None,
                                        "redacted": _ranges(sorted(redacted))},
                                       None, case.id, case.business_key)], now)
    return len(redacted)


def _ranges(seqs: list[int]) -> list[list[int]]:
    """[[first, last], …] of consecutive sequence numbers."""
    out: list[list[int]] = []
    for seq in seqs:
        if out and out[-1][1] == seq - 1:
            out[-1][1] = seq
        else:
            out.append([seq, seq])
    return out


def _require_holder(actor: Actor) -> None:
    if not any(role in actor.roles for role in HOLDERS):
        raise PermissionDenied(Message("hold_who"))


def _reason(reason: str) -> str:
    return holding.text(reason, "reason", "a legal hold needs a reason", MAX_REASON)


def place(session: Session, actor: Actor, business_key: str, reason: str, now: datetime | None = None) -> LegalHold:
    """Put a case under a legal hold."""
    _require_holder(actor)
    reason, now = _reason(reason), now or _now()
    case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
    if case is None:
        raise NotFound(Message("no_case", key=business_key))
    if case.purged_at is not None:
        raise Conflict(Message("hold_purged", key=business_key, day=f"{case.purged_at:%Y-%m-%d}"))
    hold = LegalHold(case_id=case.id, reason=reason, placed_by=actor.username, placed_at=now)
    session.add(hold)
    session.flush()
    audit.append(session, [audit.Event("legal_hold_placed", actor.username, {"hold": hold.id, "reason": reason},
                                       None, case.id, business_key)], now)
    return hold


def lift(session: Session, actor: Actor, hold_id: int, reason: str, now: datetime | None = None) -> LegalHold:
    """Lift a legal hold (the case may be purged again when its time has come)."""
    _require_holder(actor)
    reason, now = _reason(reason), now or _now()
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(Message("hold_missing", hold=hold_id))
    if hold.lifted_at is not None:
        raise Conflict(Message("hold_lifted", hold=hold_id, by=hold.lifted_by))
    hold.lifted_by, hold.lifted_at, hold.lift_reason = actor.username, now, reason
    key = session.execute(select(Case.business_key).where(Case.id == hold.case_id)).scalar_one()
    audit.append(session, [audit.Event("legal_hold_lifted", actor.username, {"hold": hold.id, "reason": reason},
                                       None, hold.case_id, key)], now)
    return hold


def holds_of(session: Session, case_id: int) -> list[LegalHold]:
    return list(session.execute(select(LegalHold).where(LegalHold.case_id == case_id)
                                .order_by(LegalHold.placed_at)).scalars())
