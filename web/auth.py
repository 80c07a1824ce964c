"""Login and logout (hashed passwords, throttling after repeated failures), the language switch."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select, update

from engine.errors import NotFound
from engine.models import User
from engine.passwords import verify_password
from engine.routing import Actor, load_actor

from .context import runtime, safe_next
from .i18n import LANGUAGES

bp = Blueprint("auth", __name__)


@dataclass
class WebUser(UserMixin):
    """A logged-in user: the engine actor plus what the pages show."""

    actor: Actor
    language: str | None

    def get_id(self) -> str:
        return self.actor.username

    @property
    def display_name(self) -> str:
        return self.actor.display_name or self.actor.username


def init_login(login: LoginManager) -> None:
    """Wire Flask-Login: users are loaded from the engine's tables on every request."""
    login.login_view = "auth.login"
    login.login_message = None

    @login.user_loader
    def load(username: str) -> WebUser | None:
        with runtime().db.read() as session_:
            try:
                actor = load_actor(session_, username)
            except NotFound:
                return None
            language = session_.execute(select(User.language).where(User.username == username)).scalar()
        return WebUser(actor, language)


class Throttle:
    """Failed logins per user name and address; after too many, refuse for a while (per process)."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def locked_for(self, key: tuple[str, str], limit: int, window: float) -> float:
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if t > time.time() - window]
            self._failures[key] = recent
            return max(0.0, recent[0] + window - time.time()) if len(recent) >= limit else 0.0

    def fail(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(time.time())

    def clear(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def _throttle() -> Throttle:
    return current_app.extensions.setdefault("jointreview_throttle", Throttle())


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login page; a wrong password and an unknown user get the same answer."""
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "").strip()
    key = (username.lower(), request.remote_addr or "")
    wait = _throttle().locked_for(key, current_app.config["LOGIN_ATTEMPTS"], current_app.config["LOGIN_LOCK_SECONDS"])
    if wait:
        flash(_("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=int(wait // 60) + 1), "error")
        return render_template("login.html", username=username), 429
    with runtime().db.read() as session_:
        user = session_.execute(select(User).where(User.username == username, User.active.is_(True))).scalar_one_or_none()
        ok = user is not None and verify_password(user.password_hash, request.form.get("password", ""))
        web_user = WebUser(load_actor(session_, username), user.language) if ok else None
    if not ok:
        _throttle().fail(key)
        flash(_("Wrong user name or password."), "error")
        return render_template("login.html", username=username), 401
    _throttle().clear(key)
    session.clear()
    login_user(web_user)
    return redirect(safe_next(request.args.get("next"), url_for("inbox.index")))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session (the login page keeps the user's language)."""
    language = current_user.language or session.get("language")
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
                session_.execute(update(User).where(User.username == current_user.get_id()).values(language=choice))
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index")))
