"""Problem details (RFC 9457) of the API: engine errors and validation errors as plain messages that name
the field, with stable codes."""
from __future__ import annotations

import json
from typing import Any

from flask import Response
from pydantic import ValidationError

from engine.errors import (Conflict, DeployError, EngineError, InvalidInput, NotAuthenticated, NotFound,
                           PermissionDenied)

PROBLEM = "application/problem+json"
PROBLEM_TYPES = {
    400: ("bad-request", "The request was not understood"),
    401: ("unauthenticated", "A valid API token is required"),
    403: ("forbidden", "This token may not do this"),
    404: ("not-found", "No such resource"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "The request conflicts with the current state"),
    413: ("too-large", "The request body is too large"),
    415: ("unsupported-media-type", "The request body must be JSON"),
    422: ("validation-failed", "The request has invalid fields"),
    429: ("rate-limited", "Too many requests"),
    500: ("server-error", "Something went wrong on our side"),
}
STATUS = {NotAuthenticated: 401, NotFound: 404, PermissionDenied: 403, Conflict: 409, InvalidInput: 422,
          DeployError: 422}


# --- problems -------------------------------------------------------------------------------------

class Problem(Exception):
    """An error answered as application/problem+json (RFC 9457)."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors or [], headers or {}
        self.code = code  # a stable code of the engine's message, when it has one


def problem_response(status: int, detail: str, errors: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None, code: str | None = None) -> Response:
    slug, title = PROBLEM_TYPES.get(status, ("error", "Error"))
    body = {"type": f"urn:jointreview:problem:{slug}", "title": title, "status": status, "detail": detail}
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="jointreview"'
    return response


def status_of(exc: EngineError) -> int:
    """The HTTP status of an engine error (API and pages alike)."""
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def from_engine(exc: EngineError) -> Problem:
    """The problem an engine error becomes; field errors are listed one by one."""
    status = status_of(exc)
    errors = []
    if isinstance(exc, InvalidInput):
        codes = getattr(exc, "codes", {}) or {}
        errors = [{"field": f, "message": m, "code": _code(codes.get(f))} for f, m in exc.fields.items()]
    elif isinstance(exc, DeployError):
        errors = [{"field": ":".join(str(p) for p in (pr.file, pr.line, pr.element) if p), "message": pr.message,
                   "code": "invalid_model"} for pr in exc.problems]
    return Problem(status, exc.message, errors, code=getattr(exc, "code", None))


def _code(code: Any) -> str:
    """Form validation keeps (code, parameters); the API gives the code."""
    if isinstance(code, (tuple, list)) and code:
        code = code[0]
    return str(code) if code else "invalid"


def _message(e: dict[str, Any]) -> str:
    """A pydantic error in the words the rest of the API uses."""
    ctx, kind = e.get("ctx") or {}, e["type"]
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "is required"
    words = {
        "extra_forbidden": "is not a field here",
        "string_pattern_mismatch": "is not in the expected format",
        "string_too_long": f"must have at most {ctx.get('max_length')} characters",
        "string_too_short": f"must have at least {ctx.get('min_length')} characters",
        "literal_error": f"must be one of: {ctx.get('expected', '').replace(chr(39), '')}",
        "enum": f"must be one of: {ctx.get('expected', '').replace(chr(39), '')}",
        "int_parsing": "must be a whole number", "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "greater_than_equal": f"must be at least {ctx.get('ge')}", "less_than_equal": f"must be at most {ctx.get('le')}",
        "too_long": f"may have at most {ctx.get('max_length')} items",
        "too_short": f"needs at least {ctx.get('min_length')} item(s)",
        "string_type": "must be text", "bool_type": "must be true or false", "bool_parsing": "must be true or false",
        "list_type": "must be a list", "dict_type": "must be an object", "model_type": "must be an object",
    }
    return words.get(kind, e["msg"])


def from_validation(exc: ValidationError, where: str, tags: tuple[str, ...] = (),
                    more: dict[str, str] | None = None) -> Problem:
    """Every invalid field at once; `tags` are union tags pydantic puts in front of field names."""
    errors, seen = [], set()
    for e in exc.errors(include_url=False):
        loc = [str(p) for p in e["loc"] if p != "body"]
        if loc and loc[0] in tags:
            loc = loc[1:]
        field = ".".join(loc)
        if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
            field, message = "process", f"must be one of: {', '.join(tags)}"
        else:
            message = _message(e)
        field = field or where
        if field not in seen:
            seen.add(field)
            errors.append({"field": field, "message": message, "code": e["type"]})
    for field, message in (more or {}).items():
        if field not in seen:
            errors.append({"field": field, "message": message, "code": "invalid"})
    return Problem(422, f"the {where} has invalid fields; nothing was changed", errors)


# --- rate limiting --------------------------------------------------------------------------------
