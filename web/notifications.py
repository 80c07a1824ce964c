"""The notification centre: a bell with the unread count on every page, the list of one's notices (each
worded in the reader's language and linked to its task or case), marking them read; and 催办 (urge) on
the task page, which notifies the task's holder."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import mail, notices, urges
from engine.errors import EngineError
from engine.rule_names import TableName
from engine.models import Task

from . import localized
from . import side_forms
from .cases import may_open, refused
from .context import actor, row_id, runtime, safe_next
from .i18n import department_name, refusal
from .names import chinese, rule_table

bp = Blueprint("notifications", __name__)


def words(kind: str, key: str | None, details: dict) -> str:
    """One notice in the reader's language."""
    if kind == "sent_back":
        return _("%(by)s sent %(key)s back to “%(step)s” (from “%(from_step)s”): %(reason)s", key=key, **details)
    if kind == "transferred":
        return _("%(by)s transferred “%(step)s” of %(key)s to you: %(reason)s", key=key, **details)
    if kind == "copied":
        return _("%(key)s was copied to you for information (from “%(step)s”).", key=key, **details)
    if kind == "delegated":
        return _("%(by)s delegated “%(step)s” of %(key)s to you; it goes back to them to confirm.", key=key, **details)
    if kind == "delegation_returned":
        return _("%(by)s did “%(step)s” of %(key)s for you; please confirm it.", key=key, **details)
    if kind == "delegation_queued":
        return _("%(by)s did “%(step)s” of %(key)s as a delegate, and whoever delegated it can no longer take it: it is "
                 "in the department queue for someone else to claim and confirm.", key=key, **details)
    if kind == "delegation_sent_back":
        return _("%(by)s sent “%(step)s” of %(key)s back to you to redo (退回重办): %(reason)s", key=key, **details)
    if kind == "supervised":
        return _("%(by)s put %(key)s under supervision (督办) for the overdue step “%(step)s”: %(reason)s", key=key,
                 **details)
    if kind == "arrived":
        return _("“%(step)s” of %(key)s is waiting for you.", key=key, **details)
    if kind == "reminded":
        return _("“%(step)s” of %(key)s is due soon.", key=key, **details)
    if kind == "overdue":
        return _("“%(step)s” of %(key)s is overdue; please deal with it now.", key=key, **details)
    if kind == "escalated":
        return _("“%(step)s” of %(key)s is overdue and was escalated to you.", key=key, **details)
    if kind == "alert":
        return alert_words(key, details)
    if kind == "sign_requested":
        return _("%(by)s asks you to sign “%(step)s” of %(key)s (加签): %(reason)s", key=key, **details)
    if kind == "signed":
        return _("%(by)s signed “%(step)s” of %(key)s.", key=key, **details)
    if kind == "sign_refused":
        return _("%(by)s did not agree to “%(step)s” of %(key)s: %(opinion)s", key=key, **details)
    if kind == "signer_removed":
        return _("%(by)s removed you as a signer of “%(step)s” of %(key)s: %(reason)s", key=key, **details)
    if kind == "rule_refused":
        return _("%(table)s v%(version)s was not co-signed (%(key)s) and stays out; the version in force is "
                 "unchanged: %(reason)s", key=key, **{**details, "table": rule_table(TableName(
                     details.get("table") or "", details.get("decision") or "", details.get("table_en") or ""))})
    if kind == "urged":
        if details.get("by_department"):  # urged from another department: which one
            by = department_name(details["by_department"])
            details = {**details, "by": f"{details['by']}（{by}）" if chinese() else f"{details['by']} ({by})"}
        text = _("%(by)s urges “%(step)s” of %(key)s (urged %(times)s times).", key=key, **details)
        return f"{text} {details['note']}" if details.get("note") else text
    return kind


def alert_words(key: str | None, details: dict) -> str:
    """A stagnation alert's notice: which step and why, so that two alerts of one case do not read alike."""
    step, why, threshold = details.get("step"), details.get("kind"), details.get("threshold")
    if not step:
        return _("%(key)s is stalled (stagnation alert); please look into it.", key=key)
    n = f"{float(threshold):g}" if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) else None
    if why == "idle" and n:
        return _("“%(step)s” of %(key)s has had no progress for %(n)s working days (stagnation alert); please look "
                 "into it.", step=step, key=key, n=n)
    if why == "sla" and n and float(n) >= 100:
        return _("“%(step)s” of %(key)s is past its time limit (stagnation alert); please look into it.", step=step,
                 key=key)
    if why == "sla" and n:
        return _("“%(step)s” of %(key)s has used more than %(n)s%% of its time limit (stagnation alert); please look "
                 "into it.", step=step, key=key, n=n)
    return _("“%(step)s” of %(key)s is stalled (stagnation alert); please look into it.", step=step, key=key)


def unread_count() -> int:
    if not current_user.is_authenticated:
        return 0
    with runtime().db.read() as session:
        return notices.unread(session, current_user.username)


@bp.route("/notifications")
@login_required
def index():
    """One's notices, unread first."""
    with runtime().db.read() as session:
        rows = notices.recent(session, actor().username)
        ids = {n.task_id for n in rows if n.task_id}
        steps = {t.id: localized.step(t.process_key, t.element_id, t.name) for t in session.execute(
            select(Task.id, Task.process_key, Task.element_id, Task.name).where(Task.id.in_(ids)))} if ids else {}
    items = [dict(id=n.id, unread=n.read_at is None, at=n.created_at, key=n.business_key, task_id=n.task_id,
                  text=words(n.kind, n.business_key, _named(json.loads(n.details), steps.get(n.task_id))))
             for n in rows]
    return render_template("notifications.html", items=items)


def _named(details: dict, step: str | None) -> dict:
    """A notice's words with its steps named in the reader's language: each by what identifies it (`step_of`,
    `from_step_of`: process key, element id, the case's version), kept since notices keep it; an older notice's
    step by its task's, else by the Chinese name it was sent with."""
    named = {k: localized.step(ref[0], ref[1], details[k], ref[2]) for k in details
             if isinstance(ref := details.get(f"{k}_of"), list) and len(ref) == 3 and details[k]}
    if step and "step" in details and "step" not in named:
        named["step"] = step
    return {**details, **named}


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    """One's mail address and which notices come by mail (each at once, or a daily digest)."""
    from engine.models import User
    if request.method == "POST":
        try:
            with runtime().db.write() as session:
                mail.set_preferences(session, actor().username, request.form.get("email"),
                                     bool(request.form.get("mail_on")), request.form.getlist("kinds"),
                                     request.form.get("delivery") == "digest")
        except EngineError as exc:
            flash(refusal(exc), "error")
        else:
            flash(_("Your mail settings were saved."), "success")
        return redirect(url_for("notifications.settings"))
    with runtime().db.read() as session:
        user = session.execute(select(User).where(User.username == actor().username)).scalar_one()
    chosen = {k for k in (user.mail_kinds or "").split(",") if k}
    return render_template("mail_settings.html", user=user, kinds=list(mail.WORDS), chosen=chosen)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read():
    """Mark one notice (or all) read; a notice can only be one's own."""
    given = request.form.getlist("id")  # none given: all of them ('mark all read'); a number no row can have: none
    ids = [n for n in map(row_id, given) if n is not None] if given else None
    with runtime().db.write() as session:
        notices.mark_read(session, actor().username, ids)
    target = safe_next(request.form.get("go"), "")  # read as a browser reads it: no line breaks into the header
    if target.startswith("/tasks/") or target.startswith("/cases/"):
        return redirect(target)
    return redirect(url_for("notifications.index"))


@bp.route("/tasks/<task_id>/urge", methods=["POST"])
@login_required
def urge(task_id: str):
    """Urge an open task (催办); its holder is notified. Refused (by the engine: one who may not urge it, as
    urges.urging_department says, a finished step, urged too often, the note), the case page again says why, in the
    step's urge form with the note typed, or above with the note to copy where the form is gone (cases.refused)."""
    task, case = _load_for_urge(task_id)
    note = request.form.get("note", "")
    try:
        with runtime().db.write() as session:
            times = urges.urge(session, actor(), task_id, note, per_hour=runtime().urges_per_hour)
    except EngineError as exc:
        return refused(case.business_key, f"urge-{task_id}", {"note": note}, exc,
                       shown=side_forms.shown(("urge-note", _("Note"), note)))
    flash(_("“%(task)s” of %(key)s was urged (%(times)s times so far).",
            task=localized.step_of(task, case.definition_id),
            key=case.business_key, times=times), "success")
    return redirect(url_for("cases.show", key=case.business_key))


def _load_for_urge(task_id: str):
    """The task and case, for anyone who may open the case (the engine says who may urge the step, and that a
    finished one needs no urging); the task page's access rule does not apply. An outsider: 404, as for no step."""
    from engine.models import Case
    with runtime().db.read() as session:
        task = session.get(Task, task_id)
        if task is None:
            abort(404)
        case = session.get(Case, task.case_id)
        if urges.urging_department(session, actor(), task) is None and not may_open(session, case, actor()):
            abort(404)  # an outsider learns nothing of the step
        return task, case


__all__ = ["bp", "words", "unread_count"]
