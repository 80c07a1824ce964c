"""The figures the joint review is steered by, computed from the case and step facts (engine/facts.py).

Every duration is in working days of the official calendar. A figure is given for a period (a month,
a quarter or a year, in the calendar's time zone) and a scope (process, department, street office);
with fewer than MIN_CASES cases it says so instead of giving a misleading number. `compare` adds the
previous period and the same period a year earlier.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from .errors import InvalidInput
from . import rollups, wallclock
from .models import CaseFact, StepFact
from .periods import Period, current_period, parse_period  # noqa: F401 - part of this module's interface

MIN_CASES = 5


@dataclass(frozen=True)
class Scope:
    """Which cases a figure covers."""

    process: str | None = None
    department: str | None = None
    area: str | None = None

    def cases(self, stmt):
        if self.process:
            stmt = stmt.where(CaseFact.process_key == self.process)
        if self.area:
            stmt = stmt.where(CaseFact.area == self.area)
        if self.department:
            stmt = stmt.where(CaseFact.case_id.in_(select(StepFact.case_id)
                                                   .where(StepFact.department_code == self.department)))
        return stmt

    def steps(self, stmt):
        if self.process:
            stmt = stmt.where(StepFact.process_key == self.process)
        if self.department:
            stmt = stmt.where(StepFact.department_code == self.department)
        if self.area:
            stmt = stmt.where(StepFact.case_id.in_(select(CaseFact.case_id).where(CaseFact.area == self.area)))
        return stmt


def share(part: int, whole: int) -> dict[str, Any]:
    """A share of `whole`, or a 'too few' marker."""
    out: dict[str, Any] = {"n": whole, "count": part, "too_few": whole < MIN_CASES}
    if not out["too_few"]:
        out["rate"] = round(part / whole, 4)
    return out


@dataclass
class Window:
    """A period resolved to moments, with the scope: what every query of one figure set needs."""

    period: Period
    scope: Scope
    start: datetime
    end: datetime
    now: datetime = field(default_factory=lambda: wallclock.now())

    @property
    def months(self) -> list[str]:
        return [m.label for m in self.period.months()]

    def within(self, column):
        return and_(column >= self.start, column < self.end)


def window(period: Period, scope: Scope, tz: ZoneInfo, now: datetime | None = None) -> Window:
    start, end = period.bounds(tz)
    return Window(period, scope, start, end, now or wallclock.now())


def stat_of(s: rollups.Sum) -> dict[str, Any]:
    """Count, mean, median and p90 (linear interpolation) of the durations in a rollup histogram (hundredths
    of a working day), or a "too few" marker."""
    count = sum(s.hist.values())
    out: dict[str, Any] = {"n": count, "too_few": count < MIN_CASES}
    if not out["too_few"]:
        ordered = sorted(s.hist.items())

        def at(rank: int) -> float:
            seen = 0
            for key, times in ordered:
                seen += times
                if rank < seen:
                    return key / 100
            return ordered[-1][0] / 100

        def percentile(q: float) -> float:
            position = q * (count - 1)
            low = int(position)
            return at(low) + (at(min(low + 1, count - 1)) - at(low)) * (position - low)
        total = sum(key * times for key, times in ordered) / 100
        out.update(avg=round(total / count, 2), median=round(percentile(0.5), 2), p90=round(percentile(0.9), 2))
    return out


def _with_stops(s: rollups.Sum) -> dict[str, Any]:
    """The handling time with the stopped time (补正) counted in, beside the default that leaves it out."""
    count = sum(s.hist.values())
    if count < MIN_CASES:
        return {}
    return {"avg_with_stops": round(s.extra["gross_hundredths"] / 100 / count, 2), "stopped_cases": s.extra["stopped"]}


def _cases(session: Session, w: Window, metric: str) -> list:
    return rollups.case_rows(session, w.months, metric, w.scope.process, w.scope.department, w.scope.area)


def _by(rows: list, key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[getattr(row, key)] = out.get(getattr(row, key), 0) + row.n
    return out


def _decisions(decided: rollups.Sum) -> dict[str, Any]:
    x, n = decided.extra, decided.n
    return {
        "success": share(x["succeeded"], x["judged"]),
        "accuracy": share(x["kept"], n),
        "complaints": {"n": n, "count": x["complaints"], "too_few": n < MIN_CASES,
                       **({"per_1000": round(1000 * x["complaints"] / n, 1)} if n >= MIN_CASES else {})},
        "appeal_reversal": share(x["appeal_changed"], x["appealed"]),
        "withdrawn": x["withdrawn"],
    }


def _volume(accepted: list, finished: list) -> dict[str, Any]:
    by_category = {k: n for k, n in _by(accepted, "category").items() if k}
    total = sum(by_category.values())
    return {"accepted": _by(accepted, "process_key"), "finished": _by(finished, "process_key"),
            "by_area": _by(accepted, "area"),
            "by_category": {k: {"count": n, "share": round(n / total, 4) if total else None}
                            for k, n in by_category.items()}}


def _satisfaction(finished: rollups.Sum) -> dict[str, Any]:
    rated = finished.extra["rated"]
    out: dict[str, Any] = {"n": rated, "too_few": rated < MIN_CASES}
    if not out["too_few"]:
        out["avg"] = round(finished.extra["rating_sum"] / rated, 2)
    return out


def overdue_now(session: Session, scope: Scope) -> dict[str, int]:
    """Open steps past their due moment, per department, as the worker last counted them (street-office
    filters do not apply to it)."""
    return {d: late for d, (_, late) in rollups.open_counts(session, scope.process, scope.department).items() if late}


def steps(session: Session, w: Window) -> dict[str, dict[str, Any]]:
    """Per department: steps completed in the period, on-time share, working days, escalations, overdue now."""
    done = rollups.step_rows(session, w.months, "completed", w.scope.process, w.scope.department)
    raised = rollups.step_rows(session, w.months, "escalated", w.scope.process, w.scope.department)
    overdue = overdue_now(session, w.scope)
    out: dict[str, dict[str, Any]] = {}
    for code in sorted({r.department for r in done} | {r.department for r in raised} | set(overdue)):
        mine = rollups.merged(r for r in done if r.department == code)
        out[code] = {"completed": mine.n, "on_time": share(mine.extra["on_time"], mine.extra["timed"]),
                     "work_days": stat_of(mine), "escalations": sum(r.n for r in raised if r.department == code),
                     "overdue_now": overdue.get(code, 0)}
    return out


def figures(session: Session, period: Period, scope: Scope, tz: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of one period and scope (read from the monthly rollups)."""
    w = window(period, scope, tz, now)
    accepted, finished = _cases(session, w, "accepted"), _cases(session, w, "finished")
    decided = rollups.merged(_cases(session, w, "decided"))
    finish = rollups.merged(finished)
    return {
        "period": period.label, "scope": {k: v for k, v in vars(scope).items() if v},
        "handling": {**stat_of(decided), **_with_stops(decided)},
        "disbursement": stat_of(rollups.merged(_cases(session, w, "paid"))),
        **_decisions(decided),
        "satisfaction": _satisfaction(finish),
        "volume": _volume(accepted, finished),
        "one_visit": share(finish.extra["one_visit"], finish.extra["with_acceptance"]),
        "steps": steps(session, w),
    }


HEADLINES = {"handling": ("handling", "avg"), "disbursement": ("disbursement", "avg"),
             "success_rate": ("success", "rate"), "accuracy": ("accuracy", "rate"),
             "satisfaction": ("satisfaction", "avg"), "complaints_per_1000": ("complaints", "per_1000")}


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return round((now - before) / abs(before), 4)


def compare(session: Session, period: Period, scope: Scope, tz: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    """The period's figures with the headline figures against the previous period and a year earlier."""
    current = figures(session, period, scope, tz, now)
    previous = figures(session, period.shift(-1), scope, tz, now)
    last_year = figures(session, period.year_before(), scope, tz, now)
    changes = {}
    for name, (group, key) in HEADLINES.items():
        value, before, year = (f[group].get(key) for f in (current, previous, last_year))
        changes[name] = {"value": value, "previous": before, "year_before": year,
                         "vs_previous": _change(value, before), "vs_year_before": _change(value, year)}
    accepted = [sum(f["volume"]["accepted"].values()) for f in (current, previous, last_year)]
    changes["accepted"] = {"value": accepted[0], "previous": accepted[1], "year_before": accepted[2],
                           "vs_previous": _change(accepted[0], accepted[1]),
                           "vs_year_before": _change(accepted[0], accepted[2])}
    current["changes"] = changes
    current["previous_period"], current["year_before_period"] = period.shift(-1).label, period.year_before().label
    return current


def trend(session: Session, period: Period, scope: Scope, tz: ZoneInfo, months: int = 12) -> list[dict[str, Any]]:
    """Handling time and acceptances per month, for the `months` months ending with the period."""
    last = period.months()[-1]
    labels = [last.shift(-offset).label for offset in range(months - 1, -1, -1)]
    decided = rollups.case_rows(session, labels, "decided", scope.process, scope.department, scope.area)
    accepted = rollups.case_rows(session, labels, "accepted", scope.process, scope.department, scope.area)
    return [{"month": m, "handling": stat_of(rollups.merged(r for r in decided if r.month == m)),
             "accepted": sum(r.n for r in accepted if r.month == m)} for m in labels]


# --- the cases behind a number ---------------------------------------------------------------------

def _case_figures(w: Window) -> dict[str, Any]:
    decided = w.within(CaseFact.decided_at)
    return {
        "handling": and_(decided, CaseFact.handling_days.is_not(None)),
        "decided": decided,
        "succeeded": and_(decided, CaseFact.success.is_(True)),
        "changed": and_(decided, CaseFact.changed.is_(True)),
        "complaints": and_(decided, (CaseFact.appeals + CaseFact.objections) > 0),
        "disbursement": and_(w.within(CaseFact.paid_at), CaseFact.disbursement_days.is_not(None)),
        "accepted": w.within(CaseFact.accepted_at),
        "finished": w.within(CaseFact.ended_at),
        "several_visits": and_(w.within(CaseFact.ended_at), CaseFact.requests > 1),
    }


STEP_FIGURES = ("completed", "late", "escalated", "overdue")
CASE_FIGURES = ("handling", "decided", "succeeded", "changed", "complaints", "disbursement", "accepted", "finished",
                "several_visits")
GROUPS = {"process": CaseFact.process_key, "area": CaseFact.area, "category": CaseFact.category,
          "addressee": CaseFact.addressee}


def cases_behind(session: Session, figure: str, period: Period, scope: Scope, tz: ZoneInfo, group: str | None = None,
                 value: str | None = None, limit: int = 500, now: datetime | None = None) -> list[dict[str, Any]]:
    """The cases (or steps) a number on the dashboard counts, newest first (at most `limit`)."""
    w = window(period, scope, tz, now)
    if figure in STEP_FIGURES:
        return _steps_behind(session, w, figure, value, limit)
    if figure not in CASE_FIGURES:
        raise InvalidInput(f"unknown figure {figure!r}", {"figure": f"use one of {', '.join(CASE_FIGURES + STEP_FIGURES)}"})
    stmt = w.scope.cases(select(CaseFact).where(_case_figures(w)[figure]))
    if group:
        if group not in GROUPS:
            raise InvalidInput(f"unknown grouping {group!r}", {"group": "use process, area or category"})
        stmt = stmt.where(GROUPS[group] == value) if value else stmt.where(GROUPS[group].is_(None))
    rows = session.execute(stmt.order_by(CaseFact.started_at.desc(), CaseFact.case_id.desc()).limit(limit)).scalars()
    return [{"business_key": f.business_key, "process_key": f.process_key, "status": f.status, "area": f.area,
             "category": f.category, "accepted_at": f.accepted_at, "decided_at": f.decided_at, "outcome": f.outcome,
             "handling_days": f.handling_days, "disbursement_days": f.disbursement_days} for f in rows]


def _steps_behind(session: Session, w: Window, figure: str, department: str | None, limit: int) -> list[dict[str, Any]]:
    condition = {
        "completed": and_(w.within(StepFact.closed_at), StepFact.state == "completed"),
        "late": and_(w.within(StepFact.closed_at), StepFact.state == "completed", StepFact.on_time.is_(False)),
        "escalated": w.within(StepFact.escalated_at),
        "overdue": and_(StepFact.state == "open", StepFact.due_at < w.now),
    }[figure]
    stmt = w.scope.steps(select(StepFact, CaseFact.business_key).join(CaseFact, CaseFact.case_id == StepFact.case_id)
                         .where(condition))
    if department:
        stmt = stmt.where(StepFact.department_code == department)
    rows = session.execute(stmt.order_by(StepFact.created_at.desc()).limit(limit)).all()
    return [{"business_key": key, "process_key": s.process_key, "step": s.name, "department": s.department_code,
             "created_at": s.created_at, "closed_at": s.closed_at, "due_at": s.due_at, "work_days": s.work_days,
             "on_time": s.on_time} for s, key in rows]


def bottlenecks(session: Session, period: Period, scope: Scope, tz: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    """Per step (BPMN element) of the scope's process: steps completed in the period with their working
    days (from the monthly rollups), and the steps waiting and overdue now (for the heat map)."""
    w = window(period, scope, tz, now)
    done = rollups.step_rows(session, w.months, "completed", scope.process, scope.department)
    waiting = session.execute(w.scope.steps(select(StepFact.element_id, StepFact.name, StepFact.due_at)
                                            .where(StepFact.state == "open"))).all()
    names = {r.element_id: r.name for r in done} | {element: name for element, name, _ in waiting}
    out = {}
    for element in sorted(names):
        summed = rollups.merged(r for r in done if r.element_id == element)
        dues = [(due if due.tzinfo else due.replace(tzinfo=timezone.utc)) for e, _, due in waiting
                if e == element and due is not None]
        out[element] = {"name": names[element], "completed": summed.n, "work_days": stat_of(summed),
                        "waiting": sum(1 for e, _, _ in waiting if e == element),
                        "overdue": sum(1 for due in dues if due < w.now)}
    return out
