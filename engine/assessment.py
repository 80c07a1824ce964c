"""The quarterly node assessment (节点考核): every department's steps on timeliness, accuracy and
satisfaction, a weighted score an administrator tunes, and the rank.

Each part is normalised to 0–1 (timeliness: the steps completed on time over those completed with a due time
plus those overdue and still open at the end of the period, so that leaving a late step open never scores better
than completing it late; speed: the fastest department's mean working days over this one's; accuracy: decisions not changed later; satisfaction: (rating − 1) / 4; inquiries:
the formal inquiries asked of the department in the period and answered by their deadline, over those answered
and those still unanswered past it; one not yet due is not judged). A part without data leaves the score, and its weight is
shared among the others, so a department is never marked down for having no ratings yet. The working days a
department waited on other departments' replies (its 函询) are shown beside the score and are in none of its
step times: its step closes when it asks and a new one opens with the answer. Inquiries are counted wherever they
are asked: an inquiry case of its own, or one called from another case's step (engine/facts.inquiry_facts); the
reply time is from asking to the signed answer, in working days.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, clock, rollups, urges, wallclock
from .errors import InvalidInput, Message, catalogue
from .kpis import MIN_CASES, Period, Scope, share, stat_of, window
from .models import Case, InquiryFact, Setting, StepFact
from .routing import Actor

WEIGHTS_SETTING = "assessment_weights"
PARTS = ("timeliness", "speed", "accuracy", "satisfaction", "inquiries")
DEFAULT_WEIGHTS = {"timeliness": 0.4, "speed": 0.2, "accuracy": 0.2, "satisfaction": 0.1, "inquiries": 0.1}
MESSAGES = catalogue({"weight_number": "must be a number from 0 to 100", "weight_unknown": "is not a part of the assessment",
                      "weight_all_zero": "at least one weight must be above 0",
                      "weights_not_saved": "the weights were not saved"})


def weights(session: Session) -> dict[str, float]:
    """The weights in force (the defaults until an administrator sets them)."""
    row = session.get(Setting, WEIGHTS_SETTING)
    return {**DEFAULT_WEIGHTS, **json.loads(row.value)} if row else dict(DEFAULT_WEIGHTS)


def set_weights(session: Session, by: Actor, given: dict[str, Any]) -> dict[str, float]:
    """Store new weights (non-negative numbers, not all zero); the change is audited."""
    errors, clean = {}, {}
    for name in PARTS:
        try:
            value = float(given.get(name, DEFAULT_WEIGHTS[name]))
            if not 0 <= value <= 100:
                raise ValueError
            clean[name] = value
        except (TypeError, ValueError):
            errors[name] = Message("weight_number")
    unknown = sorted(set(given) - set(PARTS))
    for name in unknown:
        errors[name] = Message("weight_unknown")
    if not errors and sum(clean.values()) <= 0:
        errors["timeliness"] = Message("weight_all_zero")
    if errors:
        raise InvalidInput(Message("weights_not_saved"), errors)
    before = weights(session)
    now = wallclock.now()
    row = session.get(Setting, WEIGHTS_SETTING)
    if row is None:
        session.add(Setting(name=WEIGHTS_SETTING, value=json.dumps(clean), updated_by=by.username, updated_at=now))
    else:
        row.value, row.updated_by, row.updated_at = json.dumps(clean), by.username, now
    audit.append(session, [audit.Event("assessment_weights_set", by.username, {"before": before, "after": clean})], now)
    return clean


def _overdue_at(session: Session, process: str | None, end: datetime, now: datetime) -> dict[str, int]:
    """Steps overdue and still open at `end`, per department: the worker's count when `end` is now, else
    one grouped query over the steps due before `end` that were still open then."""
    if end >= now:
        return {d: late for d, (_, late) in rollups.open_counts(session, process, None).items()}
    stmt = (select(StepFact.department_code, func.count()).where(
        StepFact.created_at < end, StepFact.due_at < end, StepFact.state != "cancelled",
        (StepFact.closed_at.is_(None)) | (StepFact.closed_at > end)).group_by(StepFact.department_code))
    return dict(session.execute(Scope(process=process).steps(stmt)).all())


def _unanswered_late(session: Session, w) -> dict[str, int]:
    """Formal inquiries asked in the period and still unanswered past their deadline now, per department asked."""
    stmt = (select(InquiryFact.addressee, func.count()).where(
        w.within(InquiryFact.asked_at), InquiryFact.answered_at.is_(None), InquiryFact.reply_due_at < w.now)
        .group_by(InquiryFact.addressee))
    if w.scope.process:
        stmt = stmt.where(InquiryFact.process_key == w.scope.process)
    return dict(session.execute(stmt).all())


def _department_row(session: Session, code: str, w, overdue: int, urged: dict[str, int],
                    unanswered: dict[str, int]) -> dict[str, Any]:
    process = w.scope.process
    done = rollups.merged(rollups.step_rows(session, w.months, "completed", process, code))
    escalations = sum(r.n for r in rollups.step_rows(session, w.months, "escalated", process, code))
    inquiries = rollups.merged(rollups.case_rows(session, w.months, "inquiry", None, code, None))
    decided = rollups.merged(rollups.case_rows(session, w.months, "decided", process, code, None))
    finished = rollups.merged(rollups.case_rows(session, w.months, "finished", process, code, None))
    rated = finished.extra["rated"]
    return {
        "department": code, "steps_completed": done.n,
        "on_time": share(done.extra["on_time"], done.extra["timed"]), "work_days": stat_of(done),
        "timeliness": share(done.extra["on_time"], done.extra["timed"] + overdue),
        "overdue_open_at_end": overdue, "escalations": escalations, "urges": urged.get(code, 0),
        "inquiries_received": inquiries.n, "inquiries_answered": sum(inquiries.hist.values()),
        "inquiries_on_time": share(inquiries.extra["on_time"], sum(inquiries.hist.values()) + unanswered.get(code, 0)),
        "reply_days": stat_of(inquiries),
        "decisions": share(decided.extra["kept"], decided.n),
        "rating": {"n": rated, "too_few": rated < MIN_CASES,
                   **({"avg": round(finished.extra["rating_sum"] / rated, 2)} if rated >= MIN_CASES else {})},
    }


def _parts(row: dict[str, Any], fastest: float | None) -> dict[str, float | None]:
    avg = row["work_days"].get("avg")
    rating = row["rating"].get("avg")
    return {
        "timeliness": row["timeliness"].get("rate"),
        "speed": round(min(1.0, fastest / avg), 4) if fastest is not None and avg else (1.0 if avg == 0 else None),
        "accuracy": row["decisions"].get("rate"),
        "satisfaction": round((rating - 1) / 4, 4) if rating is not None else None,
        "inquiries": row["inquiries_on_time"].get("rate"),
    }


def assess(session: Session, period: Period, departments: list[str], tz: ZoneInfo, process: str | None = None,
           now: datetime | None = None) -> dict[str, Any]:
    """One row per department with its inputs, normalised parts, score (0–100) and rank."""
    w = window(period, Scope(process=process), tz, now)
    overdue = _overdue_at(session, process, min(w.end, w.now), w.now)
    urged = urges.by_department(session, w.start, min(w.end, w.now), process)
    unanswered = _unanswered_late(session, w)
    rows = [_department_row(session, code, w, overdue.get(code, 0), urged, unanswered) for code in departments]
    cases = select(Case.id).where(Case.process_key == process) if process else None
    waits = clock.waited(session, w.start, min(w.end, w.now), cases)  # on other departments' replies (函询)
    for row in rows:
        row["waited_days"] = waits.get(row["department"], 0.0)
    averages = [r["work_days"]["avg"] for r in rows if r["work_days"].get("avg")]
    fastest = min(averages) if averages else None
    given = weights(session)
    for row in rows:
        row["parts"] = _parts(row, fastest)
        usable = {name: value for name, value in row["parts"].items() if value is not None and given[name] > 0}
        total = sum(given[name] for name in usable)
        row["score"] = round(100 * sum(given[n] * v for n, v in usable.items()) / total, 1) if total else None
    ranked = sorted((r for r in rows if r["score"] is not None), key=lambda r: -r["score"])
    for position, row in enumerate(ranked, 1):
        row["rank"] = position
    for row in rows:
        row.setdefault("rank", None)
    return {"period": period.label, "weights": given, "departments": rows}


COLUMNS = [("department", "Department"), ("steps_completed", "Steps completed"), ("on_time", "On-time rate"),
           ("timeliness", "Timeliness (scored)"),
           ("avg_days", "Average working days"), ("median_days", "Median working days"), ("p90_days", "p90 working days"),
           ("overdue_open_at_end", "Overdue open at the end"), ("escalations", "Escalations"), ("urges", "Urges received"),
           ("inquiries_received", "Inquiries received"), ("inquiries_answered", "Inquiries answered"),
           ("inquiries_on_time", "Inquiries answered on time"),
           ("reply_days", "Average reply working days"),
           ("waited_days", "Working days waiting on other departments' replies"), ("decisions_kept", "Decisions not changed"),
           ("rating", "Average rating"), ("score", "Score"), ("rank", "Rank")]
RATES = frozenset({"on_time", "timeliness", "inquiries_on_time", "decisions_kept"})  # fractions of 1, read as percentages


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """One department's row as plain values, in COLUMNS order (for CSV, Excel and tables)."""
    return {
        "department": row["department"], "steps_completed": row["steps_completed"],
        "on_time": row["on_time"].get("rate"), "timeliness": row["timeliness"].get("rate"),
        "avg_days": row["work_days"].get("avg"),
        "median_days": row["work_days"].get("median"), "p90_days": row["work_days"].get("p90"),
        "overdue_open_at_end": row["overdue_open_at_end"], "escalations": row["escalations"], "urges": row["urges"],
        "inquiries_received": row["inquiries_received"], "inquiries_answered": row["inquiries_answered"],
        "inquiries_on_time": row["inquiries_on_time"].get("rate"),
        "reply_days": row["reply_days"].get("avg"), "waited_days": row.get("waited_days", 0.0),
        "decisions_kept": row["decisions"].get("rate"),
        "rating": row["rating"].get("avg"), "score": row["score"], "rank": row["rank"],
    }
