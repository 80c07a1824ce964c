"""督办 in the pages: the overseeing office opens a supervision item on an overdue case (reason, deadline in
working days), sees the open items and closes them with a note; the case page shows them to everyone."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import supervision
from engine.errors import EngineError, PermissionDenied

from .context import actor, overseers, runtime, safe_next
from .i18n import refusal

bp = Blueprint("supervision", __name__)


def is_overseer() -> bool:
    """For the top bar: whether the user opens and closes supervision items."""
    return current_user.is_authenticated and supervision.may_supervise(actor(), overseers())


@bp.route("/supervision")
@login_required
def index():
    if not supervision.may_supervise(actor(), overseers()):
        abort(403)
    with runtime().db.read() as session:
        rows = supervision.open_items(session)
    return render_template("supervision.html", rows=rows)


@bp.route("/cases/<key>/supervision", methods=["POST"])
@login_required
def open_item(key: str):
    try:
        days = int(request.form.get("days", "0") or 0)
    except ValueError:
        days = 0
    try:
        with runtime().db.write() as session:
            supervision.open_item(session, actor(), overseers(), runtime().calendar, key, request.form.get("reason", ""),
                                  days)
    except PermissionDenied:
        abort(403)
    except EngineError as exc:
        flash(refusal(exc), "error")
    else:
        flash(_("%(key)s is under supervision (督办).", key=key), "success")
    return redirect(url_for("cases.show", key=key))


@bp.route("/supervision/<int:item_id>/close", methods=["POST"])
@login_required
def close(item_id: int):
    try:
        with runtime().db.write() as session:
            supervision.close_item(session, actor(), overseers(), item_id, request.form.get("note", ""))
    except PermissionDenied:
        abort(403)
    except EngineError as exc:
        flash(refusal(exc), "error")
    else:
        flash(_("The supervision item was closed."), "success")
    back = safe_next(request.form.get("back"), "")  # read as a browser reads it: no line breaks into the header
    return redirect(back if back.startswith("/cases/") else url_for("supervision.index"))
