"""Supervisor views: the team's open tasks and workload per member, overdue and escalated tasks, and
reassigning one or many tasks to a member with the reason recorded."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, or_, select

from engine import alerts, cases, wallclock
from engine.errors import EngineError
from engine.models import Case, Membership, ProcessDefinition, Task, User
from engine.routing import ROLE_RANK

from .context import actor, overseers, runtime
from .inbox import merged_by_due, parse_cursor
from .i18n import refusal
from .names import person
from .search import owned_processes

bp = Blueprint("team", __name__)


def _supervised() -> list[str]:
    departments = [code for code, role in actor().departments.items() if ROLE_RANK.get(role, 0) >= ROLE_RANK["supervisor"]]
    if not departments:
        abort(403)
    return sorted(departments)


TEAM_PAGE = 100


@bp.route("/team")
@login_required
def index():
    """Workload (open and overdue steps per member), the departments' totals, and their open steps soonest due
    first, a page at a time. Every count is one pass over an index of open steps, whatever the case count."""
    departments = _supervised()
    now = wallclock.now()
    moment, task_id = parse_cursor(request.args.get("after", "").strip())
    with runtime().db.read() as session:
        members = session.execute(
            select(User.username, User.display_name, Membership.department_code, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.department_code.in_(departments), User.active.is_(True))
            .order_by(Membership.department_code, User.username)).all()
        counts = session.execute(select(Task.assignee, func.count(), func.count().filter(Task.due_at < now)).where(
            Task.state == "open", Task.department_code.in_(departments)).group_by(Task.assignee)).all()
        base = (select(Task, Case.business_key, Case.summary).join(Case, Case.id == Task.case_id)
                .where(Task.state == "open"))
        rows = merged_by_due([base.where(Task.department_code == code) for code in departments], moment, task_id,
                             TEAM_PAGE + 1, task_of=lambda r: r[0])  # one index walk per department
        raised = alerts.open_alerts(session, departments)
        halted = _halted(session, departments)
    cursor = None
    if len(rows) > TEAM_PAGE:
        rows = rows[:TEAM_PAGE]
        last = rows[-1][0]
        cursor = f"{last.due_at.isoformat() if last.due_at else 'none'}|{last.id}"
    tasks = [dict(task=t, key=k, applicant=json.loads(s or "{}").get("applicant_name") or "—",
                  overdue=bool(t.due_at and t.due_at < now)) for t, k, s in rows]
    kept = {"tasks": set(request.args.get("keep", "").split(",")), "to": request.args.get("to", ""),
            "reason": request.args.get("reason", "")}
    load = {who: n for who, n, _ in counts}
    return render_template("team.html", departments=departments, members=members, load=load, tasks=tasks, kept=kept,
                           alerts=raised, halted=halted, late={who: n for who, _, n in counts if n}, next_cursor=cursor,
                           total=sum(load.values()), unassigned=load.get(None, 0),
                           overdue=sum(n for _, _, n in counts))


HALTED = 50


def _halted(session, departments: list[str]) -> list[tuple[Case, str]]:
    """Cases that stopped with nothing open (停滞) or with an error: no inbox shows them, so the supervisors of the
    departments that answer for the process or took part in the case see them here (overseers see all), newest first."""
    stmt = (select(Case, ProcessDefinition.name).join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
            .where(Case.status.in_(("stuck", "failed"))).order_by(Case.updated_at.desc()).limit(HALTED))
    if not set(departments) & set(overseers()):
        stmt = stmt.where(or_(Case.process_key.in_(owned_processes(session, departments)),
                              Case.id.in_(select(Task.case_id).where(Task.department_code.in_(departments)))))
    return list(session.execute(stmt).all())


@bp.route("/team/reassign", methods=["POST"])
@login_required
def reassign():
    """Hand the selected tasks to a member; the reason goes into the audit log with each task."""
    _supervised()
    ids = request.form.getlist("task_id")
    if not ids:
        flash(_("Select at least one task."), "error")
        return redirect(url_for("team.index"))
    try:
        with runtime().db.write() as session:
            moved = cases.reassign(session, runtime(), actor(), ids, request.form.get("to_user", ""),
                                   request.form.get("reason", ""))
    except EngineError as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("team.index", keep=",".join(ids), to=request.form.get("to_user", ""),
                                reason=request.form.get("reason", "")))
    flash(_("%(count)d task(s) reassigned to %(user)s.", count=len(moved), user=person(request.form.get("to_user", ""))),
          "success")
    return redirect(url_for("team.index"))
