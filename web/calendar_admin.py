"""The official calendar for administrators: which years are confirmed, the exceptions of a year, warnings when
open due dates fall in a year that is only guessed, and importing a year's notice (engine/calendar_notices.py)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required

from engine import calendar_days, calendar_notices, wallclock
from engine.errors import EngineError

from .context import actor, require_role, runtime
from .i18n import error_text, refusal

bp = Blueprint("calendar", __name__)
MAX_NOTICE = 256 * 1024
# a year amended here from the holidays package's or the local file's days names them as its source
SOURCES = {calendar_days.PACKAGE: _l("the official data of the holidays package, amended here"),
           calendar_days.OVERRIDE: _l("the local calendar file, amended here")}


def gaps() -> list[calendar_notices.Gap]:
    """Unconfirmed years that matter now (for the administrators' warnings)."""
    rt = runtime()
    with rt.db.read() as session:
        rt.refresh_calendar(session)
        return calendar_notices.gaps(session, rt.calendar, wallclock.now())


@bp.route("/admin/calendar")
@login_required
def index():
    """The years around this one with how each is known, and one year's days off and make-up working days."""
    require_role("admin")
    rt = runtime()
    this_year = wallclock.now().astimezone(rt.calendar.tz).year
    found = gaps()
    try:
        year = int(request.args.get("year") or (found[0].year if found else this_year))
    except ValueError:
        year = this_year
    if year not in rt.calendar.notices:  # a year with days entered or imported is shown however far it lies
        year = min(max(year, this_year - 5), this_year + 5)
    years = [(y, rt.calendar.confirmation(y)) for y in range(this_year - 1, this_year + 2)]
    notice = rt.calendar.notices.get(year)
    return render_template("calendar.html", years=years, year=year, calendar_gaps=found, how=rt.calendar.confirmation(year),
                           notice=notice, exceptions=calendar_notices.exceptions(rt.calendar, year),
                           sources=SOURCES, notices=rt.calendar.notices)


@bp.route("/admin/calendar", methods=["POST"])
@login_required
def upload():
    """Import a year's notice (TOML or JSON); the open due dates that count working days move with it."""
    require_role("admin")
    sent = request.files.get("notice")
    if sent is None or not sent.filename:
        flash(_("Choose the notice file (TOML or JSON) to import."), "error")
        return redirect(url_for("calendar.index"))
    content = sent.stream.read(MAX_NOTICE + 1)
    if len(content) > MAX_NOTICE:
        flash(_("%(file)s is larger than a notice can be (256 KB).", file=sent.filename), "error")
        return redirect(url_for("calendar.index"))
    try:
        notice = calendar_notices.parse(sent.filename, content)
        done = calendar_notices.import_notice(runtime(), actor(), notice)
    except EngineError as exc:
        flash(_("The notice was not imported: %(reason)s", reason=error_text(exc)), "error")
        return redirect(url_for("calendar.index"))
    flash(_("The notice for %(year)s is in force: %(moved)s due dates moved in %(cases)s running cases.",
            year=done.year, moved=done.moved, cases=done.cases), "success")
    return redirect(url_for("calendar.index", year=done.year))


@bp.route("/admin/calendar/days", methods=["POST"])
@login_required
def add_day():
    """Add one day off or one make-up working day (调休上班); the open due dates move with it."""
    require_role("admin")
    form = request.form
    try:
        done = calendar_days.add(runtime(), actor(), form.get("day", ""), form.get("kind", ""), form.get("name", ""))
    except EngineError as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("calendar.index", year=_year(form.get("day", ""))) + "#days")
    flash(_("%(day)s is now a day off.", day=done.day.isoformat()) if form.get("kind") == "holiday"
          else _("%(day)s is now a make-up working day.", day=done.day.isoformat()), "success")
    _moved(done)
    return redirect(url_for("calendar.index", year=done.day.year) + "#exceptions")


@bp.route("/admin/calendar/days/remove", methods=["POST"])
@login_required
def remove_day():
    """Make a day off or a make-up working day an ordinary day again."""
    require_role("admin")
    try:
        done = calendar_days.remove(runtime(), actor(), request.form.get("day", ""))
    except EngineError as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("calendar.index", year=_year(request.form.get("day", ""))) + "#exceptions")
    flash(_("%(day)s is an ordinary day again.", day=done.day.isoformat()), "success")
    _moved(done)
    return redirect(url_for("calendar.index", year=done.day.year) + "#exceptions")


@bp.route("/admin/calendar/<int:year>/source", methods=["POST"])
@login_required
def name_notice(year: int):
    """Name the notice whose days were entered here one by one: the year is then confirmed."""
    require_role("admin")
    try:
        done = calendar_days.name_notice(runtime(), actor(), year, request.form.get("source", ""))
    except EngineError as exc:
        flash(refusal(exc), "error")
    else:
        flash(_("The holidays of %(year)s are confirmed.", year=year), "success")
        _moved(done)
    return redirect(url_for("calendar.index", year=year))


def _moved(done: calendar_days.Changed) -> None:
    if done.moved:
        flash(_("%(moved)s due dates moved in %(cases)s running cases.", moved=done.moved, cases=done.cases), "success")


def _year(text: str) -> int | None:
    """The year of a date typed, to show that year's page again (None: this year's)."""
    head = (text or "").strip()[:4]
    return int(head) if head.isascii() and head.isdigit() else None  # ² is a digit int() refuses
