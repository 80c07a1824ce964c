"""Friendly error pages: engine errors become HTTP statuses; users never see a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from engine.errors import MESSAGES, EngineError, Message

from . import api
from .api.problems import from_engine, problem_response, status_of
from .i18n import error_text

log = logging.getLogger("jointreview.web")


def way_back() -> dict[str, str | None]:
    """Where an error page sends the user: the page of their role, and the page they came from on this site."""
    if not current_user.is_authenticated:
        home, label = url_for("auth.login"), _("Log in")
    elif current_user.actor.departments:
        home, label = url_for("inbox.inbox"), _("Back to the inbox")
    else:
        home, label = url_for("auth.login"), _("Log in")
        for role, endpoint, text in (("auditor", "audit.log", _("Back to the audit log")),
                                     ("designer", "designer.index", _("Back to the process designer")),
                                     ("admin", "admin.index", _("Back to administration"))):
            if role in current_user.actor.roles:
                home, label = url_for(endpoint), text
                break
    previous = request.referrer or ""
    same_site = previous.startswith(request.host_url) and previous != request.url
    return {"home": home, "home_label": label, "previous": previous if same_site else None}


def heading(status: int) -> str:
    """What an error page is titled: in words, as a clerk reads it (the status code stays, small, for support)."""
    headings = {400: _("The request was not understood"), 403: _("No access"), 404: _("Not found"),
                405: _("Not opened this way"), 409: _("This cannot be done now"), 413: _("Upload too large"),
                422: _("Please check what you entered"), 429: _("Too many attempts")}
    return headings.get(status) or (_("System error") if status >= 500 else _("This cannot be done"))


def page(status: int, message: str):
    """The error page of `status` saying `message`, with the way back."""
    return render_template("error.html", status=status, heading=heading(status), message=message, **way_back()), status


def register(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError):
        if api.wants_problem():
            problem = from_engine(exc)
            return problem_response(problem.status, problem.detail, problem.errors, code=problem.code)
        return page(status_of(exc), error_text(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if api.wants_problem():
            headers = {"Allow": exc.response.headers["Allow"]} if exc.code == 405 and exc.response is not None \
                else dict(exc.get_headers()) if exc.code == 405 else {}
            headers = {k: v for k, v in headers.items() if k.lower() == "allow"}
            default = exc.description == type(exc).description  # werkzeug's own words: said in ours
            detail = Message(f"api_http_{exc.code}") if default and f"api_http_{exc.code}" in MESSAGES else exc.description
            return problem_response(exc.code or 500, detail or "", headers=headers)
        messages = {403: _("You do not have access to this page."), 404: _("This page does not exist."),
                    400: _("The request was not understood."),
                    405: _("This page cannot be opened that way; go back and use the buttons on the page."),
                    413: _("The upload is too large.")}
        return page(exc.code or 500, messages.get(exc.code, exc.description))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error")
        if api.wants_problem():
            return problem_response(500, Message("api_server"))
        message = _("Something went wrong on our side. Nothing you did was lost; try again.")
        try:
            return page(500, message)
        except Exception:  # noqa: BLE001 - even the error page failed: answer in plain text, never a trace
            log.exception("the error page failed too")
            return Response(f"500 {message}", status=500, mimetype="text/plain")
