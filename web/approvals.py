"""Approval actions of Chinese offices on the task page: 退回 (send back to an earlier step, with a reason)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import sendback
from engine.errors import EngineError

from .context import actor, runtime
from .tasks import _load

bp = Blueprint("approvals", __name__)


def send_back_options(task) -> list[sendback.Target]:
    """The earlier steps the current user may send this task back to (none when they cannot act on it)."""
    me = actor()
    if task.state != "open" or not me.may_work_on(task.department_code, task.role) or task.assignee not in (None, me.username):
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
    task, case = _load(task_id)
    if not actor().may_work_on(task.department_code, task.role):
        abort(403)
    reason = request.form.get("reason", "").strip()
    if not request.form.get("confirm"):
        flash(_("Tick the box to confirm the send-back; nothing was changed."), "error")
    elif not reason:
        flash(_("A send-back needs a reason; nothing was changed."), "error")
    else:
        try:
            with runtime().db.write() as session:
                outcome = sendback.send_back(session, runtime(), actor(), task_id, request.form.get("target", ""), reason)
        except EngineError as exc:
            flash(exc.message, "error")
        else:
            steps = "、".join(row["name"] for row in outcome.opened)
            flash(_("%(key)s was sent back to %(steps)s.", key=case.business_key, steps=steps or "—"), "success")
            return redirect(url_for("inbox.inbox"))
    return redirect(url_for("tasks.show", task_id=task_id) + "#send-back")
