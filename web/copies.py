"""抄送 in the pages: the "抄送我的" list, and the holder of a task copying the case to people or
departments for information."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from engine import copies, directory
from engine.errors import EngineError

from . import side_forms
from .context import actor, runtime
from .i18n import department_name
from .names import person, separator

bp = Blueprint("copies", __name__)


@bp.app_context_processor
def choices() -> dict:
    """The departments a case can be copied to, by name (read only where a page lists them)."""
    def departments() -> list[tuple[str, str]]:
        with runtime().db.read() as session:
            codes = directory.codes(session)  # in the order of every department picker
        return [(code, department_name(code)) for code in codes]
    return {"cc_departments": departments}


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
    task, case = side_forms.task_of(task_id)  # one who may not act on it: again(), below
    targets = [t for chosen in request.form.getlist("to") for t in re.split(r"[\s,，、;；]+", chosen) if t]
    typed = {"to": targets, "note": request.form.get("note", "")}

    def again(exc=None):
        names = dict(choices()["cc_departments"]())
        return side_forms.again(task_id, "cc", typed, side_forms.shown(
            ("cc-to", _("Departments or people (choose one or more)"),
             separator().join(names.get(t) or person(t) for t in targets)),
            ("cc-note", _("Note (optional)"), typed["note"])), exc)

    if not actor().may_work_on(task.department_code, task.role):
        return again()
    try:
        with runtime().db.write() as session:
            count = copies.add(session, actor(), task_id, targets, typed["note"])
    except EngineError as exc:
        return again(exc)
    flash(_("%(key)s was copied to %(n)s people.", key=case.business_key, n=count), "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#cc")
