"""The case page: summary, current tasks, the diagram with the path taken, and the full timeline.
Every view is recorded in the audit log; so is revealing a masked personal field."""
from __future__ import annotations

import json
from pathlib import Path

from flask import (Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request,
                   send_from_directory, session, url_for)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from engine import (alerts, cases, clock, copies, decisions, lookup, outcomes, ratings, repository, rules, supervision,
                    urges, wallclock, withdrawal)
from engine.errors import EngineError
from engine.models import AuditEntry, Case, CaseRating, ProcessDefinition, Task

from workflows.portal import PUBLIC

from . import holds, localized, side_forms
from .context import actor, overseers, runtime
from .details import milestone_name, outcome_name
from .i18n import refusal
from .names import chinese
from .privacy import decision_view, glossary_of, masked_details, masked_error, readable
from .search import openable

bp = Blueprint("cases", __name__)
VENDOR = Path(__file__).parent / "node_modules" / "bpmn-js" / "dist"
RELATED = 50  # cases referring to one case listed on its page


def _case(key: str) -> Case:
    with runtime().db.read() as session_:
        case = session_.execute(select(Case).where(Case.business_key == key)).scalar_one_or_none()
        if case is None or not may_open(session_, case, actor()):
            abort(404)  # one who may not open it learns nothing, not even that it exists
    return case


def may_open(session_, case: Case, me) -> bool:
    """Whether `me` may open the case's page: who takes part in it (`takes_part`), and whoever got a copy (抄送)."""
    return takes_part(session_, case, me) or copies.copied_to(session_, me.username, case.id)


def takes_part(session_, case: Case, me, admin: bool = True) -> bool:
    """Whether `me` handles or supervises the case: a department that has a step in it or answers for it, whoever
    started it, the overseeing office, auditors and (with `admin`) administrators. Only they may show a masked
    personal field in full (recorded), an administrator only as one of the others (三员分立: the system's
    administrator reads personal data masked, as in the export). One who only got a copy (抄送) reads the case, its
    personal data masked, and does not."""
    if {"auditor", "admin"} & set(me.roles) if admin else "auditor" in me.roles:
        return True
    if case.started_by == me.username:
        return True
    departments = set(session_.execute(select(Task.department_code).where(Task.case_id == case.id)).scalars())
    return bool(departments & set(me.departments)
                or supervision.may_supervise(me, overseers())  # the overseeing office sees every case
                or _owner(session_, case) in me.departments)


def _failure(case: Case, model, data: dict, terms, whole_file: bool) -> dict | None:
    """Why a case stopped, as its reader can act on it: the step where the process failed, by its name, and the
    engine's own words as the technical detail for the process designers, the case's personal values in them masked
    as the reader sees them elsewhere (a department that only answered an inquiry gets no detail of the case)."""
    if not case.error:
        return None
    error = masked_error(case.error, case, actor(), data, terms) if whole_file else case.error.partition(": ")[0] + ": "
    element, sep, detail = error.partition(": ")
    specs = [model.spec, *model.subprocess_specs.values()] if sep else []
    found = next((s.task_specs[element] for s in specs if element in getattr(s, "task_specs", {})), None)
    name = getattr(found, "bpmn_name", None)
    if not name:
        return dict(step=None, detail=error if whole_file else None)
    return dict(step=localized.step(case.process_key, element, name, case.definition_id), detail=detail or None)


def may_open_key(key: str) -> bool:
    """Whether the signed-in user may open the page of the case with this business key (asked once per request)."""
    known = g.setdefault("openable", {})
    if key not in known:
        with runtime().db.read() as session_:
            case = session_.execute(select(Case).where(Case.business_key == key)).scalar_one_or_none()
            known[key] = case is not None and may_open(session_, case, actor())
    return known[key]


def _related(session_, case: Case, me, terms, data: dict) -> list[tuple[str, Case, str]]:
    """(relation, case, its process's name) of the cases this one names in a case_key field (the case an inquiry is
    about) and of those that name it (its inquiries, the follow-up of its rating), each only if `me` may open it."""
    named = {str(data[k]).strip().upper() for k, t in terms.terms.items() if t.case_key and isinstance(data.get(k), str)}
    found = []
    for relation, where in (("about", Case.business_key.in_(named - {case.business_key})),
                            ("referring", Case.id.in_(lookup.referring(case.business_key)))):
        stmt = openable(session_, me, select(Case, ProcessDefinition.name)
                        .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
                        .where(where).order_by(Case.started_at).limit(RELATED))  # who may open them: in the query
        found += [(relation, r, name) for r, name in session_.execute(stmt).all()]
    return found


def _owner(session_, case: Case) -> str | None:
    """The department that answers for the case to the applicant (the BPMN's owner_department): its window
    serves the applicant even while no step of the case is open (waiting for a correction, say)."""
    return runtime().model(session_, case.definition_id).owner_department


def _scope(model, case: Case, tasks: list[Task], me, overseer: bool) -> set[str] | None:
    """The steps a user may follow when their department's only part in the case lies inside processes it calls
    (a 函询 answered): the steps of those processes. None: the whole case (its own departments, the applicant's
    side, copies, overseers, auditors and administrators)."""
    if overseer or {"auditor", "admin"} & set(me.roles) or case.started_by == me.username:
        return None
    mine = {model.process_of(t.element_id) for t in tasks if t.department_code in me.departments}
    if not mine or model.process_key in mine:
        return None
    return {t.id for t in tasks if model.process_of(t.element_id) in mine}


def _acting_department(entry, details: dict) -> str | None:
    """The department beside the actor's name on the timeline: the entry's own, except for an urge, whose entry
    names the urged step's department: the urging person's department there, or none when it is the same."""
    if entry.event != "task_urged":
        return entry.department
    urging = details.get("by_department")
    return urging if urging != entry.department else None


def _milestone(model, case: Case, details: dict) -> str:
    """Which milestone an entry records (结果公示), with the outcome it stated (结果公示（录取）) unless the element
    that marks it says that by its name already (逾期未补正，不予受理)."""
    reached = milestone_name(model, details, case.definition_id)
    stated = outcome_name(model, str(details["outcome"]), case.definition_id) if details.get("outcome") else reached
    return reached if stated == reached else f"{reached}（{stated}）" if chinese() else f"{reached} ({stated})"


@bp.route("/cases/<key>")
@login_required
def show(key: str, side: side_forms.Side | None = None):
    """Summary, tasks, timeline and diagram of one case (`side`: one of its forms refused, `refused`)."""
    case = _case(key)
    with runtime().db.write() as session_:
        cases.note(session_, actor(), key, "case_viewed", {})
        copies.mark_read(session_, actor().username, case.id)  # reading a copy (抄送) is recorded
    with runtime().db.read() as session_:
        raised = alerts.open_alerts(session_, case_id=case.id)
        rating = session_.get(CaseRating, case.id)
        model = runtime().model(session_, case.definition_id)
        owner = model.owner_department
        withdrawable = (case.status == "running" and model.withdraw_message is not None and actor().at_window(owner)
                        and not withdrawal.reached(session_, case.id, model.withdrawable_until))
        definition = session_.get(ProcessDefinition, case.definition_id)
        tasks = list(session_.execute(select(Task).where(Task.case_id == case.id).order_by(Task.created_at)).scalars())
        events = list(session_.execute(select(AuditEntry).where(AuditEntry.case_id == case.id)
                                       .order_by(AuditEntry.seq)).scalars())
    me = actor()
    urged, urge_notes = {}, {}  # per step: how many urges, and the notes they came with (oldest first)
    for e in events:
        if e.event == "task_urged" and e.task_id:
            urged[e.task_id] = urged.get(e.task_id, 0) + 1
            note = json.loads(e.details).get("note")
            if note:
                urge_notes.setdefault(e.task_id, []).append(dict(at=e.at, actor=e.actor, note=note))
    with runtime().db.read() as session_:
        urgeable = {t.id for t in tasks if t.state == "open" and urges.may_urge(session_, me, t)}
        urge_waits = urges.next_urges(session_, me, [t for t in tasks if t.id in urgeable],
                                      per_hour=runtime().urges_per_hour)  # urgeable again only later: when
        supervised = supervision.of_case(session_, case.id)
        stops = clock.of_case(session_, case.id)
        records = decisions.of_case(session_, case.id)
    overseer = supervision.may_supervise(me, overseers())
    now = wallclock.now()
    can_supervise = (overseer and case.status == "running" and not any(i.closed_at is None for i in supervised)
                     and any(t.state == "open" and t.due_at is not None and t.due_at < now for t in tasks))
    scope = _scope(model, case, tasks, me, overseer)
    if scope is not None:  # a department answering an inquiry sees that inquiry, not the case's whole file
        tasks = [t for t in tasks if t.id in scope]
        events = [e for e in events if e.task_id in scope]
    terms = glossary_of(case)
    decided = [decision_view(r, terms, me) for r in records] if scope is None else []
    for d in decided:  # its step as the case's version names it, in the reader's language
        if d["element"] and d["task"]:
            d["task"] = localized.step(d["process"] or case.process_key, d["element"], d["task"], case.definition_id)
    timeline = []
    for e in events:
        details = json.loads(e.details)
        timeline.append(dict(seq=e.seq, at=e.at, actor=e.actor, department=_acting_department(e, details),
                             event=e.event, details=details, data=masked_details(details, me, key, terms, may_open_key),
                             milestone=_milestone(model, case, details) if e.event == "milestone" else None))
    outcome = _outcome(case, model, terms) if scope is None else None
    with runtime().db.read() as session_:  # the workflow is loaded once, for the related cases and what it waits for
        wf = None if case.purged_at else cases.load(session_, runtime(), case)
        data = cases.current_data(wf) if wf is not None else {}
        related = _related(session_, case, me, terms, data)
        tables = rules.tables_of(session_, definition)  # the decisions' names, not their files'
    waiting, missing = [], []
    if case.status == "running" and wf is not None:
        waiting = sorted(cases.waiting_messages(wf))
        view = PUBLIC.get(case.process_key)
        resubmission = view.messages.get("materials") if view else None
        missing = (data.get("missing_items") or []) if resubmission in waiting else []
    return render_template("case.html", case=case, definition=definition, tasks=tasks, timeline=timeline,
                           whole_file=scope is None,
                           summary=json.loads(case.summary or "{}"), tables=tables, now=wallclock.now(),
                           waiting=waiting, missing=missing, alerts=raised, rating=rating,
                           can_rate=case.status == "completed" and rating is None and me.at_window(owner),
                           withdrawable=withdrawable, urged=urged, urge_notes=urge_notes, urgeable=urgeable, urge_waits=urge_waits,
                           supervised=supervised,
                           overseer=overseer, can_supervise=can_supervise, stops=stops,
                           holds=holds.of_case(case), may_hold=holds.may_hold(), decided=decided, outcome=outcome,
                           related=related, failure=_failure(case, model, data, terms, scope is None),
                           **_refused_form(side, withdrawable, urgeable, urge_waits))


def refused(key: str, form: str, values: dict, exc: EngineError | None = None, said: str | None = None,
            shown: list | None = None):
    """The case page again after its form `form` (催办, 撤回申请, 好差评) was refused, by the engine (`exc`) or by the
    page's own check (`said`), as the task page's forms are (web/side_forms.py): what was wrong said in that form,
    filled in again with what was typed (`values`, by input name), where the page still offers it, else above the
    page with what was typed read-only to copy (`shown`, side_forms.shown). Nothing was changed: 403 not allowed,
    409 the case or step moved on, 422 what was typed."""
    said = said if said is not None else refusal(exc)
    return show(key, side_forms.Side(form, values, said, shown or [])), side_forms.status_of(exc)


def _refused_form(side: side_forms.Side | None, withdrawable: bool, urgeable: set, waits: dict) -> dict:
    """What the case page shows of a refused form: `side` where the page still offers the form (a refused rating is
    said where the rating form is, whatever became of it), else `lost` above the page with `typed_back`."""
    offered = {"rate": True, "withdraw-application": withdrawable,
               **{f"urge-{task_id}": task_id not in waits for task_id in urgeable}}  # a waiting urge takes no note
    if side is None or offered.get(side.form):
        return dict(side=side, lost=None, typed_back=())
    return dict(side=None, lost=side.above(), typed_back=side.shown)


def _outcome(case: Case, model, terms) -> dict | None:
    """A finished case's outcome and why, as its BPMN words them (the end event reached and its reasons)."""
    if case.status != "completed" or case.purged_at or not case.visited:
        return None
    with runtime().db.read() as session_:
        data = cases.current_data(cases.load(session_, runtime(), case))
    stated = outcomes.stated(model.outcome_ends, case.visited.split(), data, terms)
    if stated is None:
        return None
    end = localized.step(case.process_key, stated.end_id, stated.end, case.definition_id)
    return dict(text=end if stated.text == stated.end else stated.text, end=end,
                reasons=[(label, readable(terms, key, value)) for key, label, value in stated.reasons])


@bp.route("/cases/<key>/rating", methods=["POST"])
@login_required
def rate(key: str):
    """At the window, staff of the responsible department record the applicant's rating (好差评). Refused (the engine's
    ratings.rate: not of that department, rated already, what was typed), the case page again says why where the
    rating form is, with what was typed (`refused`); one who may not open the case: 404, as for no case."""
    _case(key)
    score, comment = request.form.get("score", ""), request.form.get("comment", "")
    try:
        with runtime().db.write() as session_:
            rated = ratings.rate(session_, runtime(), actor(), key, score, comment, "window")
    except EngineError as exc:
        return refused(key, "rate", {"score": score, "comment": comment}, exc,
                       shown=side_forms.shown(("rate-comment", _("The applicant's comment"), comment)))
    flash(_("The rating was recorded.") + (" " + _("A follow-up was opened for the supervisors.")
                                           if rated.follow_up else ""), "success")
    return redirect(url_for("cases.show", key=key))


@bp.route("/cases/<key>/diagram")
@login_required
def diagram(key: str):
    """The BPMN of the case's version and what to highlight: done, current and overdue elements."""
    case = _case(key)
    with runtime().db.read() as session_:
        xml = repository.main_xml(session_, session_.get(ProcessDefinition, case.definition_id))
        tasks = list(session_.execute(select(Task).where(Task.case_id == case.id)).scalars())
        model = runtime().model(session_, case.definition_id)
    scope = _scope(model, case, tasks, actor(), supervision.may_supervise(actor(), overseers()))
    if scope is not None:  # a department answering an inquiry: not the path the rest of the case took
        tasks = [t for t in tasks if t.id in scope]
    now = wallclock.now()
    return jsonify(xml=xml, done=sorted(set(case.visited.split())) if scope is None else [],
                   current=sorted({t.element_id for t in tasks if t.state == "open"}),
                   overdue=sorted({t.element_id for t in tasks if t.state == "open" and t.due_at and t.due_at < now}))


@bp.route("/cases/<key>/reveal", methods=["POST"])
@login_required
def reveal(key: str):
    """Show one masked personal field in full for this session; recorded in the audit log. Only for who takes part in
    the case: one who only reads a copy (抄送), or an administrator who has no other part in it, is refused."""
    case = _case(key)
    field = request.form.get("field", "")
    if glossary_of(case).personal(field) is None:
        abort(400)
    with runtime().db.write() as session_:
        if not takes_part(session_, case, actor(), admin=False):
            abort(403)
        cases.note(session_, actor(), key, "data_revealed", {"field": field})
    shown = session.setdefault("revealed", {})
    shown[key] = sorted(set(shown.get(key, [])) | {field})
    session.modified = True
    back = request.form.get("task_id")
    return redirect(url_for("tasks.show", task_id=back) if back else url_for("cases.show", key=case.business_key))


@bp.route("/vendor/bpmn-js/<path:name>")
def vendor(name: str) -> Response:
    """bpmn-js from npm (installed by the setup), served by us: no CDN."""
    if not VENDOR.exists():
        abort(404)
    return send_from_directory(VENDOR, name, max_age=86400)
