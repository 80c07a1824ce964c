"""The inbox: my tasks, my departments' unclaimed tasks and the steps I have out with a delegate (委派), filtered,
sorted and paged by index."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import and_, func, or_, select, tuple_

from engine import cases, delegation, lookup, sendback, urges, wallclock
from engine.errors import Conflict, PermissionDenied
from engine.models import Case, ProcessDefinition, Task
from engine.models_office import TaskSigner
from engine.routing import ROLE_RANK

from . import localized
from .context import actor, runtime, safe_next
from .i18n import refusal

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
    """Tasks of the user's departments: `view=mine` (claimed by me), `view=department` (unclaimed) or
    `view=delegated` (out with a delegate, or back from one to confirm)."""
    me = actor()
    args = _arguments()
    rows, cursor = _page(me, args)
    with runtime().db.read() as session:
        names = {key: localized.process(key, name) for key, name in
                 session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name)).all()}
        page = [(r.case_id, r.id) for r in rows]
        urged = urges.counts(session, page)  # one query for the page's tasks
        sent_back = sendback.reopened_among(session, page)  # and one for those a send-back (退回) reopened
        confirming = [r.id for r in rows if r.to_confirm]
        answered = delegation.answered_by(session, confirming) if args["view"] == "delegated" else {}  # who did them
        own = delegation.authored_among(session, confirming, me.username) if args["view"] == "department" else set()
    tasks = [_row(r, names, urged.get(r.id, 0), sent_back.get(r.id), answered.get(r.id), r.id in own) for r in rows]
    return render_template("inbox.html", tasks=tasks, args=args, next_cursor=cursor, processes=names,
                           departments=sorted(me.departments), counts=tab_counts(me),
                           holders=[me.username, *me.acting_for.values()])


COUNT_CAP = 1000  # a tab shows "999+" beyond this: each count stops there, so it costs the same at any size


def tab_counts(me) -> dict[str, str]:
    """How many open steps each tab holds (unfiltered), counted on the indexes of open steps up to a cap."""
    base = select(Task.id).where(Task.state == "open")
    holders = [me.username, *sorted(set(me.acting_for.values()))]
    out = {}
    with runtime().db.read() as session:
        for tab, parts in (("mine", mine_parts(base, me, holders) + [signing_part(base, me, holders)]),
                           ("department", queue_parts(base, me)), ("delegated", delegated_parts(base, me, holders))):
            total = sum(session.execute(select(func.count()).select_from(part.limit(COUNT_CAP).subquery())).scalar()
                        for part in parts)
            out[tab] = f"{COUNT_CAP - 1}+" if total >= COUNT_CAP else str(total)
    return out


def _arguments() -> dict[str, str]:
    args = {k: request.args.get(k, "").strip() for k in ("view", "process", "step", "due", "key", "applicant", "sort", "after")}
    args["view"] = args["view"] if args["view"] in ("mine", "department", "delegated") else "mine"
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
    """One page of the inbox. Each department (or, in `mine`, each holder) is read on its own with a
    keyset on an index of open steps, and the parts are merged: no query walks more than a page."""
    base = (select(Task.id, Task.case_id, Task.name, Task.element_id, Task.process_key, Task.department_code, Task.role,
                   Task.assignee, Task.claimed_at, Task.created_at, Task.due_at, Task.escalated_at, Task.reminded_at, Task.signing,
                   Task.delegated_by, delegation.to_confirm().label("to_confirm"), Case.business_key, Case.summary)
            .join(Case, Case.id == Task.case_id)
            .where(Task.state == "open"))
    if args["process"]:
        base = base.where(Task.process_key == args["process"])
    if args["step"]:
        base = base.where(Task.name.like(like(args["step"]), escape="\\"))
    if args["key"]:
        key = args["key"].upper()
        base = base.where(Case.business_key == key if _FULL_KEY.fullmatch(key) else
                          Case.business_key.like(like(key), escape="\\"))
    if args["applicant"]:
        base = base.where(Task.case_id.in_(lookup.matching(args["applicant"])))  # exact name or ID number
    now = wallclock.now()
    if args["due"] == "overdue":
        base = base.where(Task.due_at < now)
    elif args["due"] == "soon":
        base = base.where(Task.due_at >= now, Task.due_at < runtime().calendar.add_workdays(now, 1))
    if args["view"] == "mine":
        holders = [me.username, *sorted(set(me.acting_for.values()))]  # a deputy also sees the absent user's tasks
        parts = mine_parts(base, me, holders) + [signing_part(base, me, holders)]
    elif args["view"] == "delegated":
        parts = delegated_parts(base, me, [me.username, *sorted(set(me.acting_for.values()))])
    else:
        parts = queue_parts(base, me)
    moment, task_id = parse_cursor(args["after"])
    received = args["sort"] == "received"
    if received:
        rows = sorted((r for part in parts for r in _by_received(part, moment, task_id, PAGE + 1)),
                      key=lambda r: (r.created_at, r.id), reverse=True)
    else:
        rows = merged_by_due(parts, moment, task_id, PAGE + 1)
    cursor = None
    if len(rows) > PAGE:
        rows = rows[:PAGE]
        last = rows[-1]
        moment = last.created_at if received else last.due_at
        cursor = f"{moment.isoformat() if moment else 'none'}|{last.id}"
    return rows, cursor


_FULL_KEY = re.compile(r"[A-Z]{2,8}-\d{4}-\d{6}")
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def queue_parts(stmt, me) -> list:
    """The unclaimed open steps of each of the user's departments that their role may take, one query each."""
    return [stmt.where(Task.department_code == code, Task.assignee.is_(None),
                       Task.role.in_([r for r, n in ROLE_RANK.items() if n <= me.rank_in(code)]))
            for code in sorted(me.departments)]


def mine_parts(stmt, me, holders: list[str]) -> list:
    """The open steps each holder claimed (oneself, and the absent users one acts for), one query each."""
    return [stmt.where(Task.assignee == holder, workable(me)) for holder in holders]


def delegated_parts(stmt, me, holders: list[str]) -> list:
    """The open steps the holders have out with a delegate (委派), and those back from one for them to confirm, one
    query each; only those of the departments and roles `me` may still work on (a former member lists nothing)."""
    return [stmt.where(clause, workable(me)) for holder in holders for clause in delegation.out_with_delegate(holder)]


def signing_part(stmt, me, holders: list[str]):
    """The holders' steps now with a signer they added before themselves (前加签): still theirs, waiting to come
    back (the signers of a step are few: read by the step's id); like their claimed steps, only those of the departments
    `me` works in (a token is of one department, a deputy shares only some)."""
    asked = select(TaskSigner.task_id).where(TaskSigner.holder.in_(holders), TaskSigner.state == "pending",
                                             TaskSigner.position == "before")
    return stmt.where(Task.signing == "signer", Task.assignee.not_in(holders), Task.id.in_(asked), workable(me))


def merged_by_due(parts: list, moment: datetime | None, task_id: str | None, limit: int, task_of=lambda r: r) -> list:
    """The first `limit` steps of all parts, soonest due first (none last), after the cursor's task."""
    rows = [r for part in parts for r in _by_due(part, moment, task_id, limit)]
    rows.sort(key=lambda r: _due_order(task_of(r)))
    return rows[:limit]


def _due_order(r):
    return (r.due_at is None, r.due_at or _NEVER, r.id)


def parse_cursor(after: str) -> tuple[datetime | None, str | None]:
    if "|" not in after:
        return None, None
    raw, task_id = after.split("|", 1)
    try:
        return (None if raw == "none" else datetime.fromisoformat(raw)), task_id
    except ValueError:
        return None, None


def _by_due(stmt, moment: datetime | None, task_id: str | None, limit: int) -> list:
    """Soonest due first, then the steps without a due time, continuing after the cursor's task."""
    rows = []
    if not (task_id and moment is None):  # the cursor is still among the dated steps (or there is none)
        dated = stmt.where(Task.due_at.is_not(None))
        if task_id:
            dated = dated.where(tuple_(Task.due_at, Task.id) > tuple_(moment, task_id))
        rows = _rows(dated.order_by(Task.due_at, Task.id).limit(limit))
    if len(rows) < limit:
        undated = stmt.where(Task.due_at.is_(None))
        if task_id and moment is None:
            undated = undated.where(Task.id > task_id)
        rows += _rows(undated.order_by(Task.id).limit(limit - len(rows)))
    return rows


def _by_received(stmt, moment: datetime | None, task_id: str | None, limit: int) -> list:
    """Newest arrival first, continuing after the cursor's task."""
    if task_id and moment:
        stmt = stmt.where(tuple_(Task.created_at, Task.id) < tuple_(moment, task_id))
    return _rows(stmt.order_by(Task.created_at.desc(), Task.id.desc()).limit(limit))


def _rows(stmt) -> list:
    with runtime().db.read() as session:
        return session.execute(stmt).all()


def _row(r, names: dict[str, str], urged: int = 0, sent_back: dict | None = None, answered_by: str | None = None,
         own_answer: bool = False) -> dict:
    """One inbox row (`own_answer`: it holds the reader's own answer as a delegate, for someone else to confirm: the
    engine's four-eyes rule of 委派, delegation.authored)."""
    summary = json.loads(r.summary or "{}")
    return dict(id=r.id, name=localized.step(r.process_key, r.element_id, r.name),
                process=names.get(r.process_key, r.process_key), department=r.department_code,
                role=r.role, assignee=r.assignee, received=r.created_at, due=r.due_at, escalated=r.escalated_at,
                reminded=r.reminded_at, signing=r.signing == "signer", key=r.business_key,
                applicant=summary.get("applicant_name") or "—", urged=urged, sent_back=sent_back,
                delegated_by=r.delegated_by, to_confirm=bool(r.to_confirm), since=r.claimed_at,
                delegate=answered_by if r.to_confirm else r.assignee, own_answer=own_answer)


def _visible(task_id: str) -> None:
    from .tasks import visible  # the task page's module reads the inbox's (cases → search → inbox)
    visible(task_id)


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: str):
    """Take a task from the department queue and open it (签收, then 办理 at once); the list it was claimed from stays
    a link away. A claim refused to a colleague (taken just now, closed, 不相容岗位) says why on the page it came from."""
    _visible(task_id)  # an outsider learns nothing of a step they may not see
    here = url_for("tasks.show", task_id=task_id)
    back = safe_next(request.form.get("back"), "")
    try:
        with runtime().db.write() as session:
            task = cases.claim(session, runtime(), actor(), task_id)
    except (Conflict, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied) and exc.code not in ("incompatible", "own_answer"):
            raise  # not one who may take it at all: refused as any page refuses them
        flash(refusal(exc), "error")
        return redirect(back or url_for("inbox.inbox", view="department"))
    flash(_("You claimed “%(task)s” of %(key)s.", task=localized.step_of(task), key=task.business_key), "success")
    if urlsplit(back).path == here:  # claimed on the step's own page: it stays as it was opened
        return redirect(back)
    return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task_id, back=back or None)))


@bp.route("/tasks/<task_id>/release", methods=["POST"])
@login_required
def release(task_id: str):
    """Give a claimed task back to the department queue; refused (released or done meanwhile, claimed by someone
    else, not theirs to give back), the step's page or the inbox says why."""
    _visible(task_id)
    try:
        with runtime().db.write() as session:
            task = cases.release(session, runtime(), actor(), task_id)
    except (Conflict, PermissionDenied) as exc:
        flash(refusal(exc), "error")
        with runtime().db.read() as session:
            step = session.get(Task, task_id)
        if step is not None and actor().rank_in(step.department_code) > 0:
            return redirect(url_for("tasks.show", task_id=task_id))
        return redirect(url_for("inbox.inbox", view="mine"))
    flash(_("“%(task)s” of %(key)s is back in the department queue.", task=localized.step_of(task),
            key=task.business_key), "success")
    return redirect(safe_next(request.form.get("next"), url_for("inbox.inbox", view="department")))
