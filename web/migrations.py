"""Migrating running cases to a newer version of their process, for designers: the dry run per case (can it move,
why not), a mapping of renamed steps, and the bulk move (audited per case; engine/migration.py)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import migration
from engine.errors import EngineError

from .context import actor, require_role, runtime
from .i18n import coded_text, error_text

bp = Blueprint("migrations", __name__)


def _mapping() -> tuple[str, dict[str, str]]:
    text = (request.values.get("map") or "").strip()[:2000]
    return text, migration.parse_mapping(text.replace("\r", "").replace("\n", ",").split(","))


@bp.route("/designer/migrate/<process_key>")
@login_required
def plan(process_key: str):
    """The dry run: each running case on another version, whether it can move to the newest and why not."""
    require_role("designer", "admin")
    try:
        text, mapping = _mapping()
        with runtime().db.read() as session:
            target, checks = migration.plan(session, runtime(), process_key, mapping)
    except EngineError as exc:
        flash(_("The migration cannot be planned: %(reason)s", reason=error_text(exc)), "error")
        return redirect(url_for("designer.index"))
    reasons = {c.business_key: [coded_text(code, params) for code, params in c.codes] for c in checks}
    return render_template("migrate.html", process_key=process_key, target=target, checks=checks, map_text=text,
                           movable=sum(c.movable for c in checks), reasons=reasons)


@bp.route("/designer/migrate/<process_key>", methods=["POST"])
@login_required
def move(process_key: str):
    """Move every case that can move (each in its own transaction, each recorded)."""
    require_role("designer", "admin")
    text = (request.form.get("map") or "").strip()
    if request.form.get("confirm") != "1":
        flash(_("Tick the confirmation to move the cases."), "error")
        return redirect(url_for("migrations.plan", process_key=process_key, map=text))
    try:
        mapping = _mapping()[1]
        moved = migration.migrate(runtime(), actor(), process_key, mapping)
    except EngineError as exc:
        flash(_("Nothing was moved: %(reason)s", reason=error_text(exc)), "error")
        return redirect(url_for("migrations.plan", process_key=process_key, map=text))
    done = sum(m.moved for m in moved)
    flash(_("%(done)s of %(total)s cases moved to the newest version.", done=done, total=len(moved)),
          "success" if done == len(moved) else "info")
    return redirect(url_for("migrations.plan", process_key=process_key, map=text))
