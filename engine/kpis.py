"""The figures the joint review is steered by, computed from the case and step facts (engine/facts.py).

Every duration is in working days of the official calendar. A figure is given for a period (a month,
a quarter or a year, in the calendar's time zone) and a scope (process, department, street office);
with fewer than MIN_CASES cases it says so instead of giving a misleading number. `compare` adds the
previous period and the same period a year earlier.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from statistics import mean, median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from .errors import InvalidInput
from .models import CaseFact, StepFact

MIN_CASES = 5


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year."""

    year: int
    kind: str = "year"  # year, quarter, month
    number: int = 0

    @property
    def label(self) -> str:
        return {"year": f"{self.year}", "quarter": f"{self.year}Q{self.number}",
                "month": f"{self.year}-{self.number:02d}"}[self.kind]

    def _first_month(self) -> int:
        return {"year": 1, "quarter": 3 * self.number - 2, "month": self.number}[self.kind]

    def _months(self) -> int:
        return {"year": 12, "quarter": 3, "month": 1}[self.kind]

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware moments in the calendar's zone."""
        start_index = self.year * 12 + self._first_month() - 1
        end_index = start_index + self._months()
        start = datetime(start_index // 12, start_index % 12 + 1, 1, tzinfo=tz)
        return start, datetime(end_index // 12, end_index % 12 + 1, 1, tzinfo=tz)

    def shift(self, steps: int) -> "Period":
        """The period `steps` periods of the same kind later (negative: earlier)."""
        if self.kind == "year":
            return Period(self.year + steps)
        size = 4 if self.kind == "quarter" else 12
        index = self.year * size + self.number - 1 + steps
        return Period(index // size, self.kind, index % size + 1)

    def year_before(self) -> "Period":
        return Period(self.year - 1, self.kind, self.number)

    def months(self) -> list["Period"]:
        first = Period(self.year, "month", self._first_month())
        return [first.shift(i) for i in range(self._months())]


_PERIOD = re.compile(r"^(\d{4})(?:[-]?(?:Q([1-4])|(0[1-9]|1[0-2])))?$", re.IGNORECASE)


def parse_period(text: str) -> Period:
    """2026, 2026Q4 or 2026-11."""
    match = _PERIOD.match((text or "").strip())
    if not match:
        raise InvalidInput(f"period {text!r} is not a year, quarter or month (2026, 2026Q4, 2026-11)",
                           {"period": "write 2026, 2026Q4 or 2026-11"})
    year, quarter, month = match.groups()
    if not 1970 <= int(year) <= 2200:
        raise InvalidInput(f"period {text!r} is outside the years 1970 to 2200", {"period": "a year from 1970 to 2200"})
    if quarter:
        return Period(int(year), "quarter", int(quarter))
    if month:
        return Period(int(year), "month", int(month))
    return Period(int(year))


def current_period(kind: str, tz: ZoneInfo, now: datetime | None = None) -> Period:
    moment = (now or datetime.now(timezone.utc)).astimezone(tz)
    if kind == "month":
        return Period(moment.year, "month", moment.month)
    if kind == "quarter":
        return Period(moment.year, "quarter", (moment.month - 1) // 3 + 1)
    return Period(moment.year)


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


def _percentile(ordered: list[float], q: float) -> float:
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stat(values: list[float]) -> dict[str, Any]:
    """Count, mean, median and p90 (linear interpolation), or a 'too few' marker."""
    values = sorted(v for v in values if v is not None)
    out: dict[str, Any] = {"n": len(values), "too_few": len(values) < MIN_CASES}
    if values and not out["too_few"]:
        out.update(avg=round(mean(values), 2), median=round(median(values), 2),
                   p90=round(_percentile(values, 0.9), 2))
    return out


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
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def within(self, column):
        return and_(column >= self.start, column < self.end)


def window(period: Period, scope: Scope, tz: ZoneInfo, now: datetime | None = None) -> Window:
    start, end = period.bounds(tz)
    return Window(period, scope, start, end, now or datetime.now(timezone.utc))


def _values(session: Session, w: Window, column, moment) -> list[float]:
    stmt = w.scope.cases(select(column).where(w.within(moment), column.is_not(None)))
    return list(session.execute(stmt).scalars())


def _count_by(session: Session, w: Window, key, moment) -> dict[str, int]:
    stmt = w.scope.cases(select(key, func.count()).where(w.within(moment)).group_by(key))
    return {str(k) if k is not None else "": n for k, n in session.execute(stmt).all()}


def _decisions(session: Session, w: Window) -> dict[str, Any]:
    rows = session.execute(w.scope.cases(
        select(CaseFact.success, CaseFact.changed, CaseFact.appeals, CaseFact.objections, CaseFact.withdrawn)
        .where(w.within(CaseFact.decided_at)))).all()
    decided = [r for r in rows if not r.withdrawn]
    judged = [r for r in decided if r.success is not None]
    appealed = [r for r in decided if r.appeals]
    complaints = sum(r.appeals + r.objections for r in decided)
    return {
        "success": share(sum(1 for r in judged if r.success), len(judged)),
        "accuracy": share(sum(1 for r in decided if not r.changed), len(decided)),
        "complaints": {"n": len(decided), "count": complaints, "too_few": len(decided) < MIN_CASES,
                       **({"per_1000": round(1000 * complaints / len(decided), 1)} if len(decided) >= MIN_CASES else {})},
        "appeal_reversal": share(sum(1 for r in appealed if r.changed), len(appealed)),
        "withdrawn": sum(1 for r in rows if r.withdrawn),
    }


def _volume(session: Session, w: Window) -> dict[str, Any]:
    by_category = _count_by(session, w, CaseFact.category, CaseFact.accepted_at)
    total_category = sum(n for k, n in by_category.items() if k)
    return {
        "accepted": _count_by(session, w, CaseFact.process_key, CaseFact.accepted_at),
        "finished": _count_by(session, w, CaseFact.process_key, CaseFact.ended_at),
        "by_area": _count_by(session, w, CaseFact.area, CaseFact.accepted_at),
        "by_category": {k: {"count": n, "share": round(n / total_category, 4) if total_category else None}
                        for k, n in by_category.items() if k},
    }


def _one_visit(session: Session, w: Window) -> dict[str, Any]:
    rows = session.execute(w.scope.cases(select(CaseFact.requests).where(
        w.within(CaseFact.ended_at), CaseFact.accepted_at.is_not(None)))).scalars().all()
    return share(sum(1 for r in rows if r <= 1), len(rows))


def _satisfaction(session: Session, w: Window) -> dict[str, Any]:
    ratings = _values(session, w, CaseFact.rating, CaseFact.ended_at)
    out = stat([float(r) for r in ratings])
    return {"n": out["n"], "too_few": out["too_few"], **({"avg": out["avg"]} if "avg" in out else {})}


def steps(session: Session, w: Window) -> dict[str, dict[str, Any]]:
    """Per department: steps completed in the period, on-time share, working days, escalations, overdue now."""
    rows = session.execute(w.scope.steps(select(StepFact.department_code, StepFact.work_days, StepFact.on_time)
                                         .where(w.within(StepFact.closed_at), StepFact.state == "completed"))).all()
    escalations = dict(session.execute(w.scope.steps(
        select(StepFact.department_code, func.count()).where(w.within(StepFact.escalated_at))
        .group_by(StepFact.department_code))).all())
    overdue = dict(session.execute(w.scope.steps(
        select(StepFact.department_code, func.count()).where(StepFact.state == "open", StepFact.due_at < w.now)
        .group_by(StepFact.department_code))).all())
    out: dict[str, dict[str, Any]] = {}
    for code in sorted({r.department_code for r in rows} | set(escalations) | set(overdue)):
        mine = [r for r in rows if r.department_code == code]
        timed = [r for r in mine if r.on_time is not None]
        out[code] = {"completed": len(mine), "on_time": share(sum(1 for r in timed if r.on_time), len(timed)),
                     "work_days": stat([r.work_days for r in mine]),
                     "escalations": escalations.get(code, 0), "overdue_now": overdue.get(code, 0)}
    return out


def figures(session: Session, period: Period, scope: Scope, tz: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of one period and scope."""
    w = window(period, scope, tz, now)
    return {
        "period": period.label, "scope": {k: v for k, v in vars(scope).items() if v},
        "handling": stat(_values(session, w, CaseFact.handling_days, CaseFact.decided_at)),
        "disbursement": stat(_values(session, w, CaseFact.disbursement_days, CaseFact.paid_at)),
        **_decisions(session, w),
        "satisfaction": _satisfaction(session, w),
        "volume": _volume(session, w),
        "one_visit": _one_visit(session, w),
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
    """Handling time, decisions and acceptances per month, for the `months` months ending with the period."""
    last = period.months()[-1]
    out = []
    for offset in range(months - 1, -1, -1):
        month = last.shift(-offset)
        w = window(month, scope, tz)
        handling = stat(_values(session, w, CaseFact.handling_days, CaseFact.decided_at))
        accepted = sum(_count_by(session, w, CaseFact.process_key, CaseFact.accepted_at).values())
        out.append({"month": month.label, "handling": handling, "accepted": accepted})
    return out


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
    """Per step (BPMN element) of the scope's process: steps completed in the period with their mean working
    days, and the steps waiting now and overdue now (for the heat map on the diagram)."""
    w = window(period, scope, tz, now)
    done = session.execute(w.scope.steps(select(StepFact.element_id, StepFact.name, StepFact.work_days)
                                         .where(w.within(StepFact.closed_at), StepFact.state == "completed"))).all()
    waiting = session.execute(w.scope.steps(select(StepFact.element_id, StepFact.name, StepFact.due_at)
                                            .where(StepFact.state == "open"))).all()
    out: dict[str, dict[str, Any]] = {}
    for element, name, days in done:
        row = out.setdefault(element, {"name": name, "days": [], "waiting": 0, "overdue": 0})
        row["days"].append(days)
    for element, name, due in waiting:
        row = out.setdefault(element, {"name": name, "days": [], "waiting": 0, "overdue": 0})
        row["waiting"] += 1
        row["overdue"] += 1 if due is not None and (due if due.tzinfo else due.replace(tzinfo=timezone.utc)) < w.now else 0
    return {element: {"name": r["name"], "completed": len(r["days"]), "work_days": stat(r["days"]),
                      "waiting": r["waiting"], "overdue": r["overdue"]} for element, r in sorted(out.items())}
