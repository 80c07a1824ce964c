"""What every view needs: the engine runtime and the acting user (never imported by the engine)."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import abort, current_app
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from engine import supervision
from engine.routing import Actor
from engine.runtime import Runtime


MAX_ID = 2**63 - 1  # the databases' 64-bit row ids: a larger number names nothing (404), it is no server error


class RowId(IntegerConverter):
    """`<int:…>` in routes: a whole number no larger than a row id can be."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def row_id(value) -> int | None:
    """A row id given as a number (a JSON value or a query argument's text), None when it cannot be one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def runtime() -> Runtime:
    """The engine runtime of the current app."""
    return current_app.extensions["jointreview"]


def overseers() -> tuple[str, ...]:
    """The departments that oversee every case (JOINTREVIEW_OVERSEERS, default JOINT)."""
    return supervision.configured_overseers()


def actor() -> Actor:
    """The logged-in user as the engine sees them."""
    return current_user.actor


def require_role(*roles: str) -> None:
    """403 unless the user has one of the global roles (designer, auditor, admin)."""
    if not set(roles) & set(actor().roles):
        abort(403)


def safe_next(target: str | None, default: str) -> str:
    """A redirect target from a form or query, kept on this site.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so `/%09/evil.example`
    or `/\\evil.example` would leave the site: the target is checked as a browser will read it."""
    if not target or len(target) > 2000:
        return default
    decoded = unquote(target)
    readable = "".join(ch for ch in decoded if ch not in "\t\n\r").replace("\\", "/")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in decoded) or not readable.startswith("/") \
            or readable.startswith("//"):
        return default
    parts = urlsplit(readable)
    return default if parts.scheme or parts.netloc else target
