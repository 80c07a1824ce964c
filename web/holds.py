"""Legal holds on the case page: an auditor or administrator places one (with a reason) to keep a case from
being purged under the retention policy, and lifts it (with a reason)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import retention
from engine.errors import EngineError, PermissionDenied
from engine.models import Case, LegalHold

from .context import actor, runtime
from .i18n import refusal

bp = Blueprint("holds", __name__)


def may_hold() -> bool:
    return any(role in actor().roles for role in retention.HOLDERS)


def of_case(case: Case) -> list[LegalHold]:
    with runtime().db.read() as session:
        return retention.holds_of(session, case.id)


def _act(key: str, do, done: str):
    if not may_hold():
        abort(403)
    if not request.form.get("reason", "").strip():
        flash(_("A legal hold needs a reason; nothing was changed."), "error")
        return redirect(url_for("cases.show", key=key) + "#holds")
    try:
        with runtime().db.write() as session:
            do(session)
    except PermissionDenied:
        abort(403)
    except EngineError as exc:
        flash(refusal(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for("cases.show", key=key) + "#holds")


@bp.route("/cases/<key>/legal-holds", methods=["POST"])
@login_required
def place(key: str):
    """Place a legal hold on the case."""
    return _act(key, lambda session: retention.place(session, actor(), key, request.form.get("reason", "")),
                _("%(key)s is under a legal hold: it is not purged until the hold is lifted.", key=key))


@bp.route("/legal-holds/<int:hold_id>/lift", methods=["POST"])
@login_required
def lift(hold_id: int):
    """Lift a legal hold."""
    with runtime().db.read() as session:
        hold = session.get(LegalHold, hold_id)
        key = session.get(Case, hold.case_id).business_key if hold else None
    if key is None:
        abort(404)
    return _act(key, lambda session: retention.lift(session, actor(), hold_id, request.form.get("reason", "")),
                _("The legal hold on %(key)s was lifted.", key=key))
