"""Supervisor views: the team's open tasks and workload per member, overdue and escalated tasks, and
reassigning one or many tasks to a member with the reason recorded."""
from __future__ import annotations

import json
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, or_, select

from engine import alerts, cases, wallclock
from engine.errors import EngineError
from engine.models import Case, Membership, ProcessDefinition, Task, User
from engine.routing import ROLE_RANK, may_take

from .context import actor, overseers, runtime
from .inbox import merged_by_due, parse_cursor
from .i18n import refusal
from .names import closing, opening, person, semicolon, separator
from .search import owned_versions

bp = Blueprint("team", __name__)


def _supervised() -> list[str]:
    departments = [code for code, role in actor().departments.items() if ROLE_RANK.get(role, 0) >= ROLE_RANK["supervisor"]]
    if not departments:
        abort(403)
    return sorted(departments)


TEAM_PAGE = 100
TEAM_ALERTS = 10  # the first alerts above the workload; the rest on /dashboard/alerts


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
                  overdue=bool(t.due_at and t.due_at < now), group=f"{t.department_code}|{t.role}") for t, k, s in rows]
    kept = {"tasks": set(request.args.get("keep", "").split(",")), "to": request.args.get("to", ""),
            "reason": request.args.get("reason", "")}
    load = {who: n for who, n, _ in counts}
    members = sorted(members, key=lambda m: (-load.get(m.username, 0), m.display_name or m.username, m.username))
    return render_template("team.html", departments=departments, members=members, load=load, tasks=tasks, kept=kept,
                           alerts=raised[:TEAM_ALERTS], alert_total=len(raised), halted=halted,
                           late={who: n for who, _, n in counts if n}, next_cursor=cursor,
                           total=sum(load.values()), unassigned=load.get(None, 0),
                           overdue=sum(n for _, _, n in counts), choices=_choices(members),
                           eligible=_eligible(members, {(t.department_code, t.role) for t, _, _ in rows}))


def _choices(members) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(username, name, [(department, role)]) of each member once, for the reassignment's list, by name."""
    seen: dict[str, tuple[str, str, list]] = {}
    for m in members:
        seen.setdefault(m.username, (m.username, m.display_name, []))[2].append((m.department_code, m.role))
    return sorted(seen.values(), key=lambda c: (c[1] or c[0], c[0]))


def _eligible(members, groups: set[tuple[str, str]]) -> dict[str, list[str]]:
    """"department|role" of each listed step → who may take it (a member of that department with that role or a
    higher one, engine.routing.may_take): the page offers only them for the steps selected."""
    return {f"{code}|{role}": sorted({m.username for m in members if m.department_code == code and may_take(m.role, role)})
            for code, role in groups}


HALTED = 50


def _halted(session, departments: list[str]) -> list[tuple[Case, str]]:
    """Cases that stopped with nothing open (停滞) or with an error: no inbox shows them, so the supervisors of the
    departments that answer for the process or took part in the case see them here (overseers see all), newest first."""
    stmt = (select(Case, ProcessDefinition.name).join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
            .where(Case.status.in_(("stuck", "failed"))).order_by(Case.updated_at.desc()).limit(HALTED))
    if not set(departments) & set(overseers()):
        stmt = stmt.where(or_(Case.definition_id.in_(owned_versions(departments)),
                              Case.id.in_(select(Task.case_id).where(Task.department_code.in_(departments)))))
    return list(session.execute(stmt).all())


@bp.route("/team/reassign", methods=["POST"])
@login_required
def reassign():
    """Hand the selected tasks to a member, each one that may go (the reason goes into the audit log with each);
    the page then says which moved and, for each one that did not, why (those stay selected)."""
    _supervised()
    ids = list(dict.fromkeys(request.form.getlist("task_id")))
    to_user, reason = request.form.get("to_user", ""), request.form.get("reason", "")
    if not ids:
        flash(_("Select at least one task."), "error")
        return redirect(url_for("team.index"))
    if len(ids) > TEAM_PAGE:
        flash(_("Select at most %(count)d tasks at a time; nothing was reassigned.", count=TEAM_PAGE), "error")
        return redirect(url_for("team.index"))
    try:
        with runtime().db.write() as session:
            moved, unmoved = cases.reassign_each(session, runtime(), actor(), ids, to_user, reason)
    except EngineError as exc:  # no reason, or no such member: nothing moved
        flash(refusal(exc), "error")
        return _again([i for i in ids if TASK_ID.fullmatch(i)], to_user, reason)
    if moved:
        flash(_("%(count)d task(s) reassigned to %(user)s: %(tasks)s", count=len(moved), user=person(to_user),
                tasks=_listed([f"{t.business_key} “{t.name}”" for t in moved])), "success")
    if unmoved:
        flash(_("%(count)d task(s) not reassigned: %(reasons)s", count=len(unmoved), reasons=_listed(
            [f"{u.task.business_key}{opening()}{refusal(u.error)}{closing()}" if u.task else refusal(u.error)
             for u in unmoved],
            semicolon())), "error")
        return _again([u.task_id for u in unmoved if u.task is not None], to_user, reason)
    return redirect(url_for("team.index"))


TASK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LONGEST_ADDRESS = 7000  # bytes of the page's address: the server reads a request line of at most 8,190


def _again(ids: list[str], to_user: str, reason: str):
    """The team page again with what a refused batch keeps (the steps that stayed selected, the member, the reason),
    in its address: only real steps, and as much as the server reads (a crafted member or reason is dropped, the
    steps last)."""
    for kept in ({"keep": ",".join(ids), "to": to_user, "reason": reason}, {"keep": ",".join(ids), "to": to_user},
                 {"keep": ",".join(ids)}, {}):
        address = url_for("team.index", **kept)
        if len(address) <= LONGEST_ADDRESS:
            return redirect(address)
    return redirect(url_for("team.index"))


REPORTED = 10  # steps named in each line of a batch's report (the report travels in the session cookie)


def _listed(items: list[str], joiner: str | None = None) -> str:
    """The first REPORTED items, and how many more there are."""
    shown = (joiner or separator()).join(items[:REPORTED])
    return shown + (_(" and %(count)d more", count=len(items) - REPORTED) if len(items) > REPORTED else "")
