"""The public notice board (公示): anyone, without logging in, reads the subsidies under notice (names masked)
and objects to one by its notice number; the objection goes to the case, limited per address."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import ratelimit
from engine.errors import InvalidInput, NotFound
from workflows import notice

from .context import runtime

bp = Blueprint("notices", __name__)
OBJECTIONS_PER_MINUTE = 5  # per address


@bp.route("/notices")
def board():
    with runtime().db.read() as session:
        return render_template("notices.html", notices=notice.listed(session), errors={}, form={})


@bp.route("/notices/<notice_id>/objection", methods=["POST"])
def objection(notice_id: str):
    form = {k: request.form.get(k, "") for k in ("reason", "objector_name", "objector_phone")}
    with runtime().db.write() as session:
        allowed, wait = ratelimit.take(session, f"objection:{request.remote_addr or ''}", OBJECTIONS_PER_MINUTE)
    if not allowed:  # every attempt counts, a refused one too (probing notice numbers is what the limit stops)
        flash(_("Too many objections from this address. Try again in %(seconds)d seconds.", seconds=int(wait) + 1), "error")
        with runtime().db.read() as session:
            listed = notice.listed(session)
        return (render_template("notices.html", notices=listed, errors={}, form=form, open_id=notice_id), 429,
                {"Retry-After": str(int(wait) + 1)})
    try:
        with runtime().db.write() as session:
            notice.object_to(session, runtime(), notice_id, form["reason"], form["objector_name"],
                             form["objector_phone"])
    except InvalidInput as exc:
        with runtime().db.read() as session:
            listed = notice.listed(session)
        errors = {field: _(message) for field, message in exc.fields.items()}
        return render_template("notices.html", notices=listed, errors=errors, form=form, open_id=notice_id), 400
    except NotFound:
        flash(_("This subsidy is no longer under public notice."), "error")
        return redirect(url_for("notices.board"))
    flash(_("Your objection is recorded; the subsidy will be checked again."), "success")
    return redirect(url_for("notices.board"))
