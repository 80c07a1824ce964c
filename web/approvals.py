"""Approval actions of Chinese offices: 退回 (send back to an earlier step, with a reason), 撤回 (take back a
step one completed while the next step is unclaimed), 转办 (hand a task to a colleague), 委派 (a colleague prepares
the answer; the holder confirms it or sends it back to redo, 退回重办) and 撤回申请 recorded at the window."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import delegation, holding, sendback, transfers, withdrawal
from engine.errors import EngineError

from engine.models import Task

from . import localized, side_forms
from .cases import may_open_key, refused
from .context import actor, runtime
from .names import person, separator

bp = Blueprint("approvals", __name__)


def send_back_options(task) -> list[sendback.Target]:
    """The earlier steps the current user may send this task back to (none when they cannot act on it)."""
    me = actor()
    if task.state != "open" or not me.may_work_on(task.department_code, task.role) or (task.assignee is not None and not me.holds(task.assignee)):
        return []
    try:
        with runtime().db.write() as session:
            return sendback.targets(session, runtime(), me, task.id)
    except EngineError:
        return []


@bp.route("/tasks/<task_id>/send-back", methods=["POST"])
@login_required
def send_back(task_id: str):
    """Send the task back to the chosen earlier step; the reason and a confirmation are required."""
    task, case = side_forms.task_of(task_id)  # one who may not act on it: again(), below
    typed = {k: request.form.get(k, "") for k in ("target", "reason", "confirm")}
    reason = typed["reason"].strip()

    def again(exc=None, said=None):
        with runtime().db.read() as session:
            target = session.get(Task, typed["target"]) if typed["target"] else None
        return side_forms.again(task_id, "send-back", typed, side_forms.shown(
            ("send-back-target", _("Back to which step"), target.name if target else ""),
            ("send-back-reason", _("Reason (shown to that step)"), typed["reason"])), exc, said)

    if not actor().may_work_on(task.department_code, task.role):
        return again()
    if not typed["confirm"]:
        return again(said=_("Tick the box to confirm the send-back; nothing was changed."))
    if not reason:
        return again(said=_("A send-back needs a reason; nothing was changed."))
    try:
        with runtime().db.write() as session:
            outcome = sendback.send_back(session, runtime(), actor(), task_id, typed["target"], reason)
    except EngineError as exc:
        return again(exc)
    steps = separator().join(row["name"] for row in outcome.opened)
    flash(_("%(key)s was sent back to %(steps)s.", key=case.business_key, steps=steps or "—"), "success")
    return redirect(url_for("inbox.inbox"))


def may_withdraw(task) -> bool:
    """Whether the current user may take this completed step back now."""
    if task.state != "completed" or task.completed_by != actor().username:
        return False
    with runtime().db.read() as session:
        return withdrawal.can_withdraw(session, runtime(), actor(), task.id)


@bp.route("/tasks/<task_id>/withdraw", methods=["POST"])
@login_required
def withdraw(task_id: str):
    """Take back a step one completed; it opens again, claimed by oneself, with what one sent filled in. Refused
    (another's step, still open, the step after it claimed meanwhile), the task page again saying why, by the
    engine's rule (withdrawal.withdraw), as the page's other forms are (web/side_forms.py)."""
    task, case = side_forms.task_of(task_id)
    try:
        with runtime().db.write() as session:
            outcome = withdrawal.withdraw(session, runtime(), actor(), task_id)
    except EngineError as exc:
        return side_forms.kept(task_id, "withdraw", {}, [], exc)
    named = localized.step_of(task, case.definition_id)  # the step in the reader's language
    flash(_("“%(task)s” of %(key)s was taken back; it is in your tasks again.", task=named, key=case.business_key),
          "success")
    reopened = next((row["id"] for row in outcome.opened if row["element_id"] == task.element_id), None)
    return redirect(url_for("tasks.show", task_id=reopened) if reopened else url_for("inbox.inbox", view="mine"))


@bp.route("/cases/<key>/withdraw-application", methods=["POST"])
@login_required
def withdraw_application(key: str):
    """At the window: record that the applicant withdraws the application (reason and confirmation required).
    Refused (unconfirmed, or by the engine: one of the case outside the owning department, a decided case, the
    reason), the case page again says why, in the form with the reason typed, or above with the reason to copy where
    the form is gone (cases.refused); to one who may not open the case, 404 as for no case."""
    if not may_open_key(key):
        abort(404)
    reason = request.form.get("reason", "")
    typed = ("withdraw-application", {"reason": reason})
    shown = side_forms.shown(("withdraw-reason", _("Reason given by the applicant"), reason))
    if not request.form.get("confirm"):
        return refused(key, *typed, said=_("Tick the box to confirm the withdrawal; nothing was changed."), shown=shown)
    try:
        with runtime().db.write() as session:
            withdrawal.withdraw_application(session, runtime(), actor(), key, reason, "window")
    except EngineError as exc:
        return refused(key, *typed, exc, shown=shown)
    flash(_("%(key)s was withdrawn at the applicant's request.", key=key), "success")
    return redirect(url_for("cases.show", key=key))


def transfer_options(task) -> list[tuple[str, str]]:
    """Colleagues the current user may hand this task to."""
    me = actor()
    if task.state != "open" or (task.assignee is not None and not me.holds(task.assignee)) or not me.may_work_on(task.department_code, task.role):
        return []
    with runtime().db.read() as session:
        return holding.colleagues(session, task, me.username)


def _hand_over(task_id: str, form: str, act, done: str, text: tuple[str, str]):
    """Hand the task to the colleague chosen in the form with `act`; on success say `done` (a message taking
    task, key and user) and go to one's tasks, else the task page again with the refusal and what was typed
    (`text`: the form's text input, by name and label)."""
    task, case = side_forms.task_of(task_id)  # one who may not act on it: again(), below
    to_user = request.form.get("to_user", "")
    typed = {"to_user": to_user, text[0]: request.form.get(text[0], "")}

    def again(exc=None):
        to = _("Transfer to") if form == "transfer" else _("Delegate to")
        return side_forms.again(task_id, form, typed, side_forms.shown(
            (f"{form}-to", to, person(to_user) if to_user else ""), (f"{form}-{text[0]}", text[1], typed[text[0]])), exc)

    if not actor().may_work_on(task.department_code, task.role):
        return again()
    try:
        with runtime().db.write() as session:
            act(session, to_user)
    except EngineError as exc:
        return again(exc)
    flash(done % {"task": task.name, "key": case.business_key, "user": person(to_user)}, "success")
    return redirect(url_for("inbox.inbox", view="mine"))


@bp.route("/tasks/<task_id>/transfer", methods=["POST"])
@login_required
def transfer(task_id: str):
    """Hand the task to a colleague (转办) with a reason."""
    return _hand_over(task_id, "transfer", lambda session, to_user: transfers.transfer(
        session, runtime(), actor(), task_id, to_user, request.form.get("reason", "")),
        _("“%(task)s” of %(key)s was transferred to %(user)s."), ("reason", _("Reason")))


@bp.route("/tasks/<task_id>/delegate", methods=["POST"])
@login_required
def delegate(task_id: str):
    """Let a colleague do the work (委派); it comes back to be confirmed."""
    return _hand_over(task_id, "delegate", lambda session, to_user: delegation.delegate(
        session, runtime(), actor(), task_id, to_user, request.form.get("note", "")),
        _("“%(task)s” of %(key)s was delegated to %(user)s; it comes back to you to confirm."),
        ("note", _("Note (optional)")))


@bp.route("/tasks/<task_id>/return-to-delegate", methods=["POST"])
@login_required
def return_to_delegate(task_id: str):
    """退回重办: the delegate's answer goes back to them to redo, with a reason (required)."""
    task, case = side_forms.task_of(task_id)  # one who may not act on it: again(), below
    typed = {"reason": request.form.get("reason", "")}

    def again(exc=None):
        return side_forms.again(task_id, "redo", typed, side_forms.shown(
            ("redo-reason", _("Reason (shown to them)"), typed["reason"])), exc)

    if not actor().may_work_on(task.department_code, task.role):
        return again()
    try:
        with runtime().db.write() as session:
            sent = delegation.send_back_to_delegate(session, actor(), task_id, typed["reason"])
    except EngineError as exc:
        return again(exc)
    named = localized.step_of(task, case.definition_id)  # the step in the reader's language
    flash(_("“%(task)s” of %(key)s went back to %(user)s to redo.", task=named, key=case.business_key,
            user=person(sent.assignee)), "success")
    return redirect(url_for("inbox.inbox", view="delegated"))
