"""The inbox: my tasks and my departments' unclaimed tasks, filtered, sorted and paged by index."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import and_, or_, select

from engine import cases
from engine.models import Case, ProcessDefinition, Task
from engine.routing import ROLE_RANK

from .context import actor, runtime, safe_next

bp = Blueprint("inbox", __name__)
PAGE = 25
SORTS = ("due", "received")


@bp.route("/")
@login_required
def index():
    """The home page: the inbox for department staff, else the page of the user's role."""
    me = actor()
    if not me.departments:
        for role, endpoint in (("auditor", "audit.log"), ("designer", "designer.index"), ("admin", "admin.index")):
            if role in me.roles:
                return redirect(url_for(endpoint))
    return redirect(url_for("inbox.inbox"))


@bp.route("/inbox")
@login_required
def inbox():
    """Tasks of the user's departments: `view=mine` (claimed by me) or `view=department` (unclaimed)."""
    me = actor()
    args = _arguments()
    rows, cursor = _page(me, args)
    with runtime().db.read() as session:
        names = dict(session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name)).all())
    tasks = [_row(r, names) for r in rows]
    return render_template("inbox.html", tasks=tasks, args=args, next_cursor=cursor, processes=names,
                           departments=sorted(me.departments))


def _arguments() -> dict[str, str]:
    args = {k: request.args.get(k, "").strip() for k in ("view", "process", "step", "due", "key", "applicant", "sort", "after")}
    args["view"] = args["view"] if args["view"] in ("mine", "department") else "mine"
    args["sort"] = args["sort"] if args["sort"] in SORTS else "due"
    return args


def workable(me):
    """Tasks of the user's departments that their role may take (reviewers do not see 科长 tasks)."""
    clauses = [and_(Task.department_code == code,
                    Task.role.in_([r for r, n in ROLE_RANK.items() if n <= me.rank_in(code)]))
               for code in me.departments]
    return or_(*clauses) if clauses else Task.id.is_(None)


def like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _page(me, args: dict[str, str]) -> tuple[list, str | None]:
    stmt = (select(Task.id, Task.name, Task.element_id, Task.process_key, Task.department_code, Task.role,
                   Task.assignee, Task.created_at, Task.due_at, Task.escalated_at, Task.reminded_at,
                   Case.business_key, Case.summary)
            .join(Case, Case.id == Task.case_id)
            .where(Task.state == "open", workable(me)))
    mine = [me.username, *sorted(set(me.acting_for.values()))]  # a deputy also sees the absent user's tasks
    stmt = stmt.where(Task.assignee.in_(mine)) if args["view"] == "mine" else stmt.where(Task.assignee.is_(None))
    if args["process"]:
        stmt = stmt.where(Task.process_key == args["process"])
    if args["step"]:
        stmt = stmt.where(Task.name.like(like(args["step"]), escape="\\"))
    if args["key"]:
        stmt = stmt.where(Case.business_key.like(like(args["key"].upper()), escape="\\"))
    if args["applicant"]:
        stmt = stmt.where(Case.summary.like(like(args["applicant"]), escape="\\"))
    now = datetime.now(timezone.utc)
    if args["due"] == "overdue":
        stmt = stmt.where(Task.due_at < now)
    elif args["due"] == "soon":
        stmt = stmt.where(Task.due_at >= now, Task.due_at < runtime().calendar.add_workdays(now, 1))
    stmt = _keyset(stmt, args)
    rows = _rows(stmt.limit(PAGE + 1))
    cursor = None
    if len(rows) > PAGE:
        rows = rows[:PAGE]
        last = rows[-1]
        moment = last.due_at if args["sort"] == "due" else last.created_at
        cursor = f"{moment.isoformat() if moment else 'none'}|{last.id}"
    return rows, cursor


def _keyset(stmt, args: dict[str, str]):
    """Order by due time (none last) or by arrival (newest first), continuing after the cursor."""
    moment, task_id = None, None
    if "|" in args["after"]:
        raw, task_id = args["after"].split("|", 1)
        try:
            moment = None if raw == "none" else datetime.fromisoformat(raw)
        except ValueError:
            task_id = None
    if args["sort"] == "received":
        if task_id and moment:
            stmt = stmt.where(or_(Task.created_at < moment, and_(Task.created_at == moment, Task.id < task_id)))
        return stmt.order_by(Task.created_at.desc(), Task.id.desc())
    return by_due(stmt, moment, task_id)


def by_due(stmt, moment: datetime | None, task_id: str | None):
    """Soonest due first (none last), continuing after the task (`moment` its due time) if given."""
    if task_id:
        if moment is None:
            stmt = stmt.where(Task.due_at.is_(None), Task.id > task_id)
        else:
            stmt = stmt.where(or_(Task.due_at > moment, and_(Task.due_at == moment, Task.id > task_id),
                                  Task.due_at.is_(None)))
    return stmt.order_by(Task.due_at.asc().nulls_last(), Task.id)


def _rows(stmt) -> list:
    with runtime().db.read() as session:
        return session.execute(stmt).all()


def _row(r, names: dict[str, str]) -> dict:
    summary = json.loads(r.summary or "{}")
    return dict(id=r.id, name=r.name, process=names.get(r.process_key, r.process_key), department=r.department_code,
                role=r.role, assignee=r.assignee, received=r.created_at, due=r.due_at, escalated=r.escalated_at,
                reminded=r.reminded_at, key=r.business_key, applicant=summary.get("applicant_name") or "—")


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: str):
    """Take a task from the department queue."""
    with runtime().db.write() as session:
        task = cases.claim(session, runtime(), actor(), task_id)
    flash(_("You claimed “%(task)s”.", task=task.name), "success")
    return redirect(safe_next(request.form.get("next"), url_for("inbox.inbox", view="mine")))


@bp.route("/tasks/<task_id>/release", methods=["POST"])
@login_required
def release(task_id: str):
    """Give a claimed task back to the department queue."""
    with runtime().db.write() as session:
        task = cases.release(session, runtime(), actor(), task_id)
    flash(_("“%(task)s” is back in the department queue.", task=task.name), "success")
    return redirect(safe_next(request.form.get("next"), url_for("inbox.inbox", view="department")))
