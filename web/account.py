"""A user's own account: changing the password (the current one checked through the login throttle; every
other session of theirs ends, this one goes on)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from engine import accounts, logins
from engine.errors import InvalidInput

from .auth import WebUser, login_policy
from .context import actor, runtime
from .i18n import field_errors

bp = Blueprint("account", __name__)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    if request.method == "GET":
        return render_template("account_password.html", errors={})
    username = current_user.username
    new, again = request.form.get("new_password", ""), request.form.get("new_password_again", "")
    errors: dict[str, str] = {}
    current, address = request.form.get("current_password", ""), request.remote_addr or ""
    try:
        with runtime().db.write() as session:  # counted before the password is checked (logins.begin)
            attempt = logins.begin(session, username, current, address)
        with runtime().db.read() as session:
            user, account_key, _address_key = logins.check(session, username, current, address, login_policy(),
                                                           attempt=attempt)
    except logins.LoginRefused as exc:
        if exc.code == "throttled":
            with runtime().db.write() as session:
                logins.withdraw(session, attempt)
            flash(_("Too many failed attempts. Try again in %(minutes)d minutes.",
                    minutes=int(exc.wait_seconds // 60) + 1), "error")
            return render_template("account_password.html", errors={}), 429
        user = None
    if user is None:  # the attempt stays recorded as a failure
        errors["current_password"] = _("This is not your current password.")
    else:  # the right password is no failure, whatever else the form lacks
        with runtime().db.write() as session:
            logins.withdraw(session, attempt)
    if new != again:
        errors["new_password_again"] = _("The two new passwords are not the same.")
    if errors:
        return render_template("account_password.html", errors=errors), 400
    try:
        with runtime().db.write() as session:
            version = accounts.change_own_password(session, actor(), new)
            logins.succeed(session, account_key)
    except InvalidInput as exc:
        return render_template("account_password.html", errors={"new_password": field_errors(exc)["password"]}), 400
    login_user(WebUser(current_user.actor, current_user.language, version))  # this session stays, the others end
    flash(_("Your password was changed. Your sessions on other devices have ended."), "success")
    return redirect(url_for("inbox.index"))
