"""The REST API under /api/v1 for the applicant portal (一网通办) and other departments' systems.

Bearer tokens only: browser sessions are not accepted here, and tokens are not accepted by the pages.
The OpenAPI 3.1 document at /api/v1/openapi.json is generated from the operations' declarations.
"""
from __future__ import annotations

import json
import re

from flask import Blueprint, Flask, jsonify, render_template, request
from markupsafe import Markup, escape

from .core import Api

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = Api(bp)

from . import approvals, figures, holds, migrations, notices, oversight, portal, signers, work  # noqa: E402,F401 - these modules declare the operations
from .openapi import document  # noqa: E402


@bp.route("/openapi.json")
def openapi():
    """The contract, generated from the code."""
    return jsonify(document(api))


@bp.app_template_filter("pretty_json")
def pretty_json(value, indent: int | None = 2) -> str:
    """JSON as people read it (Chinese stays Chinese); the template escapes it."""
    return json.dumps(value, ensure_ascii=False, indent=indent)


@bp.app_template_filter("code_spans")
def code_spans(text: str | None) -> Markup:
    """`name` in a description becomes <code>name</code>; everything else is escaped."""
    escaped = str(escape(text or ""))
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


@bp.route("/docs")
def docs():
    """The same contract as a page for the people who integrate with it."""
    doc = document(api)
    operations = [(path, method, op) for path, methods in doc["paths"].items() for method, op in methods.items()]
    return render_template("api_docs.html", doc=doc, operations=operations)


def register(app: Flask, csrf) -> None:
    """Install the API: the blueprint (CSRF does not apply to bearer tokens) and its error format."""
    app.config.setdefault("API_RATE_LIMIT", 600)
    app.register_blueprint(bp)
    csrf.exempt(bp)


def wants_problem() -> bool:
    """Errors under /api/ are answered as problem+json, never as HTML pages."""
    return request.path.startswith("/api/")
