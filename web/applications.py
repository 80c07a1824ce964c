"""Window intake in the browser: a department's staff start an application (admission, subsidy) or a
formal inquiry; the case then runs through the departments."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import cases
from engine.errors import InvalidInput
from workflows import counter
from workflows.checks import MATERIALS
from workflows.intake import ENGLISH_MATERIALS, INTAKES, Intake, available, checked, for_sender, in_english

from . import localized
from .context import actor, runtime
from .i18n import field_errors

bp = Blueprint("applications", __name__)


@bp.route("/applications/new")
@login_required
def choose():
    """The applications this user's departments take."""
    return render_template("applications.html", intakes=[_shown(i) for i in available(actor().departments)])


def _shown(intake: Intake) -> Intake:
    """The form as the reader reads it (English names in English)."""
    return in_english(intake) if localized.english() else intake


def _materials() -> dict[str, str]:
    return {code: ENGLISH_MATERIALS.get(code, name) for code, name in MATERIALS.items()} if localized.english() else MATERIALS


@bp.route("/applications/new/<process>", methods=["GET", "POST"])
@login_required
def new(process: str):
    """The application form; on success the case starts and its first steps go to the departments."""
    intake = INTAKES.get(process)
    if intake is None:
        abort(404)
    departments = [d for d in intake.departments if d in actor().departments]
    if not departments:
        abort(403)
    offered = for_sender(_shown(intake), departments[0])  # not their own department to ask
    if request.method == "GET":
        return render_template("application_form.html", intake=offered, values={}, errors={},
                               materials=_materials(), chosen=[])  # nothing is ticked until the clerk has the paper in hand
    submitted = {f.id: request.form.get(f.id, "") for f in intake.fields}
    chosen = request.form.getlist("materials")
    try:
        with runtime().db.write() as session:  # refusals name options as shown; an inquiry's case must exist
            data = checked(session, runtime(), _shown(intake), submitted, chosen, departments[0])
            outcome = cases.start(session, runtime(), actor(), process, data)
            drafting = _claim_own_first_step(session, outcome) if intake.sent else None
    except InvalidInput as exc:
        return render_template("application_form.html", intake=offered, values=submitted,
                               errors=field_errors(exc, form=offered.fields), materials=_materials(), chosen=chosen), 422
    if "clock_stopped" in outcome.events:  # the case waits on the applicant: items are missing
        flash(_("%(key)s: the papers were received, but items are missing: give the applicant the notice of missing "
                "items.", key=outcome.business_key), "info")
    elif intake.sent and drafting:  # nothing has gone out yet: the sender writes it first
        flash(_("%(key)s is created and not sent yet: write the letter here; it goes out when you click “Submit and "
                "send”.", key=outcome.business_key), "success")
        return redirect(url_for("tasks.show", task_id=drafting))
    elif intake.sent:
        flash(_("%(key)s sent.", key=outcome.business_key), "success")
    else:
        flash(_("%(key)s started.", key=outcome.business_key), "success")
    if counter.served(process):  # the applicant leaves the window with a receipt (and the notice, if items are missing)
        return redirect(url_for("counter.receipt", key=outcome.business_key))
    return redirect(url_for("cases.show", key=outcome.business_key))


def _claim_own_first_step(session, outcome) -> str | None:
    """Whoever starts an inquiry drafts it: its first step in their own department opens claimed for them (in the
    same transaction as the start, so no colleague takes it in between)."""
    me = actor()
    for row in outcome.opened:
        if me.may_work_on(row["department_code"], row["role"]):
            cases.claim(session, runtime(), me, row["id"])
            return row["id"]
    return None
