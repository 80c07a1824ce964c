"""Languages (Simplified Chinese and English): locale choice, dates in the office's zone, SLA badges."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, request, session
from flask_babel import format_datetime, get_locale, gettext
from sqlalchemy import select
from flask_login import current_user

from engine import wallclock
from engine.accounts import MESSAGES as ACCOUNT_MESSAGES
from engine.errors import MESSAGES as ERROR_MESSAGES
from engine.forms import MESSAGES as FORM_MESSAGES
from engine.migration import MESSAGES as MIGRATION_MESSAGES
from workflows.counter import MESSAGES as COUNTER_MESSAGES
from workflows.intake import MESSAGES as INTAKE_MESSAGES
from engine.models import Department

from .context import runtime

LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
_SOURCE = Path(__file__).parent / "translations"


def select_locale() -> str:
    """The user's own choice, else the session's, else the browser's preference, else Chinese."""
    choice = getattr(current_user, "language", None) if current_user and current_user.is_authenticated else None
    choice = choice or session.get("language")
    if choice in LANGUAGES:
        return choice
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return "en" if best == "en" else "zh_Hans_CN"


def compile_translations(target: Path) -> str:
    """Compile the .po catalogues into `target` when they changed; returns the folder for Flask-Babel."""
    for po in _SOURCE.glob("*/LC_MESSAGES/messages.po"):
        mo = target / po.relative_to(_SOURCE).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source)
        with mo.open("wb") as out:
            write_mo(out, catalog)
    return str(target)


def format_moment(moment: datetime | None, style: str = "short") -> str:
    """A moment in the user's language and the office's time zone; '—' for none."""
    if moment is None:
        return "—"
    return format_datetime(moment, style)  # Flask-Babel converts to BABEL_DEFAULT_TIMEZONE (the calendar's)


def sla(due: datetime | None) -> tuple[str, str]:
    """(text, css class) for a due time: working days left, amber when close, red when overdue."""
    if due is None:
        return gettext("no deadline"), "sla-none"
    cal = runtime().calendar
    left = cal.workdays_between(wallclock.now(), due)
    if left < 0:
        return gettext("overdue %(days).1f working days", days=-left), "sla-overdue"
    if not cal.is_confirmed(due):  # a year whose official holidays are not out yet: the date may still move
        return gettext("%(days).1f working days left (provisional)", days=left), "sla-ok sla-provisional"
    if left <= 1:
        return gettext("%(days).1f working days left", days=left), "sla-soon"
    return gettext("%(days).1f working days left", days=left), "sla-ok"


def provisional(due: datetime | None) -> bool:
    """Whether a due date falls in a year whose official holidays are not confirmed (it may still move)."""
    return due is not None and not runtime().calendar.is_confirmed(due)


def field_errors(exc) -> dict[str, str]:
    """Per-field messages of an InvalidInput in the user's language (from the message codes)."""
    codes = getattr(exc, "codes", {}) or {}
    out = {}
    for field, message in exc.fields.items():
        code, params = codes.get(field, (None, {}))
        out[field] = gettext(msgid(MESSAGES[code]), **params) if code in MESSAGES else message
    return out


MESSAGES = {**FORM_MESSAGES, **ACCOUNT_MESSAGES, **INTAKE_MESSAGES, **COUNTER_MESSAGES, **MIGRATION_MESSAGES}


def coded_text(code: str, params: dict) -> str:
    """A coded engine message (forms, accounts, intake, migration) in the user's language."""
    return gettext(msgid(MESSAGES[code]), **params) if code in MESSAGES else code
_PERCENT = re.compile(r"\{(\w+)\}")  # the engine's {limit} placeholders, as gettext's %(limit)s
_QUOTED = re.compile(r"\{(\w+)!r\}")  # {task!r}: a name, quoted as “…”


def msgid(template: str) -> str:
    """An engine message template as its gettext msgid: {task!r} → “%(task)s”, {key} → %(key)s."""
    return _PERCENT.sub(r"%(\1)s", _QUOTED.sub(r"“%(\1)s”", template))


def error_text(exc) -> str:
    """An engine error in the user's language: a coded one translated (department codes named), else its own
    words."""
    code = getattr(exc, "code", None)
    if code not in ERROR_MESSAGES:
        return exc.message
    params = {k: department_name(v) if k == "department" else v for k, v in exc.params.items()}
    return gettext(msgid(ERROR_MESSAGES[code]), **params)


def department_name(code: str | None) -> str:
    """A department code as its name in the user's language (教育局 / Education Bureau)."""
    if not code:
        return ""
    names = current_app.extensions.get("jointreview_departments")
    if names is None or code not in names:
        with runtime().db.read() as session:
            names = {d.code: (d.name_zh, d.name_en) for d in session.execute(select(Department)).scalars()}
        current_app.extensions["jointreview_departments"] = names
    zh, en = names.get(code, (code, code))
    return en if str(get_locale()) == "en" else zh
