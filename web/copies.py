"""抄送 in the pages: the "抄送我的" list, and the holder of a task copying the case to people or
departments for information."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import copies
from engine.errors import EngineError, PermissionDenied

from .context import actor, runtime
from .tasks import _load
from .i18n import error_text

bp = Blueprint("copies", __name__)


@bp.route("/cc")
@login_required
def index():
    """Cases copied to me, unread first."""
    with runtime().db.read() as session:
        rows = copies.mine(session, actor().username)
    return render_template("copies.html", rows=rows)


@bp.route("/tasks/<task_id>/cc", methods=["POST"])
@login_required
def add(task_id: str):
    """Copy the case to departments (codes) or people (user names), separated by commas or spaces."""
    task, case = _load(task_id)
    if not actor().may_work_on(task.department_code, task.role):
        abort(403)
    targets = [t for t in re.split(r"[\s,，、;；]+", request.form.get("to", "")) if t]
    try:
        with runtime().db.write() as session:
            count = copies.add(session, actor(), task_id, targets, request.form.get("note", ""))
    except PermissionDenied as exc:
        flash(error_text(exc), "error")
    except EngineError as exc:
        fields = getattr(exc, "fields", {}) or {}
        flash("；".join(f"{k}: {v}" for k, v in fields.items()) or error_text(exc), "error")
    else:
        flash(_("%(key)s was copied to %(n)s people.", key=case.business_key, n=count), "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#cc")
