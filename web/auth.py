"""Login and logout (hashed passwords, throttling shared by every process), the language switch."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select, update

from engine import logins
from engine.errors import NotFound
from engine.models import User
from engine.routing import Actor, load_actor

from .context import runtime, safe_next
from .i18n import LANGUAGES

bp = Blueprint("auth", __name__)


@dataclass
class WebUser(UserMixin):
    """A logged-in user: the engine actor plus what the pages show."""

    actor: Actor
    language: str | None
    version: int = 0

    def get_id(self) -> str:
        """The session remembers the user's session version: a newer one ends this session."""
        return f"{self.actor.username}|{self.version}"

    @property
    def username(self) -> str:
        return self.actor.username

    @property
    def display_name(self) -> str:
        return self.actor.display_name or self.actor.username


def init_login(login: LoginManager) -> None:
    """Wire Flask-Login: users are loaded from the engine's tables on every request."""
    login.login_view = "auth.login"
    login.login_message = None

    @login.user_loader
    def load(user_id: str) -> WebUser | None:
        username, _, version = user_id.rpartition("|")
        with runtime().db.read() as session_:
            if not version.isdigit() or logins.session_version(session_, username) != int(version):
                return None
            try:
                actor = load_actor(session_, username)
            except NotFound:
                return None
            language = session_.execute(select(User.language).where(User.username == username)).scalar()
        return WebUser(actor, language, int(version))


def login_policy() -> logins.LoginPolicy:
    config = current_app.config
    return logins.LoginPolicy(config["LOGIN_ATTEMPTS"], config["LOGIN_ADDRESS_ATTEMPTS"],
                              timedelta(seconds=config["LOGIN_LOCK_SECONDS"]))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login page; a wrong password and an unknown user get the same answer."""
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "").strip()
    shown = username[:logins.MAX_USERNAME]
    password, address = request.form.get("password", ""), request.remote_addr or ""
    try:
        with runtime().db.write() as session_:  # counted before the password is checked (logins.begin)
            attempt = logins.begin(session_, username, password, address)
        with runtime().db.read() as session_:
            user, account_key, _address_key = logins.check(session_, username, password, address, login_policy(),
                                                           attempt=attempt)
            web_user = WebUser(load_actor(session_, user.username), user.language, user.session_version) if user else None
    except logins.LoginRefused as exc:
        if exc.code == "throttled":
            with runtime().db.write() as session_:
                logins.withdraw(session_, attempt)
            flash(_("Too many failed attempts. Try again in %(minutes)d minutes.",
                    minutes=int(exc.wait_seconds // 60) + 1), "error")
            return render_template("login.html", username=shown), 429
        flash(_("Wrong user name or password."), "error")
        return render_template("login.html", username=shown), 401
    if web_user is not None:  # a failed attempt stays recorded as it was begun
        with runtime().db.write() as session_:
            logins.succeed(session_, account_key)
    if web_user is None:
        flash(_("Wrong user name or password."), "error")
        return render_template("login.html", username=shown), 401
    session.clear()
    login_user(web_user)
    return redirect(safe_next(request.args.get("next"), url_for("inbox.index")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session (the login page keeps the user's language)."""
    language = current_user.language or session.get("language")
    with runtime().db.write() as session_:
        logins.end_sessions(session_, current_user.username)
    logout_user()
    session.clear()
    if language:
        session["language"] = language
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    """Switch the interface language; remembered for the user when logged in."""
    choice = request.form.get("language", "")
    if choice in LANGUAGES:
        session["language"] = choice
        if current_user.is_authenticated:
            with runtime().db.write() as session_:
                session_.execute(update(User).where(User.username == current_user.username).values(language=choice))
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index")))
