"""加签 / 减签 on the task page: the holder adds a signer before or after themselves, the signer signs
(agree or disagree, with an opinion), a supervisor or the one who added them removes a pending signer."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import signers
from engine.errors import EngineError, InvalidInput
from engine.glossary import Glossary
from engine.models import Task, TaskSigner

from . import localized, side_forms
from .context import actor, runtime
from .tasks import form_and_data, refused
from .i18n import refusal
from .names import person
from .privacy import is_files, shown_with_form

bp = Blueprint("signers", __name__)


def panel(task: Task, colleagues: list[tuple[str, str]], terms=None) -> dict:
    """What the task page shows about added signers, for the current user (`colleagues`: those the holder
    may hand the step to, as the page lists them for 转办; the holder is no signer; `terms`: the step's glossary,
    which names the documents kept with the answer)."""
    me = actor()
    with runtime().db.read() as session:
        rows = signers.listed(session, task.id)
        now_signing = signers.current(session, task)
    holder = task.assignee or me.username
    candidates = [(name, shown) for name, shown in colleagues if name != holder]
    listed = [dict(id=r.id, username=r.username, position=r.position, reason=r.reason, state=r.state,
                   decision=r.decision, opinion=r.opinion, removed_reason=r.removed_reason,
                   removable=signers.may_remove(me, task, r))
              for r in rows]
    refused = next((r for r in rows if task.state == "open" and r.position == "after" and r.state == "pending"
                    and r.decision == "disagree"), None)
    mine = now_signing if now_signing is not None and me.holds(now_signing.username) else None
    answer = None
    if mine is not None:  # after: the answer submitted for signature; before: the holder's draft, if any
        answer = json.loads(mine.answer) if mine.position == "after" and mine.answer else signers.draft_values(task)
    kept = tuple(k for k, v in (answer or {}).items() if is_files(v))  # the documents kept with it, as links
    files = shown_with_form(answer, me, terms or Glossary(), kept) if kept else []
    answer = {k: v for k, v in answer.items() if k not in kept} if answer else answer
    return dict(signers=listed, signer_candidates=candidates, signing=mine, signing_answer=answer, signing_files=files,
                refused=dict(by=refused.username, opinion=refused.opinion) if refused else None)


def _back(task_id: str):
    return redirect(url_for("tasks.show", task_id=task_id) + "#signers")


@bp.route("/tasks/<task_id>/signers", methods=["POST"])
@login_required
def add(task_id: str):
    """Add a signer before or after oneself (加签), with a reason; refused, the task page again with what was typed
    in the panel and in the step's form (which its button sends)."""
    task, case = side_forms.task_of(task_id)  # one who may not act on it: again(), below
    to_user, position = request.form.get("signer-to", ""), request.form.get("signer-position", "")
    reason = request.form.get("signer-reason", "")
    values, rows = side_forms.step_typed(task, case)
    typed = {"to": to_user, "position": position, "reason": reason}
    rows = rows + side_forms.shown(("signer-to", _("Signer"), person(to_user) if to_user else ""),
                                   ("signer-position", _("Order"), {"before": _("before me"),
                                                                    "after": _("after me")}.get(position, "")),
                                   ("signer-reason", _("Reason"), reason))

    def again(exc=None, said=None):
        return side_forms.again(task_id, "signers", typed, rows, exc, said, main=values)

    if not actor().may_work_on(task.department_code, task.role):
        return again()
    if not reason.strip():
        return again(said=_("An added signer needs a reason; nothing was changed."))
    try:
        with runtime().db.write() as session:
            signers.add(session, runtime(), actor(), task_id, to_user, position, reason, values)
    except InvalidInput as exc:
        fields, data = form_and_data(task, case)
        if values is None or not any(f.id in exc.fields for f in fields):
            return again(exc)
        side = side_forms.Side("signers", typed, refusal(exc), rows)  # what is wrong in the form stands beside it
        return refused(task, case, fields, data, values, exc, ("to_user", "position", "reason"), side)
    except EngineError as exc:
        return again(exc)
    named = localized.step_of(task, case.definition_id)  # the step in the reader's language
    if position == "before":
        flash(_("“%(task)s” went to %(user)s to sign first; it comes back to you.", task=named, user=person(to_user)),
              "success")
        return redirect(url_for("inbox.inbox", view="mine"))
    flash(_("%(user)s will sign “%(task)s” after you submit it.", task=named, user=person(to_user)), "success")
    return _back(task_id)


@bp.route("/tasks/<task_id>/sign", methods=["POST"])
@login_required
def sign(task_id: str):
    """The signer who has the step signs it; refused, the task page again with the choice and the opinion typed in
    the signing form, or read-only to copy where they are no longer asked to sign (web/side_forms.py)."""
    task, case = side_forms.task_of(task_id)
    decision, opinion = request.form.get("decision", ""), request.form.get("opinion", "")
    rows = side_forms.shown(("sign-decision", _("Decision"), {"agree": _("Agree (同意)"),
                                                              "disagree": _("Disagree (不同意)")}.get(decision, "")),
                            ("sign-opinion", _("Opinion"), opinion))

    def again(exc=None, said=None):
        return side_forms.kept(task_id, "sign", {"decision": decision, "opinion": opinion}, rows, exc, said)

    if decision == "disagree" and not opinion.strip():
        return again(said=_("A disagreement needs an opinion; nothing was changed."))
    try:
        with runtime().db.write() as session:
            outcome = signers.sign(session, runtime(), actor(), task_id, decision, opinion)
    except EngineError as exc:
        return again(exc)
    named = localized.step_of(task, case.definition_id)  # the step in the reader's language
    if outcome.opened or outcome.status != "running" or "task_completed" in outcome.events:
        flash(_("You signed “%(task)s” of %(key)s; the step is done.", task=named, key=case.business_key), "success")
    elif decision == "agree":
        flash(_("You signed “%(task)s” of %(key)s.", task=named, key=case.business_key), "success")
    else:
        flash(_("“%(task)s” of %(key)s went back with your opinion.", task=named, key=case.business_key), "success")
    return redirect(url_for("inbox.inbox", view="mine"))


@bp.route("/signers/<int:signer_id>/remove", methods=["POST"])
@login_required
def remove(signer_id: int):
    """减签: remove a pending signer, with a reason; refused, the task page again with the reason in the signer's
    row, or read-only to copy where the row can no longer be removed (signed, removed meanwhile)."""
    with runtime().db.read() as session:
        row = session.get(TaskSigner, signer_id)
        if row is None:
            abort(404)
        task_id = row.task_id
    side_forms.task_of(task_id)  # one who may not see the step learns nothing of its signers
    reason, form = request.form.get("reason", ""), f"signer-remove-{signer_id}"

    def again(exc=None, said=None):
        return side_forms.kept(task_id, form, {"reason": reason},
                               side_forms.shown((form, _("Reason"), reason)), exc, said)

    if not reason.strip():
        return again(said=_("Removing a signer needs a reason; nothing was changed."))
    try:
        with runtime().db.write() as session:
            signers.remove(session, runtime(), actor(), signer_id, reason)
    except EngineError as exc:
        return again(exc)
    flash(_("The signer was removed."), "success")
    return _back(task_id)
