"""Administration of departments' sub-units (the street offices of 街道办): each with the area it covers, so a
step such as the on-site check reaches the grid workers of the applicant's street. Changes are audited."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import directory
from engine.errors import InvalidInput

from .context import actor, require_role, runtime
from .i18n import codes_of, field_errors, problems

bp = Blueprint("units", __name__)
LABELS = {"code": "Code", "name_zh": "Chinese name", "parent": "Department", "covers": "Area"}


@bp.route("/admin/units", methods=["POST"])
@login_required
def save():
    """Add or change a unit: code, names, its department, its district and the places it covers (one per line)."""
    require_role("admin")
    form = {k: request.form.get(k, "").strip() for k in ("code", "name_zh", "name_en", "parent", "district")}
    covers = request.form.get("covers", "").replace("，", "\n").replace(",", "\n").splitlines()
    try:
        with runtime().db.write() as session:
            unit = directory.add_unit(session, actor(), form["code"], form["name_zh"], form["name_en"], form["parent"],
                                      form["district"], covers)
        runtime().forget_departments()
    except InvalidInput as exc:
        detail = problems(field_errors(exc), label=lambda k: _(LABELS.get(k, k)), codes=codes_of(exc))
        flash(_("The unit was not saved: %(detail)s", detail=detail), "error")
    else:
        flash(_("Unit %(code)s (%(name)s) saved.", code=unit.code, name=unit.name), "success")
    return redirect(url_for("admin.index") + "#departments")
