"""The Flask adapter: the one place the web app is wired (create_app), on top of the engine runtime."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings, make_runtime

from . import (account, admin, api, applications, approvals, audit, auth, calendar_admin, cases, copies, dashboard, deputies,
               counter, designer, migrations, modeler,
               errors, health, holds, inbox, notices, notifications, saving, search, signers, step_files, supervision, tasks,
               team, units)
from . import localized, names, nul
from .context import RowId
from .i18n import LANGUAGES, compile_translations, department_name, provisional, role_label, role_name, say, select_locale, sla

csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment (or `test_config`), the engine runtime, blueprints."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RowId  # before any route: ids past 64 bits are 404s, not database errors
    app.config.update(
        SECRET_KEY=os.environ.get("JOINTREVIEW_SECRET_KEY") or _instance_secret(app),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("JOINTREVIEW_SECURE_COOKIES", "0") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=4 * 1024 * 1024 + 64 * 1024,  # the API takes deploys of up to 4 MB
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        DATABASE_URL=None,
        LOGIN_ATTEMPTS=5,
        LOGIN_ADDRESS_ATTEMPTS=int(os.environ.get("JOINTREVIEW_LOGIN_ADDRESS_ATTEMPTS", "50")),
        LOGIN_LOCK_SECONDS=300,
        API_RATE_LIMIT=int(os.environ.get("JOINTREVIEW_API_RATE_LIMIT", "600")),
    )
    if test_config:
        app.config.update(test_config)
    proxies = int(os.environ.get("JOINTREVIEW_PROXY_COUNT", "0") or 0)
    if proxies > 0:  # behind that many reverse proxies: trust their X-Forwarded-For/-Proto/-Host, and only theirs
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = compile_translations(Path(app.instance_path) / "translations")
    runtime = make_runtime(Settings.from_env(app.config["DATABASE_URL"]))
    app.config["BABEL_DEFAULT_TIMEZONE"] = runtime.calendar.tz_name
    app.extensions["jointreview"] = runtime
    app.before_request(counter.upload_limit)  # before the CSRF check, or the NUL check, reads the form
    app.before_request(nul.refuse)
    csrf.init_app(app)
    Babel(app, locale_selector=select_locale)
    login = LoginManager(app)
    auth.init_login(login)
    for module in (auth, account, inbox, tasks, saving, approvals, signers, notifications, deputies, copies, supervision, cases, team, audit,
                   designer, migrations, modeler, applications, counter, search, admin, units, calendar_admin, dashboard,
                   health, holds, notices, step_files):
        app.register_blueprint(module.bp)
    api.register(app, csrf)
    errors.register(app)
    health.init_app(app)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, format_moment=names.moment, sla=sla, provisional=provisional,
                                 get_locale=get_locale, say=say, role_name=role_name, role_label=role_label,
                                 unread_notifications=notifications.unread_count, is_overseer=supervision.is_overseer)
    app.jinja_env.filters["dept"] = department_name
    localized.register(app)
    names.register(app)
    app.after_request(_security_headers)
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))
    return app


def _instance_secret(app: Flask) -> str:
    """A secret key kept in the instance folder, so sessions survive restarts without configuration."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():  # written whole and linked into place: of web processes starting together, one key wins
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32))
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process was first: use its key
        finally:
            os.unlink(tmp)
    return path.read_text(encoding="utf-8").strip()


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; frame-ancestors 'none'")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
