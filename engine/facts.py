"""The facts the figures are computed from, derived from the case histories and kept up to date.

Each case's row in `case_facts` and its tasks' rows in `step_facts` are rebuilt from the case's audit
history (its `milestone` events: accepted, decided, approved, paid, answered …) and its task rows. The
worker brings them up to date from a watermark on the audit log, so only the cases that moved are
rebuilt; `rebuild_all` recomputes everything and must give the same rows (a test proves it).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import alerts, clock, rollups, wallclock, watermarks
from .calendar import WorkCalendar
from .models import AuditEntry, Case, CaseFact, InquiryFact, KpiProgress, StepFact, Task
from .runtime import Runtime

WATERMARK = "facts"
BATCH = 5000
CODE_LENGTH = 16  # departments.code: an addressee longer than a code can be is none (kpi_addressee_field names any field)


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _days(cal: WorkCalendar, start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(cal.workdays_between(start, end), 4)


def case_fact(case: Case, history: list[tuple[datetime, str, dict]], tasks: list[Task], cal: WorkCalendar,
              success: frozenset[str]) -> CaseFact:
    """One case's facts from its history (moment, event, details) in order, and its task rows."""
    milestones: dict[str, list[tuple[datetime, dict]]] = {}
    area = category = addressee = rating = None
    for at, event, details in history:
        if event == "case_rated":
            rating = details.get("score")
        if event != "milestone" or "inquiry" in details:  # a called 函询's milestone is the inquiry's (see below)
            continue
        milestones.setdefault(details.get("milestone", ""), []).append((at, details))
        area = details.get("area", area)
        category = details.get("category", category)
        addressee = details.get("addressee", addressee)
    addressee = addressee if addressee is None or len(addressee) <= CODE_LENGTH else None
    first = {name: moments[0][0] for name, moments in milestones.items()}
    decided = milestones.get("decided", [])
    first_outcome = decided[0][1].get("outcome") if decided else None
    outcome = decided[-1][1].get("outcome") if decided else None
    paid = first.get("paid")
    approved = max((at for at, _ in milestones.get("approved", []) if paid is None or at <= paid), default=None)
    fact = CaseFact(case_id=case.id, business_key=case.business_key, process_key=case.process_key,
                    status=case.status, area=area, category=category, addressee=addressee, started_at=_aware(case.started_at),
                    accepted_at=first.get("accepted"), decided_at=first.get("decided"),
                    first_outcome=first_outcome, outcome=outcome,
                    success=(outcome in success) if decided and success else None,
                    changed=len({d.get("outcome") for _, d in decided}) > 1,
                    approved_at=approved, paid_at=paid, answered_at=first.get("answered"),
                    ended_at=_aware(case.ended_at),
                    appeals=len(milestones.get("appealed", [])), objections=len(milestones.get("objected", [])),
                    requests=len(milestones.get("resubmitted", [])) + (1 if "not_accepted" in milestones else 0),
                    withdrawn="withdrawn" in milestones, rating=rating)
    stops = clock.periods(history)  # 补正: the figures leave the stopped time out (the gross handling time too)
    fact.handling_days = clock.running_days(cal, stops, fact.accepted_at, fact.decided_at)
    fact.handling_gross_days = _days(cal, fact.accepted_at, fact.decided_at)
    fact.stopped_days = round(sum(cal.workdays_between(s, e) for s, e in stops if e is not None), 4)
    fact.disbursement_days = clock.running_days(cal, stops, fact.approved_at, fact.paid_at)
    fact.reply_days = clock.running_days(cal, stops, fact.accepted_at, fact.answered_at)
    if addressee:
        answering = [t for t in tasks if t.department_code == addressee and t.due_at is not None]
        fact.reply_due_at = _aware(min(answering, key=lambda t: t.created_at).due_at) if answering else None
    return fact


def inquiry_facts(case: Case, fact: CaseFact, history: list[tuple[datetime, str, dict]], tasks: list[Task],
                  cal: WorkCalendar) -> list[InquiryFact]:
    """The formal inquiries (函询) of a case: the case itself when its process names an addressee (asked at its
    first `accepted`, answered at its first `answered`), and each inquiry its steps called (its milestones carry
    `inquiry`, the call). Asked and answered are the first of each (a follow-up question does not ask anew); the
    reply's deadline is the due time of the first step of the department asked that opened when it was asked."""
    calls: dict[str, dict[str, Any]] = {}
    for at, event, details in history:
        asked_of = details.get("addressee") or ""
        if event != "milestone" or not details.get("inquiry") or not 0 < len(asked_of) <= CODE_LENGTH:
            continue
        call = calls.setdefault(details["inquiry"], {"addressee": asked_of})
        call.setdefault(details.get("milestone", ""), at)
    asked = [(fact.accepted_at, fact.answered_at, fact.addressee)] if fact.addressee and fact.accepted_at else []
    asked += [(c["accepted"], c.get("answered"), c["addressee"]) for c in calls.values() if "accepted" in c]
    stops = clock.periods(history)
    out = []
    for number, (at, answered, addressee) in enumerate(sorted(asked, key=lambda a: a[0])):
        answering = [t for t in tasks if t.department_code == addressee and t.due_at is not None
                     and _aware(t.created_at) >= at]
        due = _aware(min(answering, key=lambda t: t.created_at).due_at) if answering else None
        out.append(InquiryFact(case_id=case.id, number=number, process_key=case.process_key, addressee=addressee,
                               asked_at=at, answered_at=answered, reply_due_at=due,
                               reply_days=clock.running_days(cal, stops, at, answered)))
    return out


def step_fact(task: Task, cal: WorkCalendar, stops: list[clock.Period] = ()) -> StepFact:
    """One task's facts: working days from arrival to closing (the clock's stopped time left out), and on time
    against its due moment (which moved on by that time)."""
    created, closed, due = _aware(task.created_at), _aware(task.closed_at), _aware(task.due_at)
    done = task.state in ("completed", "sent_back")  # a step sent back was handled too
    return StepFact(task_id=task.id, case_id=task.case_id, process_key=task.process_key, element_id=task.element_id,
                    name=task.name, department_code=task.department_code, state=task.state, created_at=created,
                    closed_at=closed, due_at=due, escalated_at=_aware(task.escalated_at),
                    work_days=clock.running_days(cal, list(stops), created, closed) if done else None,
                    on_time=(closed <= due) if done and due is not None else None)


def _success_of(session: Session, rt: Runtime) -> Callable[[Case], frozenset[str]]:
    cache: dict[int, frozenset[str]] = {}

    def success(case: Case) -> frozenset[str]:
        if case.definition_id not in cache:
            cache[case.definition_id] = rt.model(session, case.definition_id).kpi_success
        return cache[case.definition_id]
    return success


def rebuild_case(session: Session, case_id: int, cal: WorkCalendar, success_of: Callable[[Case], frozenset[str]],
                 mark_months: bool = True) -> None:
    """Replace one case's facts with ones computed afresh from its history (a purged case keeps the facts it
    had: its history no longer holds what they were computed from)."""
    case = session.get(Case, case_id)
    if case is not None and case.purged_at is not None:
        return
    before = _moments(session.get(CaseFact, case_id),
                      session.execute(select(StepFact).where(StepFact.case_id == case_id)).scalars(),
                      session.execute(select(InquiryFact).where(InquiryFact.case_id == case_id)).scalars()
                      ) if mark_months else []
    for model in (StepFact, InquiryFact, CaseFact):
        session.execute(delete(model).where(model.case_id == case_id))
    if case is None:
        if mark_months:
            rollups.mark(session, before, cal.tz)
        return
    rows = session.execute(select(AuditEntry.at, AuditEntry.event, AuditEntry.details)
                           .where(AuditEntry.case_id == case_id).order_by(AuditEntry.seq)).all()
    history = [(_aware(at), event, json.loads(details) if event in ("milestone", "case_rated") else {})
               for at, event, details in rows]
    tasks = session.execute(select(Task).where(Task.case_id == case_id)).scalars().all()
    fact = case_fact(case, history, tasks, cal, success_of(case))
    stops = clock.periods(history)
    steps = [step_fact(task, cal, stops) for task in tasks]
    inquiries = inquiry_facts(case, fact, history, tasks, cal)
    session.add(fact)
    session.add_all(steps)
    session.add_all(inquiries)
    if mark_months:
        rollups.mark(session, before + _moments(fact, steps, inquiries), cal.tz)
    last_progress = max((at for at, event, _ in history if event in alerts.PROGRESS), default=None)
    alerts.watch_case(session, case, fact, steps, last_progress, cal, wallclock.now(), stops)


def _moments(fact: CaseFact | None, steps, inquiries=()) -> list:
    """The moments that put a case's facts into months (the months whose rollups it feeds)."""
    out = [] if fact is None else [fact.accepted_at, fact.decided_at, fact.paid_at, fact.ended_at]
    for step in steps:
        out += [step.closed_at, step.escalated_at]
    out += [inquiry.asked_at for inquiry in inquiries]
    return [m for m in out if m is not None]


def refresh(session: Session, rt: Runtime, limit: int = BATCH, sum_months: bool = True) -> int:
    """Bring the facts up to date with at most `limit` new audit entries; returns the entries read. The
    months whose facts changed are summed again now, or (sum_months=False) by a later rollups.refresh."""
    cal, success_of = rt.calendar, _success_of(session, rt)
    mark = watermarks.held(session, WATERMARK)
    rows = session.execute(select(AuditEntry.seq, AuditEntry.case_id).where(AuditEntry.seq > mark.seq)
                           .order_by(AuditEntry.seq).limit(limit)).all()
    if not rows:
        return 0
    for case_id in sorted({case_id for _, case_id in rows if case_id is not None}):
        rebuild_case(session, case_id, cal, success_of)
    if sum_months:
        rollups.refresh(session, cal.tz)
    mark.seq, mark.updated_at = rows[-1][0], wallclock.now()
    return len(rows)


def rebuild_all(session: Session, rt: Runtime) -> int:
    """Recompute every fact from the whole audit log; returns the cases rebuilt (purged cases keep theirs)."""
    cal, success_of = rt.calendar, _success_of(session, rt)
    kept = select(Case.id).where(Case.purged_at.is_(None))
    for model in (StepFact, InquiryFact, CaseFact):
        session.execute(delete(model).where(model.case_id.in_(kept)))
    mark = watermarks.held(session, WATERMARK)
    mark.seq = session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)).scalar() or 0
    mark.updated_at = wallclock.now()
    ids = session.execute(kept.order_by(Case.id)).scalars().all()
    for case_id in ids:
        rebuild_case(session, case_id, cal, success_of, mark_months=False)  # every month is summed below
    rollups.rebuild(session, cal.tz)
    return len(ids)


def as_of(session: Session) -> datetime | None:
    """When the facts were last brought up to date."""
    mark = session.get(KpiProgress, WATERMARK)
    return _aware(mark.updated_at) if mark else None


def snapshot(session: Session) -> dict[str, Any]:
    """Every fact as plain rows (to compare an incremental refresh with a full rebuild)."""
    def rows(model, *keys):
        return [{c.name: getattr(r, c.name) for c in model.__table__.columns}
                for r in session.execute(select(model).order_by(*keys)).scalars()]
    return {"cases": rows(CaseFact, CaseFact.case_id), "steps": rows(StepFact, StepFact.task_id),
            "inquiries": rows(InquiryFact, InquiryFact.case_id, InquiryFact.number)}
