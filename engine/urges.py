"""催办 (urge): someone waiting on an open task presses its holder; the holder is notified, the urge is
recorded on the task and counted per department for the node assessment.

Who may urge: supervisors and heads of the task's department, and members of every other department that
has taken part in the case (the requester of an inquiry, the department whose step waits on this one).
The same person urges the same task at most once every four hours, and at most `per_hour` tasks in any hour
(JOINTREVIEW_URGES_PER_HOUR, engine/config.py): pressing every open step of the office at once is not urging.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, holding, notices, wallclock
from .errors import Conflict, Message, NotFound, PermissionDenied, StepName, catalogue
from .models import AuditEntry, Case, Task, User
from .routing import ROLE_RANK, Actor

GAP = timedelta(hours=4)
WINDOW = timedelta(hours=1)
PER_HOUR = 30  # urges one person sends in an hour, unless configured otherwise (Settings.urges_per_hour)
MAX_NOTE = 500
MESSAGES = catalogue({
    "no_task": "no task {task}",
    "urge_finished": "step {task!r} is already finished; there is nothing to urge",
    "urge_refused": "{user} may not urge {task!r}: supervisors of {department} and the departments taking part in the "
                    "case may",
    "urge_outsider": "{user} may not urge this step: supervisors of its department and the departments taking part in "
                     "its case may",
    "urge_again": "{user} urged {task!r} already at {at}; it can be urged again from {next}",
    "urge_limit": "{user} has urged {limit} steps within the last hour, the most one person may urge in an hour; "
                  "urging is possible again from {next}",
})


def may_urge(session: Session, actor: Actor, task: Task) -> bool:
    return task.state == "open" and urging_department(session, actor, task) is not None


def urging_department(session: Session, actor: Actor, task: Task) -> str | None:
    """The department in whose name the actor urges the task: the task's own for its supervisors and heads, else
    the first department of theirs taking part in the case; None when they may not urge it."""
    if actor.rank_in(task.department_code) >= ROLE_RANK["supervisor"]:
        return task.department_code
    taking_part = set(session.execute(select(Task.department_code).where(Task.case_id == task.case_id).distinct())
                      .scalars()) - {task.department_code}
    return next((code for code in sorted(taking_part) if actor.rank_in(code) > 0), None)


def count(session: Session, case_id: int, task_id: str) -> int:
    """How often the task was urged."""
    return session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.case_id == case_id, AuditEntry.task_id == task_id, AuditEntry.event == "task_urged")).scalar_one()


@dataclass(frozen=True)
class Urged:
    """How often a task was urged, and its latest urge: by whom, in which department's name, when, and the note."""

    times: int
    actor: str
    by_department: str | None
    at: datetime
    note: str


def latest(session: Session, case_id: int, task_id: str) -> Urged | None:
    """The task's urges in short (None when it was never urged)."""
    times = count(session, case_id, task_id)
    if not times:
        return None
    last = session.execute(select(AuditEntry).where(
        AuditEntry.case_id == case_id, AuditEntry.task_id == task_id, AuditEntry.event == "task_urged")
        .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
    details = json.loads(last.details or "{}")  # an entry recorded before by_department falls back to the step's
    return Urged(times, last.actor, details.get("by_department") or last.department, last.at, details.get("note") or "")


def counts(session: Session, tasks: list[tuple[int, str]]) -> dict[str, int]:
    """How often each of some tasks (case id, task id) was urged, in one query on the audit log's case index;
    tasks never urged are left out."""
    if not tasks:
        return {}
    ids = {task_id for _, task_id in tasks}
    rows = session.execute(select(AuditEntry.task_id, func.count()).where(
        AuditEntry.case_id.in_(sorted({case_id for case_id, _ in tasks})), AuditEntry.event == "task_urged",
        AuditEntry.task_id.in_(sorted(ids))).group_by(AuditEntry.task_id))
    return {task_id: n for task_id, n in rows}


def urge(session: Session, actor: Actor, task_id: str, note: str = "", now: datetime | None = None,
         per_hour: int = PER_HOUR) -> int:
    """Urge an open task; returns how often it has now been urged. At most `per_hour` urges of one person an hour."""
    now = now or wallclock.now()
    note = holding.text(note, "note", "", MAX_NOTE, required=False)
    _lock_person(session, actor)  # one urge of a person at a time: their urges of the last hour are counted below
    task = session.get(Task, task_id, with_for_update=True)  # one urge of a task at a time: the last one is read below
    if task is None:
        raise NotFound(Message("no_task", task=task_id))
    by_department = urging_department(session, actor, task)
    if by_department is None and actor.rank_in(task.department_code) == 0:  # an outsider learns nothing of the step
        raise PermissionDenied(Message("urge_outsider", user=actor.username))
    if by_department is None:
        raise PermissionDenied(Message("urge_refused", user=actor.username, task=StepName.of(task),
                                       department=task.department_code))
    if task.state != "open":
        raise Conflict(Message("urge_finished", task=StepName.of(task)))
    last = _last_urges(session, actor, [task]).get(task_id)
    if last is not None and now - last < GAP:
        raise Conflict(Message("urge_again", user=actor.username, task=StepName.of(task),
                               at=last.isoformat(timespec="minutes"), next=(last + GAP).isoformat(timespec="minutes")))
    lifted = _limit_lifted(session, actor, now, per_hour)
    if lifted is not None:
        raise Conflict(Message("urge_limit", user=actor.username, limit=per_hour, next=lifted.isoformat(timespec="minutes")))
    key = session.execute(select(Case.business_key).where(Case.id == task.case_id)).scalar_one()
    times = count(session, task.case_id, task_id) + 1
    # the entry's department is the urged one (counted by the node assessment); by_department the urging one's
    audit.append(session, [audit.Event("task_urged", actor.username, {"task": task.name, "element": task.element_id,
                                                                      "note": note, "times": times,
                                                                      "by_department": by_department},
                                       task.department_code, task.case_id, key, task_id)], now)
    by = {"by": actor.display_name or actor.username, **({"by_department": by_department}
                                                         if by_department != task.department_code else {})}
    told = [u for u in holding.holders(session, task.department_code, task.role, task.assignee) if u != actor.username]
    notices.notify(session, told, "urged", key, task_id, {"step": StepName.of(task), **by, "note": note, "times": times}, now)
    return times


def next_urges(session: Session, actor: Actor, tasks: list[Task], now: datetime | None = None,
               per_hour: int = PER_HOUR) -> dict[str, datetime]:
    """When the actor may urge again each of some tasks they may not urge now: urged by them within four hours,
    or all of them while their urges of the last hour are at the limit. Tasks they may urge now are left out."""
    if not tasks:
        return {}
    now = now or wallclock.now()
    waits = {task_id: at + GAP for task_id, at in _last_urges(session, actor, tasks).items() if now - at < GAP}
    lifted = _limit_lifted(session, actor, now, per_hour)
    if lifted is not None:
        waits.update({t.id: max(waits.get(t.id, lifted), lifted) for t in tasks})
    return waits


def _lock_person(session: Session, actor: Actor) -> None:
    session.execute(select(User.username).where(User.username == actor.username).with_for_update())


def _last_urges(session: Session, actor: Actor, tasks: list[Task]) -> dict[str, datetime]:
    """The actor's latest urge of each of some tasks (those they urged), on the audit log's case index."""
    rows = session.execute(select(AuditEntry.task_id, func.max(AuditEntry.at)).where(
        AuditEntry.case_id.in_(sorted({t.case_id for t in tasks})), AuditEntry.event == "task_urged",
        AuditEntry.task_id.in_(sorted({t.id for t in tasks})), AuditEntry.actor == actor.username)
        .group_by(AuditEntry.task_id))
    return {task_id: _aware(at) for task_id, at in rows}


def _limit_lifted(session: Session, actor: Actor, now: datetime, per_hour: int) -> datetime | None:
    """When the actor may urge again, if their urges of the last hour are at the limit (None when they may now)."""
    times = [_aware(at) for at in session.execute(select(AuditEntry.at).where(
        AuditEntry.at > now - WINDOW, AuditEntry.event == "task_urged", AuditEntry.actor == actor.username)
        .order_by(AuditEntry.at)).scalars()]
    if len(times) < per_hour:
        return None
    return times[len(times) - per_hour] + WINDOW  # the urge that must leave the hour for one more to fit


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def by_department(session: Session, start: datetime, end: datetime, process: str | None = None) -> dict[str, int]:
    """Urges received per department in a period, of one process or all (for the node assessment)."""
    query = select(AuditEntry.department, func.count()).where(
        AuditEntry.event == "task_urged", AuditEntry.at >= start, AuditEntry.at < end)
    if process is not None:
        query = query.join(Case, Case.id == AuditEntry.case_id).where(Case.process_key == process)
    return {code: n for code, n in session.execute(query.group_by(AuditEntry.department)) if code}


__all__ = ["urge", "next_urges", "may_urge", "count", "counts", "latest", "Urged", "by_department"]
