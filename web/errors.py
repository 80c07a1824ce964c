"""Friendly error pages: engine errors become HTTP statuses; users never see a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, Response, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError

from . import api
from .api.problems import from_engine, problem_response, status_of

log = logging.getLogger("jointreview.web")


def register(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError):
        if api.wants_problem():
            problem = from_engine(exc)
            return problem_response(problem.status, problem.detail, problem.errors)
        status = status_of(exc)
        return render_template("error.html", status=status, message=exc.message), status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if api.wants_problem():
            headers = {"Allow": exc.response.headers["Allow"]} if exc.code == 405 and exc.response is not None \
                else dict(exc.get_headers()) if exc.code == 405 else {}
            headers = {k: v for k, v in headers.items() if k.lower() == "allow"}
            return problem_response(exc.code or 500, exc.description or "", headers=headers)
        messages = {403: _("You do not have access to this page."), 404: _("This page does not exist."),
                    400: _("The request was not understood."),
                    413: _("The upload is too large.")}
        return render_template("error.html", status=exc.code, message=messages.get(exc.code, exc.description)), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error")
        if api.wants_problem():
            return problem_response(500, "something went wrong on our side; nothing was changed by the failed step, "
                                         "try again")
        message = _("Something went wrong on our side. Nothing you did was lost; try again.")
        try:
            return render_template("error.html", status=500, message=message), 500
        except Exception:  # noqa: BLE001 - even the error page failed: answer in plain text, never a trace
            log.exception("the error page failed too")
            return Response(f"500 {message}", status=500, mimetype="text/plain")
