"""Problem details (RFC 9457) of the API: engine errors and validation errors as plain messages that name
the field, with stable codes."""
from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask import request
from flask_babel import force_locale, gettext
from pydantic import ValidationError

from engine.errors import MESSAGES as ALL_MESSAGES
from engine.errors import (Conflict, DeployError, EngineError, InvalidInput, Message, NotAuthenticated, NotFound,
                           PermissionDenied, catalogue)

from ..i18n import field_errors, say

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
# The API's own words, by code (English by default; said in the language a client asks for with Accept-Language).
MESSAGES = catalogue({
    "api_too_large": "the request body is {size} bytes; this operation takes at most {limit}",
    "api_no_such": "no such {what}",
    "api_key_in_progress": "the same Idempotency-Key is being used by a request in progress; retry",
    "api_bearer": "send the API token as 'Authorization: Bearer <token>' (browser sessions are not accepted by the API)",
    "api_rate": "token {token!r} made more than {limit} requests a minute; wait and retry",
    "api_role": "a token with the role {role} may not {action}; this needs one of: {roles}",
    "api_header_required": "this header is required",
    "api_header": "a request header is missing or malformed",
    "api_json_type": "send the request body as application/json",
    "api_larger": "the request body is larger than {limit} bytes",
    "api_nested": "the request body nests deeper than {limit} levels",
    "api_not_json": "the request body is not valid JSON: {detail}",
    "api_key_reused": "the Idempotency-Key {key!r} was already used for a different request; use a new key for a new "
                      "submission",
    "api_key_reused_field": "already used for a different request",
    "api_figures": "a {role} token of {department} sees the figures of {department} only",
    "api_control": "text with control characters was refused",
    "api_control_field": "contains control characters",
    "api_hidden": "text with invisible characters or hidden text-direction marks was refused",
    "api_hidden_field": "contains invisible characters or hidden text-direction marks",
    "api_surrogate": "contains a broken character (a lone surrogate)",
    "api_cursor": "the cursor is not one this API gave out",
    "api_cursor_field": "use next_cursor from the previous page",
    "api_invalid": "the {where} has invalid fields; nothing was changed",
    "api_where_query": "query", "api_where_body": "request body",
    "api_required": "is required",
    "api_extra": "is not a field here",
    "api_format": "is not in the expected format",
    "api_max_chars": "must have at most {limit} characters",
    "api_min_chars": "must have at least {limit} characters",
    "api_one_of": "must be one of: {options}",
    "api_whole": "must be a whole number",
    "api_at_least": "must be at least {limit}",
    "api_at_most": "must be at most {limit}",
    "api_max_items": "may have at most {limit} items",
    "api_min_items": "needs at least {limit} item(s)",
    "api_text": "must be text",
    "api_bool": "must be true or false",
    "api_list": "must be a list",
    "api_object": "must be an object",
    "api_other": "is not valid",
    "api_server": "something went wrong on our side; nothing was changed by the failed step, try again",
    "api_http_400": "the request was not understood",
    "api_http_404": "nothing is at this address; see /api/v1/docs for the operations",
    "api_http_405": "this operation does not take that method; see the Allow header",
    "api_http_413": "the request is too large",
    "api_http_415": "send the request body as application/json",
})
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


def problem_locale() -> str:
    """The language of the API's messages: Chinese when the client asks for it (Accept-Language), else English (the
    data keep the office's language)."""
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans"])
    return "zh_Hans_CN" if best and best.startswith("zh") else "en"


def problem_response(status: int, detail: str, errors: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None, code: str | None = None) -> Response:
    slug, title = PROBLEM_TYPES.get(status, ("error", "Error"))
    with force_locale(problem_locale()):
        body = {"type": f"urn:jointreview:problem:{slug}", "title": gettext(title), "status": status,
                "detail": say(detail)}
        errors = [{**e, "message": say(e.get("message"))} for e in errors or []]
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
        with force_locale(problem_locale()):
            said = field_errors(exc, named=False)
        errors = [{"field": f, "message": said[f], "code": _code(codes.get(f) or getattr(m, "code", None))}
                  for f, m in exc.fields.items()]
    elif isinstance(exc, DeployError):
        errors = [{"field": ":".join(str(p) for p in (pr.file, pr.line, pr.element) if p), "message": pr.message,
                   "code": "invalid_model"} for pr in exc.problems]
    code = getattr(exc, "code", None)
    detail = exc.message
    if code in ALL_MESSAGES and not isinstance(detail, Message) and problem_locale() != "en":  # coded with its own words
        detail = Message(code, **exc.params)
    return Problem(status, detail, errors, code=code)


def _code(code: Any) -> str:
    """Form validation keeps (code, parameters); the API gives the code."""
    if isinstance(code, (tuple, list)) and code:
        code = code[0]
    return str(code) if code else "invalid"


def _message(e: dict[str, Any]) -> Message | str:
    """A pydantic error in the words the rest of the API uses."""
    ctx, kind = e.get("ctx") or {}, e["type"]
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return Message("api_required")
    options = str(ctx.get("expected", "")).replace(chr(39), "")
    words = {
        "extra_forbidden": ("api_extra", {}), "string_pattern_mismatch": ("api_format", {}),
        "string_too_long": ("api_max_chars", {"limit": ctx.get("max_length")}),
        "string_too_short": ("api_min_chars", {"limit": ctx.get("min_length")}),
        "literal_error": ("api_one_of", {"options": options}), "enum": ("api_one_of", {"options": options}),
        "int_parsing": ("api_whole", {}), "int_type": ("api_whole", {}), "int_from_float": ("api_whole", {}),
        "greater_than_equal": ("api_at_least", {"limit": ctx.get("ge")}),
        "less_than_equal": ("api_at_most", {"limit": ctx.get("le")}),
        "too_long": ("api_max_items", {"limit": ctx.get("max_length")}),
        "too_short": ("api_min_items", {"limit": ctx.get("min_length")}),
        "string_type": ("api_text", {}), "bool_type": ("api_bool", {}), "bool_parsing": ("api_bool", {}),
        "list_type": ("api_list", {}), "dict_type": ("api_object", {}), "model_type": ("api_object", {}),
    }
    if kind in words:
        code, params = words[kind]
        return Message(code, **params)
    return Message("api_other") if not e.get("msg") else e["msg"]


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
            field, message = "process", Message("api_one_of", options=", ".join(tags))
        else:
            message = _message(e)
        field = field or where
        if field not in seen:
            seen.add(field)
            errors.append({"field": field, "message": message, "code": e["type"]})
    for field, message in (more or {}).items():
        if field not in seen:
            errors.append({"field": field, "message": message, "code": "invalid"})
    where_words = Message(f"api_where_{where.split()[-1]}") if f"api_where_{where.split()[-1]}" in MESSAGES else where
    return Problem(422, Message("api_invalid", where=where_words), errors)


# --- rate limiting --------------------------------------------------------------------------------
