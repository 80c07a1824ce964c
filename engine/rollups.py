"""Monthly rollups of the case and step facts, so that the dashboard costs the same at a million cases.

A month is summed again from the facts whenever a fact of it changed (the facts refresher marks it
dirty), in one pass per metric. Durations are kept as histograms in hundredths of a working day, so
sums of months give exact counts and means and medians and p90s to the hundredth. `rebuild` sums every
month from scratch; a test proves it equals what the incremental path left.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from . import wallclock, watermarks
from .models import CaseFact, CaseRollup, DirtyMonth, InquiryFact, OpenSteps, StepFact, StepRollup
from .periods import Period, month_of

CASE_METRICS = ("accepted", "decided", "paid", "finished", "inquiry")
STEP_METRICS = ("completed", "escalated")
TURNS = "rollups"  # the kpi_progress row two workers summing the months take turns at


class Sum:
    """Count, total, histogram (hundredths → count) and named counters of one rollup row."""

    __slots__ = ("n", "total", "hist", "extra")

    def __init__(self) -> None:
        self.n, self.total, self.hist, self.extra = 0, 0.0, defaultdict(int), defaultdict(int)

    def add(self, value: float | None = None, **counters: int) -> None:
        self.n += 1
        if value is not None:
            self.total += value
            self.hist[int(round(value * 100))] += 1
        for name, amount in counters.items():
            if amount:
                self.extra[name] += amount

    def merge(self, n: int, total: float, hist: dict, extra: dict) -> None:
        self.n += n
        self.total += total
        for key, count in hist.items():
            self.hist[int(key)] += count
        for key, count in extra.items():
            self.extra[key] += count


def mark(session: Session, moments: Iterable[datetime | None], tz: ZoneInfo) -> None:
    """Mark the months of these moments dirty (their rollups are summed again by `refresh`)."""
    months = {month_of(m, tz) for m in moments if m is not None}
    known = set(session.execute(select(DirtyMonth.month).where(DirtyMonth.month.in_(months))).scalars()) if months else set()
    session.add_all(DirtyMonth(month=m) for m in sorted(months - known))
    session.flush()


def count_open(session: Session, now: datetime | None = None) -> None:
    """Count the open and overdue steps per process and department (one grouped pass over the open steps)."""
    now = now or wallclock.now()
    rows = session.execute(select(StepFact.process_key, StepFact.department_code, func.count(),
                                  func.count().filter(StepFact.due_at < now))
                           .where(StepFact.state == "open").group_by(StepFact.process_key, StepFact.department_code)).all()
    session.execute(delete(OpenSteps))
    session.add_all(OpenSteps(process_key=p, department=d, open=n, overdue=late, counted_at=now) for p, d, n, late in rows)


def open_counts(session: Session, process: str | None, department: str | None) -> dict[str, tuple[int, int]]:
    """department → (open, overdue) from the last count."""
    stmt = select(OpenSteps.department, func.sum(OpenSteps.open), func.sum(OpenSteps.overdue)).group_by(OpenSteps.department)
    if process:
        stmt = stmt.where(OpenSteps.process_key == process)
    if department:
        stmt = stmt.where(OpenSteps.department == department)
    return {d: (int(n), int(late)) for d, n, late in session.execute(stmt)}


def refresh(session: Session, tz: ZoneInfo) -> int:
    """Sum the dirty months again and count the open steps; returns how many months were summed. Two workers take
    turns (each empties and refills the counts)."""
    watermarks.take_turns(session, TURNS)
    count_open(session)
    months = list(session.execute(select(DirtyMonth.month)).scalars())
    for month in months:
        _sum_month(session, month, tz)
    if months:
        session.execute(delete(DirtyMonth).where(DirtyMonth.month.in_(months)))
    return len(months)


def rebuild(session: Session, tz: ZoneInfo) -> int:
    """Sum every month that has facts, from scratch."""
    watermarks.take_turns(session, TURNS)
    session.execute(delete(CaseRollup))
    session.execute(delete(StepRollup))
    session.execute(delete(DirtyMonth))
    count_open(session)
    moments = []
    for column in (CaseFact.accepted_at, CaseFact.decided_at, CaseFact.paid_at, CaseFact.ended_at):
        moments += list(session.execute(select(func.min(column), func.max(column))).one())
    for column in (StepFact.closed_at, StepFact.escalated_at, InquiryFact.asked_at):
        moments += list(session.execute(select(func.min(column), func.max(column))).one())
    moments = [m for m in moments if m is not None]
    if not moments:
        return 0
    first, last = month_of(min(moments), tz), month_of(max(moments), tz)
    month, count = Period(int(first[:4]), "month", int(first[5:])), 0
    while month.label <= last:
        _sum_month(session, month.label, tz)
        month, count = month.shift(1), count + 1
    return count


def _departments(session: Session, condition) -> dict[int, set[str]]:
    rows = session.execute(select(StepFact.case_id, StepFact.department_code).distinct()
                           .join(CaseFact, CaseFact.case_id == StepFact.case_id).where(condition)).all()
    out: dict[int, set[str]] = defaultdict(set)
    for case_id, department in rows:
        out[case_id].add(department)
    return out


_FACT = (CaseFact.case_id, CaseFact.process_key, CaseFact.area, CaseFact.category, CaseFact.withdrawn,
         CaseFact.handling_days, CaseFact.success, CaseFact.changed, CaseFact.appeals, CaseFact.objections,
         CaseFact.disbursement_days, CaseFact.accepted_at, CaseFact.requests, CaseFact.rating,
         CaseFact.handling_gross_days)


def _sum_month(session: Session, month: str, tz: ZoneInfo) -> None:
    start, end = Period(int(month[:4]), "month", int(month[5:])).bounds(tz)
    session.execute(delete(CaseRollup).where(CaseRollup.month == month))
    session.execute(delete(StepRollup).where(StepRollup.month == month))
    sums: dict[tuple, Sum] = defaultdict(Sum)
    moments = {"accepted": CaseFact.accepted_at, "decided": CaseFact.decided_at, "paid": CaseFact.paid_at,
               "finished": CaseFact.ended_at}
    for metric, column in moments.items():  # plain rows, not ORM objects: a month can hold tens of thousands
        within = and_(column >= start, column < end)
        departments = _departments(session, within)
        for fact in session.execute(select(*_FACT).where(within)):
            for department in ("", *departments.get(fact.case_id, ())):
                _add(sums[(metric, fact.process_key, fact.area or "", fact.category or "", department)], metric, fact)
    inquiries = and_(InquiryFact.asked_at >= start, InquiryFact.asked_at < end, InquiryFact.reply_due_at.is_not(None))
    for process, addressee, answered_at, due, days in session.execute(select(
            InquiryFact.process_key, InquiryFact.addressee, InquiryFact.answered_at, InquiryFact.reply_due_at,
            InquiryFact.reply_days).where(inquiries)):
        answered = answered_at is not None
        sums[("inquiry", process, "", "", addressee)].add(days if answered else None,
                                                          on_time=int(answered and answered_at <= due))
    session.add_all(CaseRollup(month=month, metric=k[0], process_key=k[1], area=k[2], category=k[3], department=k[4],
                               n=s.n, total=round(s.total, 4), hist=json.dumps(s.hist), extra=json.dumps(s.extra))
                    for k, s in sums.items())
    _sum_steps(session, month, start, end)


def _add(s: Sum, metric: str, f: Any) -> None:
    if metric == "accepted":
        s.add()
    elif metric == "decided":
        if f.withdrawn:
            s.extra["withdrawn"] += 1
            return
        gross = f.handling_gross_days if f.handling_days is not None else None  # 补正: with the stopped time
        s.add(f.handling_days, judged=int(f.success is not None), succeeded=int(bool(f.success)),
              kept=int(not f.changed), complaints=f.appeals + f.objections, appealed=int(f.appeals > 0),
              appeal_changed=int(f.appeals > 0 and f.changed),
              gross_hundredths=int(round((gross or 0) * 100)),
              stopped=int(gross is not None and gross - f.handling_days > 0.00005))
    elif metric == "paid":
        s.add(f.disbursement_days)
    else:
        s.add(None, with_acceptance=int(f.accepted_at is not None),
              one_visit=int(f.accepted_at is not None and f.requests <= 1),
              rated=int(f.rating is not None), rating_sum=f.rating or 0)


def _sum_steps(session: Session, month: str, start: datetime, end: datetime) -> None:
    sums: dict[tuple, Sum] = defaultdict(Sum)
    names: dict[tuple, str] = {}
    columns = (StepFact.process_key, StepFact.department_code, StepFact.element_id, StepFact.name,
               StepFact.work_days, StepFact.on_time)
    done = and_(StepFact.closed_at >= start, StepFact.closed_at < end, StepFact.state == "completed")
    for process, department, element, name, days, on_time in session.execute(select(*columns).where(done)):
        key = ("completed", process, department, element)
        names[key] = name
        sums[key].add(days, timed=int(on_time is not None), on_time=int(bool(on_time)))
    raised = and_(StepFact.escalated_at >= start, StepFact.escalated_at < end)
    for process, department, element, name, _, _ in session.execute(select(*columns).where(raised)):
        key = ("escalated", process, department, element)
        names[key] = name
        sums[key].add()
    session.add_all(StepRollup(month=month, metric=k[0], process_key=k[1], department=k[2], element_id=k[3],
                               name=names[k], n=v.n, total=round(v.total, 4), hist=json.dumps(v.hist),
                               extra=json.dumps(v.extra)) for k, v in sums.items())


def case_rows(session: Session, months: list[str], metric: str, process: str | None, department: str | None,
              area: str | None) -> list[CaseRollup]:
    """The case rollup rows of these months for a scope."""
    stmt = select(CaseRollup).where(CaseRollup.month.in_(months), CaseRollup.metric == metric,
                                    CaseRollup.department == (department or ""))
    if process:
        stmt = stmt.where(CaseRollup.process_key == process)
    if area:
        stmt = stmt.where(CaseRollup.area == area)
    return list(session.execute(stmt).scalars())


def step_rows(session: Session, months: list[str], metric: str, process: str | None,
              department: str | None) -> list[StepRollup]:
    stmt = select(StepRollup).where(StepRollup.month.in_(months), StepRollup.metric == metric)
    if process:
        stmt = stmt.where(StepRollup.process_key == process)
    if department:
        stmt = stmt.where(StepRollup.department == department)
    return list(session.execute(stmt).scalars())


def merged(rows: Iterable[Any]) -> Sum:
    """One Sum of many rollup rows."""
    out = Sum()
    for row in rows:
        out.merge(row.n, row.total, json.loads(row.hist), json.loads(row.extra))
    return out


def snapshot(session: Session) -> list[tuple]:
    """Every rollup row as plain values, in a fixed order (to compare incremental with rebuilt)."""
    cases = [("case", r.month, r.metric, r.process_key, r.area, r.category, r.department, r.n, round(r.total, 4),
              json.loads(r.hist), json.loads(r.extra)) for r in session.execute(select(CaseRollup)).scalars()]
    steps = [("step", r.month, r.metric, r.process_key, r.department, r.element_id, r.n, round(r.total, 4),
              json.loads(r.hist), json.loads(r.extra)) for r in session.execute(select(StepRollup)).scalars()]
    return sorted(cases + steps, key=repr)
