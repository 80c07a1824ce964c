"""What every view needs: the engine runtime and the acting user (never imported by the engine)."""
from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user

from engine.routing import Actor
from engine.runtime import Runtime


def runtime() -> Runtime:
    """The engine runtime of the current app."""
    return current_app.extensions["jointreview"]


def actor() -> Actor:
    """The logged-in user as the engine sees them."""
    return current_user.actor


def require_role(*roles: str) -> None:
    """403 unless the user has one of the global roles (designer, auditor, admin)."""
    if not set(roles) & set(actor().roles):
        abort(403)


def safe_next(target: str | None, default: str) -> str:
    """A redirect target from a form or query, kept on this site."""
    return target if target and target.startswith("/") and not target.startswith("//") else default
