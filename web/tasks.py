"""The task page: the BPMN form with server-side validation, the case data the department may see
(personal data masked), comments, and the task's SLA."""
from __future__ import annotations

import json
from dataclasses import replace
from uuid import UUID

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine import attachments, cases, clock, delegation, forms, holding, saving, sendback, separation, urges, whereabouts
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import AuditEntry, Case, Task

from . import localized, races
from .context import actor, runtime, safe_next
from .i18n import field_errors, refusal
from .privacy import glossary_of, masked_text, personal_shown, shown_with_form, visible_data
from .cases import may_open, may_open_key, takes_part
from .names import person

bp = Blueprint("tasks", __name__)


def _load(task_id: str, posted: bool = False) -> tuple[Task, Case]:
    """The step and its case for one who may see them; when `posted` (the step's form was sent), one who may not
    gets back what they typed and nothing else (lost_race)."""
    task, case = visible(task_id)
    me = actor()
    if me.rank_in(task.department_code) == 0 and not {"auditor", "admin"} & set(me.roles):
        abort(make_response(lost_race(task_id)) if posted else 403)
    return task, case


def visible(task_id: str) -> tuple[Task, Case]:
    """The step and its case, for one who may open the case (whether they may act on the step is theirs to ask);
    to anyone else a step that is there answers as one that is not (404): an outsider learns neither that it exists
    nor which department has it."""
    with runtime().db.read() as session:
        task = session.get(Task, task_id)
        case = session.get(Case, task.case_id) if task is not None else None
        if case is None or not may_open(session, case, actor()):
            abort(404)
    return task, case


def form_and_data(task: Task, case: Case) -> tuple[list[forms.FormField], dict]:
    with runtime().db.read() as session:
        wf = cases.load(session, runtime(), case)
    spiff = None
    if task.state == "open":
        try:
            spiff = wf.get_task_from_id(UUID(task.id))
        except Exception:  # noqa: BLE001 - a task the engine no longer has is shown read-only
            spiff = None
    if spiff is None or spiff.state != TaskState.READY:
        return [], dict(json.loads(task.data or "{}"))
    return forms.offered(forms.fields_of(spiff.task_spec), spiff.data), dict(spiff.data)


def _comments(case_id: int) -> list[AuditEntry]:
    with runtime().db.read() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.case_id == case_id,
                                                             AuditEntry.event == "comment_added")
                                    .order_by(AuditEntry.seq)).scalars())


def _page(task: Task, case: Case, fields, data, values=None, errors=None, status=200, confirming=None, lost=None,
          typed=(), side=None):
    """The task page (`side`: one of the page's other forms refused, web/side_forms.py: filled in again and open with
    what was said where the page still offers it, else what was said above and what was typed read-only)."""
    terms = glossary_of(case, task.element_id)
    shown = visible_data(data, actor(), case.business_key, terms, here=task.department_code, may_open=may_open_key)
    read = personal_shown(shown)
    if read:
        with runtime().db.write() as session:
            cases.note(session, actor(), case.business_key, "data_read", {"fields": read, "task": task.name})
    comments = [dict(who=c.actor, at=c.at, text=json.loads(c.details).get("text", "")) for c in _comments(case.id)]
    can_act = task.state == "open" and actor().may_work_on(task.department_code, task.role) and \
        (task.assignee is None or actor().holds(task.assignee))
    from .approvals import may_withdraw, send_back_options, transfer_options  # the approvals blueprint builds on this page
    from .signers import panel  # so does 加签
    with runtime().db.read() as session:
        sent_back = sendback.reopened_reason(session, case.id, task.id)
        urged = urges.latest(session, case.id, task.id) if task.state == "open" else None
        stopped = clock.standing(session, case.id) if task.state == "open" else None
        redo = delegation.redo_reason(session, task)
        apart = separation.conflict(session, runtime(), actor().username, case.id, task.element_id,
                                    case.definition_id) if can_act else None
        model = runtime().model(session, case.definition_id)
        may_reveal = takes_part(session, case, actor(), admin=False)  # a masked value may be shown (recorded)
        kept = attachments.of_task(session, task.id) if model.attach.get(
            (model.process_of(task.element_id), task.element_id)) else None  # documents kept with the answer
    confirm = model.confirm.get((model.process_of(task.element_id), task.element_id))  # an irreversible step
    step = (model.process_of(task.element_id), task.element_id)
    labels = model.submit_label.get(step, {})
    rests_on = shown_with_form(data, actor(), terms, model.shows.get(step, ()))
    own_answer = can_act and delegation.authored(task, actor().username)  # four-eyes: another confirms it
    can_act = can_act and apart is None and not own_answer and task.signing != "signer"
    apart = localized.step_named(apart) if apart is not None else None  # in the reader's language
    colleagues = transfer_options(task) if can_act and not task.delegated_by else []
    fields = localized.form(fields, case.process_key, task.element_id, case.definition_id)
    signing = panel(task, colleagues, terms)
    draft = _draft(task)
    back_to = send_back_options(task) if can_act else []
    offered = {"send-back": bool(back_to), "transfer": bool(colleagues), "delegate": bool(colleagues), "cc": can_act,
               "redo": bool(can_act and draft and draft["kind"] == "delegate" and task.assignee and not task.signing),
               "signers": bool(signing["signer_candidates"]), "kept-files": can_act and kept is not None,
               "sign": signing["signing"] is not None, "comment": True,
               **{f"signer-remove-{s['id']}": s["removable"] for s in signing["signers"]}}
    refused_side = side if side is not None and offered.get(side.form) else None
    if side is not None and refused_side is None:  # the form is gone from the page: what was typed, to copy
        lost, typed = side.above(), side.shown
    typed_back = typed if side is not None else () if can_act and values else typed
    return render_template("task.html", task=task, case=case, fields=fields, data=shown, comments=comments,
                           step_title=localized.step(case.process_key, task.element_id, task.name, case.definition_id),
                           values=values or {}, errors=errors or {}, can_act=can_act, sent_back=sent_back,
                           send_back_to=back_to, side=refused_side,
                           withdrawable=may_withdraw(task), apart=apart, own_answer=own_answer, urged=urged,
                           colleagues=colleagues, confirm=confirm if any(f.id == confirm for f in fields) else None,
                           draft=draft, stopped=stopped, confirming=confirming,
                           submit_label=labels.get("en" if localized.english() else "") or labels.get(""),
                           rests_on=rests_on, kept=kept, back=safe_next(request.args.get("back"), ""),
                           lost=lost, typed_back=typed_back, redo=redo, may_reveal=may_reveal, **signing), status


def refused(task: Task, case: Case, fields, data, values: dict, exc, controls: tuple[str, ...] = (), side=None):
    """A refused 暂存 or 加签: the task page again with what was typed; what is wrong with a field of the form stands
    beside it, named by its label (not by its id in a message above), anything else in a message above, or in the
    action's own form (`side`, which says it; `controls`: what the action's own inputs are called in its refusals,
    which a form field may be called too)."""
    errors = {k: v for k, v in _field_errors(exc, task, case, fields).items() if k not in controls and any(f.id == k for f in fields)} \
        if getattr(exc, "fields", None) else {}
    if not errors or set(errors) != set(exc.fields):
        if side is None:
            flash(refusal(exc), "error")
    elif side is not None:  # all of it stands beside the fields, named by their labels
        side = replace(side, said=_("The form has errors; nothing was saved."))
    return _page(task, case, fields, data, values, errors, 422, side=side)


def _field_errors(exc, task: Task, case: Case, fields) -> dict[str, str]:
    """What is wrong in each field, named by its label as the page shows it (in the reader's language)."""
    return field_errors(exc, form=localized.form(fields, case.process_key, task.element_id, case.definition_id))


def _draft(task: Task) -> dict | None:
    """What the step's form is filled from besides the case data: an answer saved for later (暂存), a delegate's
    answer to confirm or sent back to them to redo, or what the holder typed before adding a signer."""
    found = saving.saved(task) or delegation.draft_of(task) or delegation.returned(task)
    if not found:
        return None
    kind = holding.draft(task)[0]  # which, for the page to say; a delegate's answer goes back to the delegate
    return {**found, "kind": kind, **({"delegate": delegation.delegate_of(found)} if kind == "delegate" else {})}


@bp.route("/tasks/<task_id>")
@login_required
def show(task_id: str):
    """The task with its form (or, once done, what was submitted)."""
    task, case = _load(task_id)
    fields, data = form_and_data(task, case)
    return _page(task, case, fields, data, opening_values(task, fields, data))


def opening_values(task: Task, fields, data: dict) -> dict:
    """What the step's form holds when the page opens: the case data, and a draft over it."""
    values = {f.id: None if f.decision else data.get(f.id, f.default) for f in fields}  # a decision is made afresh
    draft = _draft(task)
    if draft:  # 委派: the delegate's answer, for the delegator to confirm or change; or what was saved (暂存)
        values.update({k: v for k, v in draft["values"].items() if k in values})
    return values


@bp.route("/tasks/<task_id>", methods=["POST"])
@login_required
def complete(task_id: str):
    """Submit the form; bad input comes back with one message per field and what the user typed."""
    task, case = _load(task_id, posted=True)
    fields, data = form_and_data(task, case)
    submitted = form_values(fields)
    if request.form.get("edit"):  # 返回修改 on the confirmation (without task.js): the form back as typed, nothing sent
        return _page(task, case, fields, data, submitted)
    asked = _confirmation(task, case, fields, submitted)
    try:
        if asked is not None:  # an irreversible answer: checked first, then confirmed by name, then sent
            with runtime().db.read() as session:
                cases.check(session, runtime(), actor(), task_id, submitted)
            return _page(task, case, fields, data, submitted, confirming=asked)
        with runtime().db.write() as session:
            outcome = cases.complete(session, runtime(), actor(), task_id, submitted)
    except InvalidInput as exc:
        return _page(task, case, fields, data, submitted, _field_errors(exc, task, case, fields), 422)
    except (Conflict, PermissionDenied) as exc:
        return lost_race(task_id, refused=isinstance(exc, PermissionDenied))
    named = localized.step_of(task, case.definition_id)  # the step in the reader's language
    if outcome.events == ["sent_for_signature"]:
        flash(_("“%(task)s” of %(key)s went to be signed (加签) before it is done.", task=named,
                key=case.business_key), "success")
        return redirect(url_for("inbox.inbox", view="mine"))
    if outcome.events == ["delegation_returned"]:
        flash(_("“%(task)s” of %(key)s went back to %(user)s to confirm.", task=named, key=case.business_key,
                user=person(task.delegated_by)), "success")
        return redirect(url_for("inbox.inbox", view="mine"))
    if outcome.events == ["delegation_returned_to_queue"]:
        flash(_("%(user)s, who delegated “%(task)s” of %(key)s, can no longer take it: it went to the department queue "
                "to be confirmed.", task=named, key=case.business_key, user=person(task.delegated_by)), "success")
        return redirect(url_for("inbox.inbox", view="mine"))
    flash(_("“%(task)s” of %(key)s is done.", task=named, key=case.business_key), "success")
    if outcome.error:
        flash(_("The case stopped with an error: %(error)s", error=masked_text(outcome.error, data, actor(),
                                                                             glossary_of(case))), "error")
    return redirect(url_for("inbox.inbox", view="mine"))


def lost_race(task_id: str, refused: bool = False):
    """The task page again when what was sent lost a race (the step was claimed, reassigned, done … meanwhile, or
    the case changed at the same moment): what happened, and what was typed, still in the form where the actor may
    act on the step, read-only to copy where they no longer may; nothing was saved. One no longer of the step's
    department reads only that, with their own text."""
    with runtime().db.read() as session:
        where = whereabouts.of(session, actor(), task_id, refused)
        if where is None:
            abort(404)
        task = session.get(Task, task_id)
        case = session.get(Case, task.case_id)
        model = runtime().model(session, case.definition_id)
    step = localized.form(whereabouts.step_form(model, task.element_id), case.process_key, task.element_id,
                          case.definition_id)
    typed = form_values(step)
    if where.how == "outside":
        return render_template("typed_back.html", lost=races.told(where), typed_back=races.typed_back(step, typed)), 403
    fields, data = form_and_data(task, case)
    still = typed if not where.elsewhere and fields else None  # the form itself, where they may act on the step
    return _page(task, case, fields, data, still, status=403 if where.how in ("not_allowed", "reader") else 409,
                 lost=races.told(where), typed=races.typed_back(step, typed))


def form_values(fields) -> dict[str, str]:
    """What the browser sent for the step's form: each field one fills in, as typed (an optional flag's unticked box
    is not sent: it is false)."""
    return {f.id: ("true" if request.form.get(f.id) else "false") if f.type == "boolean" and not f.decision
            else request.form.get(f.id, "") for f in fields if not f.readonly}


def _confirmation(task, case, fields, submitted: dict[str, str]) -> tuple[str, str] | None:
    """(answer, its name) when the step is irreversible and this answer was not yet confirmed on the page that
    named it (the page sends back the answer it confirmed: an answer changed afterwards is asked again)."""
    with runtime().db.read() as session:
        model = runtime().model(session, case.definition_id)
    wanted = model.confirm.get((model.process_of(task.element_id), task.element_id))
    localized_fields = localized.form(fields, case.process_key, task.element_id, case.definition_id)
    field = next((f for f in localized_fields if f.id == wanted and not f.readonly), None)
    answer = submitted.get(wanted, "") if field else ""
    if not answer or request.form.get("confirmed") == answer:
        return None  # nothing chosen (the check names the field), or confirmed
    names = dict(field.options) | {a: n or (_("Yes") if a == "true" else _("No")) for a, n in field.choices}
    return answer, names.get(answer, answer)


@bp.route("/cases/<key>/comments", methods=["POST"])
@login_required
def comment(key: str):
    """Add a comment to the case history (department staff; auditors only read); refused, the task page again with
    the text in the comment box and what was wrong said beside it (web/side_forms.py)."""
    if not actor().departments:
        abort(403)
    target = request.form.get("task_id", "")
    task, case = _load(target)
    if case.business_key != key:
        abort(404)
    text = request.form.get("text", "")
    try:
        with runtime().db.write() as session:
            cases.note(session, actor(), key, "comment_added", {"text": text, "task": task.name})
    except InvalidInput as exc:
        from . import side_forms  # which builds on this page

        return side_forms.kept(target, "comment", {"text": text},
                               side_forms.shown(("comment-text", _("Comment"), text)), exc)
    return redirect(url_for("tasks.show", task_id=target) + "#comments")
