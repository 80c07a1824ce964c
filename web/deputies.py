"""代理 in the pages: name a deputy for one's absence (or, as a supervisor, for a member), see and end the
deputyships that concern one."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine import deputies
from engine.errors import EngineError

from .context import actor, runtime
from .i18n import refusal

bp = Blueprint("deputies", __name__)


def _day(text: str, tz: ZoneInfo, end: bool) -> datetime:
    day = datetime.strptime(text, "%Y-%m-%d").date()
    return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=tz)


@bp.route("/deputies")
@login_required
def index():
    """The deputyships that concern one, and the form to name one: colleagues to choose from, by name."""
    username = actor().username
    with runtime().db.read() as session:
        rows = deputies.listed(session, username)
        colleagues = deputies.colleagues(session, username)
        absentees = deputies.absentees(session, username)
    return render_template("deputies.html", rows=rows, colleagues=colleagues, absentees=absentees)


@bp.route("/deputies", methods=["POST"])
@login_required
def create():
    """Name a deputy from one day to another (whole days, in the office's time zone)."""
    tz = ZoneInfo(runtime().calendar.tz_name)
    form = request.form
    try:
        starts, ends = _day(form.get("from", ""), tz, False), _day(form.get("until", ""), tz, True)
    except (ValueError, OverflowError):  # OverflowError: the day after 9999-12-31
        flash(_("Give the first and the last day as dates."), "error")
        return redirect(url_for("deputies.index"))
    try:
        with runtime().db.write() as session:
            deputies.name(session, actor(), form.get("principal", "").strip() or actor().username,
                          form.get("deputy", "").strip(), starts, ends, form.get("reason", ""))
    except EngineError as exc:
        flash(refusal(exc), "error")
    else:
        flash(_("The deputy was named."), "success")
    return redirect(url_for("deputies.index"))


@bp.route("/deputies/<int:deputy_id>/end", methods=["POST"])
@login_required
def end(deputy_id: int):
    try:
        with runtime().db.write() as session:
            deputies.revoke(session, actor(), deputy_id)
    except EngineError as exc:
        flash(refusal(exc), "error")
    else:
        flash(_("The deputyship has ended."), "success")
    return redirect(url_for("deputies.index"))
