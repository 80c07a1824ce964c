"""Stagnation alerts (服务滞留预警): rules an administrator sets per process and step, watched without
ever scanning all cases.

Three kinds of rule:
- `idle`: the case made no progress for N working days;
- `sla`: an open task has used more than N % of its SLA (working time from arrival to its due moment);
- `age`: the case is older than N working days since acceptance (e.g. 15 for school admission).

Whenever a case moves, `watch_case` (called by the facts refresher, which rebuilds every case that
moved) computes for each matching rule the moment the case or task will cross the threshold and stores
it as a watch; progress clears the case's raised `idle` alert, a step's `sla` alert is cleared when the
step closes (in the transaction that closes it, see steps.persist) and is raised once per step and rule,
however often the step changes hands. The worker's `sweep` raises the
watches whose moment has come, through an index on that moment: each alert is raised once, recorded in
the audit log and shown where the department's supervisors and the overseeing office (JOINT) look.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from . import audit, clock, supervision, wallclock
from .calendar import WorkCalendar
from .errors import InvalidInput, Message, NotFound, catalogue
from .models import AlertRule, AlertWatch, Case, CaseFact, StepFact, Task
from .routing import Actor
from .runtime import Runtime

KINDS = {"idle": "no progress for {n} working days", "sla": "a step has used {n} % of its time limit",
         "age": "the case is older than {n} working days"}
MESSAGES = catalogue({
    "alert_kind": "must be one of {kinds}",
    "alert_percent": "must be a percentage from 1 to 100",
    "alert_days": "must be 1 to 365 working days",
    "alert_process": "name one process",
    "alert_step": "only a step rule (sla) names a step",
    "alert_step_unknown": "{step!r} is not a step of the newest version of {process}",
    "alert_not_saved": "the alert rule was not saved",
    "alert_rule_missing": "no active alert rule {rule}",
    "alert_number": "must be a number",
})
# a step changing hands (签收, 释放, 改派, 转办, 委派) is no progress: the case stands where it stood
PROGRESS = frozenset({"case_started", "task_ready", "task_completed", "message_received", "milestone", "case_completed",
                      "case_failed", "clock_stopped", "clock_resumed"})


@dataclass(frozen=True)
class RuleSpec:
    process_key: str
    kind: str
    threshold: float
    element_id: str | None = None


def add_rule(session: Session, rt: Runtime, by: Actor, spec: RuleSpec, now: datetime | None = None) -> AlertRule:
    """A new rule (validated, audited); cases are watched under it from their next move on. Its process is a
    deployed one, and a step rule names a step (user task) of the process's newest version: a mistyped one would
    never fire."""
    errors = {}
    if spec.kind not in KINDS:
        errors["kind"] = Message("alert_kind", kinds=list(KINDS))
    if not _threshold_ok(spec.kind, spec.threshold):
        errors["threshold"] = Message("alert_percent" if spec.kind == "sla" else "alert_days")
    if not spec.process_key or len(spec.process_key) > 100 or "\x00" in spec.process_key:  # PostgreSQL: no NUL
        errors["process_key"] = Message("alert_process")
    elif not _deployed(session, spec.process_key):  # a rule of no process would never fire
        errors["process_key"] = Message("no_process_deployed", process=spec.process_key)
    if spec.kind != "sla" and spec.element_id:
        errors["element_id"] = Message("alert_step")
    elif (spec.element_id and "process_key" not in errors
          and spec.element_id not in _steps(session, rt, spec.process_key)):
        errors["element_id"] = Message("alert_step_unknown", step=spec.element_id, process=spec.process_key)
    if errors:
        raise InvalidInput(Message("alert_not_saved"), errors)
    now = now or wallclock.now()
    rule = AlertRule(process_key=spec.process_key, element_id=spec.element_id or None, kind=spec.kind,
                     threshold=spec.threshold, active=True, created_by=by.username, created_at=now)
    session.add(rule)
    session.flush()
    audit.append(session, [audit.Event("alert_rule_added", by.username, {"rule": rule.id, **vars(spec)})], now)
    return rule


def _threshold_ok(kind: str, threshold: object) -> bool:
    """A step's share of its time limit is a percentage from 1 to 100; any other rule counts whole working days
    from 1 to 365, as its message says (0.5 was taken, a rule the form promises not to take)."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        return False
    if kind == "sla":
        return 1 <= threshold <= 100
    return float(threshold).is_integer() and 1 <= threshold <= 365


def _deployed(session: Session, process_key: str) -> bool:
    from .repository import latest  # the repository sets a process's age rule on deploy, through this module

    return latest(session, process_key, required=False) is not None


def _steps(session: Session, rt: Runtime, process_key: str) -> set[str]:
    """The element ids of the user tasks of a process's newest version (its called processes' too)."""
    from .repository import step_names  # the repository sets a process's age rule on deploy, through this module

    return set(step_names(session, rt, process_key))


def remove_rule(session: Session, by: Actor, rule_id: int, now: datetime | None = None) -> None:
    """Stop a rule: its pending watches go, its raised alerts are cleared."""
    rule = session.get(AlertRule, rule_id)
    if rule is None or not rule.active:
        raise NotFound(Message("alert_rule_missing", rule=rule_id))
    now = now or wallclock.now()
    rule.active = False
    session.execute(delete(AlertWatch).where(AlertWatch.rule_id == rule_id, AlertWatch.raised_at.is_(None)))
    session.execute(update(AlertWatch).where(AlertWatch.rule_id == rule_id, AlertWatch.cleared_at.is_(None))
                    .values(cleared_at=now))
    audit.append(session, [audit.Event("alert_rule_removed", by.username, {"rule": rule_id})], now)


def rules(session: Session) -> list[AlertRule]:
    return list(session.execute(select(AlertRule).where(AlertRule.active.is_(True)).order_by(AlertRule.id)).scalars())


def describe(rule: AlertRule) -> str:
    return KINDS[rule.kind].format(n=f"{rule.threshold:g}")


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def watch_case(session: Session, case: Case, fact: CaseFact, steps: list[StepFact], last_progress: datetime | None,
               cal: WorkCalendar, now: datetime, stops: list[clock.Period] = ()) -> None:
    """Recompute a case's watches after it changed. A step's alert (sla) is raised once per step and rule and
    stays until the step closes, however often the step changes hands (a step reopened by 退回 is a new task);
    progress after an idle alert clears it. Working days are counted on the running clock: time in which it
    stood (补正) does not count, and while it stands no alert is due."""
    session.execute(delete(AlertWatch).where(AlertWatch.case_id == case.id, AlertWatch.raised_at.is_(None)))
    open_ids = [s.task_id for s in steps if s.state == "open"]
    session.execute(update(AlertWatch).where(AlertWatch.case_id == case.id, AlertWatch.cleared_at.is_(None),
                                             AlertWatch.task_id.is_not(None), AlertWatch.task_id.not_in(open_ids))
                    .values(cleared_at=now))
    if last_progress is not None:
        session.execute(update(AlertWatch).where(AlertWatch.case_id == case.id, AlertWatch.cleared_at.is_(None),
                                                 AlertWatch.kind == "idle",
                                                 AlertWatch.raised_at < last_progress).values(cleared_at=now))
    if case.status != "running":
        session.execute(update(AlertWatch).where(AlertWatch.case_id == case.id, AlertWatch.cleared_at.is_(None))
                        .values(cleared_at=now))
        return
    raised = set(session.execute(select(AlertWatch.rule_id, AlertWatch.task_id).where(
        AlertWatch.case_id == case.id, AlertWatch.cleared_at.is_(None))).all())
    ever = set(session.execute(select(AlertWatch.rule_id, AlertWatch.task_id).where(
        AlertWatch.case_id == case.id, AlertWatch.kind.in_(("age", "sla")))).all())  # once per case, once per step
    for rule in session.execute(select(AlertRule).where(AlertRule.active.is_(True),
                                                        AlertRule.process_key == case.process_key)).scalars():
        for task_id, department, fire_at in _moments(rule, fact, steps, last_progress, cal, list(stops)):
            if (rule.id, task_id) in raised or (rule.id, task_id) in ever or fire_at is None:
                continue
            session.add(AlertWatch(rule_id=rule.id, kind=rule.kind, case_id=case.id, task_id=task_id,
                                   department_code=department, fire_at=fire_at))


def _moments(rule: AlertRule, fact: CaseFact, steps: list[StepFact], last_progress: datetime | None,
             cal: WorkCalendar, stops: list[clock.Period]) -> list[tuple[str | None, str | None, datetime | None]]:
    open_steps = [s for s in steps if s.state == "open"]
    department = open_steps[0].department_code if open_steps else None
    if rule.kind == "idle":
        return [(None, department, clock.add_running(cal, stops, last_progress, rule.threshold) if last_progress else None)]
    if rule.kind == "age":
        start = fact.accepted_at or fact.started_at
        return [(None, department, clock.add_running(cal, stops, start, rule.threshold) if start else None)]
    out = []
    ended = [(s, e) for s, e in stops if e is not None]
    for step in open_steps:
        if rule.element_id and step.element_id != rule.element_id or step.due_at is None:
            continue
        # the due moment moved on by the stopped time since the step arrived: the step's own limit is without it
        limit = max(cal.workdays_between(step.created_at, step.due_at)
                    - clock.stopped_days(cal, ended, step.created_at, step.due_at), 0.0)
        out.append((step.task_id, step.department_code,
                    clock.add_running(cal, stops, step.created_at, limit * rule.threshold / 100)))
    return out


def sweep(session: Session, now: datetime | None = None, limit: int = 1000) -> int:
    """Raise the watches whose moment has come (index on fire_at); each alert once, audited."""
    now = now or wallclock.now()
    due = session.execute(select(AlertWatch, AlertRule, Case.business_key, Task.state)
                          .join(AlertRule, AlertRule.id == AlertWatch.rule_id).join(Case, Case.id == AlertWatch.case_id)
                          .outerjoin(Task, Task.id == AlertWatch.task_id)
                          .where(AlertWatch.raised_at.is_(None), AlertWatch.fire_at <= now)
                          .order_by(AlertWatch.fire_at).limit(limit)).all()
    events = []
    for watch, rule, key, step_state in due:
        if watch.task_id is not None and step_state != "open":  # the step closed before its moment (the facts'
            session.delete(watch)  # refresh had not dropped the watch yet): nothing to raise
            continue
        watch.raised_at = now
        events.append(audit.Event("stagnation_alert", "system:alerts",
                                  {"rule": rule.id, "kind": rule.kind, "threshold": rule.threshold,
                                   "element": rule.element_id, "notify": _told(watch.department_code)},
                                  watch.department_code, watch.case_id, key, watch.task_id))
    if events:
        audit.append(session, events, now)
    return len(events)


def _told(department: str | None) -> list[str]:
    """Whose supervisors an alert is for: the department the case waits at, then the overseeing departments."""
    return list(dict.fromkeys(d for d in (department, *supervision.configured_overseers()) if d))


def _open_query(stmt, departments: list[str] | None, case_id: int | None, kind: str | None):
    stmt = (stmt.join(AlertRule, AlertRule.id == AlertWatch.rule_id).join(Case, Case.id == AlertWatch.case_id)
            .outerjoin(Task, Task.id == AlertWatch.task_id)
            .where(AlertWatch.raised_at.is_not(None), AlertWatch.cleared_at.is_(None),
                   or_(AlertWatch.task_id.is_(None), Task.state == "open")))  # never the alert of a closed step
    if departments is not None:
        stmt = stmt.where(AlertWatch.department_code.in_(departments))
    if case_id is not None:
        stmt = stmt.where(AlertWatch.case_id == case_id)
    if kind is not None:
        stmt = stmt.where(AlertWatch.kind == kind)
    return stmt


def count_open(session: Session, departments: list[str] | None = None, kind: str | None = None) -> int:
    """How many alerts `open_alerts` would list with these filters (for paging)."""
    return session.execute(_open_query(select(func.count(AlertWatch.id)).select_from(AlertWatch),
                                       departments, None, kind)).scalar_one()


def open_alerts(session: Session, departments: list[str] | None = None, case_id: int | None = None,
                limit: int = 200, kind: str | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Raised alerts not yet cleared, newest first (for the team page, the dashboard and the case page); a step's
    alert only while its step is open (it then says whether the step is past its due time)."""
    stmt = _open_query(select(AlertWatch, AlertRule, Case.business_key), departments, case_id, kind)
    rows = session.execute(stmt.order_by(AlertWatch.raised_at.desc(), AlertWatch.id.desc())
                           .limit(limit).offset(offset)).all()
    steps, due = _alert_steps(session, [w for w, _, _ in rows])
    return [{"business_key": key, "kind": rule.kind, "threshold": rule.threshold, "rule": describe(rule),
             "department": w.department_code,
             "raised_at": _aware(w.raised_at), "element": rule.element_id, "task_id": w.task_id,
             "steps": steps(w), "due_at": due(w)}
            for w, rule, key in rows]


def _alert_steps(session: Session, watches: list[AlertWatch]):
    """The steps each alert is about, as (process key, element id, name, task id): a step's alert (sla) its task;
    a case's alert (idle, age) the case's open steps in the alert's department (all of them when it names none).
    Also the due moment of a step's alert's step while it is open (the alert then says when it is overdue).
    One query for the whole list."""
    case_ids = {w.case_id for w in watches if w.task_id is None}
    task_ids = {w.task_id for w in watches if w.task_id is not None}
    if not case_ids and not task_ids:
        return (lambda watch: []), (lambda watch: None)
    conditions = []
    if case_ids:
        conditions.append(and_(Task.case_id.in_(case_ids), Task.state == "open"))
    if task_ids:
        conditions.append(Task.id.in_(task_ids))
    by_id: dict[str, Task] = {}
    open_by_case: dict[int, list[Task]] = {}
    for t in session.execute(select(Task).where(or_(*conditions)).order_by(Task.created_at, Task.id)).scalars():
        by_id[t.id] = t
        if t.state == "open":
            open_by_case.setdefault(t.case_id, []).append(t)

    def steps(watch: AlertWatch) -> list[tuple[str, str, str, str]]:
        if watch.task_id is not None:
            found = [by_id[watch.task_id]] if watch.task_id in by_id else []
        else:
            found = [t for t in open_by_case.get(watch.case_id, [])
                     if watch.department_code is None or t.department_code == watch.department_code]
        return [(t.process_key, t.element_id, t.name, t.id) for t in found]

    def due(watch: AlertWatch) -> datetime | None:
        task = by_id.get(watch.task_id) if watch.task_id is not None else None
        return _aware(task.due_at) if task is not None and task.state == "open" and task.due_at is not None else None
    return steps, due
