"""Finding a case: staff search the cases they may open (their departments' steps, the cases their department
answers for, the ones they started or were copied on; the overseeing office, auditors and administrators every
case) by business key, or by an applicant's exact name or ID number through the keyed index (engine/lookup.py),
never by scanning personal data. Auditors search the same way from their own page (web/audit.py)."""
from __future__ import annotations

import json
import re

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select

from engine import lookup, supervision
from engine.models import Case, ProcessDefinition, Task
from engine.models_office import CaseCopy
from engine.routing import Actor

from . import localized
from .context import actor, overseers, runtime
from .inbox import like

bp = Blueprint("search", __name__)
LIMIT = 100
FIELDS = ("key", "applicant", "process", "status")
WHOLE_KEY = re.compile(r"[A-Z]+-\d{4}-\d{6}")


def openable(session, me: Actor, stmt):
    """`stmt` (a query of cases) narrowed to the cases `me` may open, in the query itself: a department's steps, the
    processes it answers for, what they started or got a copy of; auditors, administrators and the overseeing office
    open every case."""
    if sees_every_case(me):
        return stmt
    mine = list(me.departments)
    return stmt.where(or_(Case.id.in_(select(Task.case_id).where(Task.department_code.in_(mine))),
                          Case.definition_id.in_(owned_versions(mine)), Case.started_by == me.username,
                          Case.id.in_(select(CaseCopy.case_id).where(CaseCopy.username == me.username))))


def sees_every_case(me: Actor) -> bool:
    """Auditors, administrators and the overseeing office open every case."""
    return bool({"auditor", "admin"} & set(me.roles)) or supervision.may_supervise(me, overseers())


def owned_versions(departments):
    """The process versions a department answers for (the BPMN's owner_department of each version, as the case
    page decides it for the case's own version)."""
    return select(ProcessDefinition.id).where(ProcessDefinition.owner_department.in_(list(departments)))


def find(session, me: Actor, args: dict[str, str]) -> list[dict]:
    """Up to LIMIT cases matching the filters, newest first, among those `me` may open. Staff must give a key or an
    applicant (no browsing through the cases); auditors and administrators may list the newest."""
    everything = bool({"auditor", "admin"} & set(me.roles))
    if not (args.get("key") or args.get("applicant") or everything):
        return []
    stmt = openable(session, me, select(Case).order_by(Case.started_at.desc(), Case.id.desc()).limit(LIMIT))  # by start
    if args.get("key"):
        key = args["key"].strip().upper()
        stmt = stmt.where(Case.business_key == key if WHOLE_KEY.fullmatch(key)  # the unique index
                          else Case.business_key.like(like(key), escape="\\"))
    if args.get("applicant"):
        stmt = stmt.where(Case.id.in_(lookup.matching(args["applicant"])))  # exact name or ID number
    if args.get("process"):
        stmt = stmt.where(Case.process_key == args["process"])
    if args.get("status"):
        stmt = stmt.where(Case.status == args["status"])
    return [dict(case=c, applicant=json.loads(c.summary or "{}").get("applicant_name") or "—")
            for c in session.execute(stmt).scalars()]


def results(title: str, endpoint: str):
    """The search form and its results (the staff's and the auditors' pages)."""
    args = {k: request.args.get(k, "").strip() for k in FIELDS}
    with runtime().db.read() as session:
        rows = find(session, actor(), args)
        processes = {key: localized.process(key, name) for key, name in
                     session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name)).all()}
    return render_template("audit_cases.html", rows=rows, args=args, processes=processes, title=title,
                           endpoint=endpoint, searched=bool(args["key"] or args["applicant"]), limit=LIMIT,
                           every_case=sees_every_case(actor()))


@bp.route("/cases")
@login_required
def index():
    """Find a case by its business key or the applicant's exact name or ID number."""
    return results(_("Find a case"), "search.index")
