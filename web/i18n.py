"""Languages (Simplified Chinese and English): locale choice, dates in the office's zone, SLA badges."""
from __future__ import annotations

import hashlib
import math
import os
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, request, session
from flask_babel import format_datetime, get_locale, gettext, lazy_gettext, ngettext
from sqlalchemy import select
from flask_login import current_user

from engine import wallclock
from engine.accounts import MESSAGES as ACCOUNT_MESSAGES
from engine.errors import MESSAGES as ERROR_MESSAGES, Message, StepName
from engine.forms import MESSAGES as FORM_MESSAGES
from engine.migration import MESSAGES as MIGRATION_MESSAGES
from workflows.counter import MESSAGES as COUNTER_MESSAGES
from workflows.intake import MESSAGES as INTAKE_MESSAGES
from engine.models import Department

from .context import runtime
from .localized import process_named, step_named
from .names import ISO_MOMENT, colon, due_day, listed, person, rule_table, semicolon, unspaced, value_text

LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
_SOURCE = Path(__file__).parent / "translations"
_NAMES = Path(__file__).parent / "names.py"  # its rule of names in Chinese is applied when compiling


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
        # what the catalogue was compiled from, by content: a .po put back with an older time (a checkout of an
        # older version) must not leave the newer catalogue in place, as a comparison of times did
        digest = hashlib.sha256(po.read_bytes() + b"\0" + _NAMES.read_bytes()).hexdigest()
        stamp = mo.with_name(f"{mo.name}.sha256")
        if mo.exists() and stamp.exists() and stamp.read_text(encoding="ascii").strip() == digest:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source)
        if str(catalog.locale).startswith("zh"):  # names set close in Chinese (web/names.py), however a line spaced them
            for message in catalog:
                if message.id and message.string:
                    message.string = (tuple(unspaced(s) for s in message.string) if isinstance(message.string, tuple)
                                      else unspaced(message.string))
        # several processes start at once (web processes, parallel tests): write aside, then rename, so that
        # none reads a half-written catalogue; the stamp last, so that it never vouches for a catalogue not yet there
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with partial.open("wb") as out:
            write_mo(out, catalog)
        os.replace(partial, mo)
        partial_stamp = stamp.with_name(f"{stamp.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        partial_stamp.write_text(digest, encoding="ascii")
        os.replace(partial_stamp, stamp)
    return str(target)


def format_moment(moment: datetime | None, style: str = "short") -> str:
    """A moment in the user's language and the office's time zone; '—' for none."""
    if moment is None:
        return "—"
    return format_datetime(moment, style)  # Flask-Babel converts to BABEL_DEFAULT_TIMEZONE (the calendar's)


def sla(due: datetime | None) -> tuple[str, str]:
    """(text, css class) of a deadline, the one badge of every page (the deadline() macro): past it, by how long
    (minutes, then hours within a day, then whole working days, red); due today, at what time; else the working
    days left (amber on the last two)."""
    if due is None:
        return gettext("no deadline"), "sla-none"
    cal, now = runtime().calendar, wallclock.now()
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    if due <= now:
        return _overdue(cal, due, now), "sla-overdue"
    day, clock = due_day(due)
    if day == now.astimezone(cal.tz).date():
        return gettext("due today at %(time)s", time=clock), "sla-soon"
    left = cal.workdays_between(now, due)
    if not cal.is_confirmed(due):  # a year whose official holidays are not out yet: the date may still move
        return gettext("%(num)d working days left (provisional)", num=_days_left(left)), "sla-ok sla-provisional"
    if left < 1:  # less than a working day's time left, the deadline on the next working day (e.g. tomorrow 9:30)
        return gettext("due on the next working day"), "sla-soon"
    if left <= 2:
        return ngettext("%(num)d working day left", "%(num)d working days left", _days_left(left)), "sla-soon"
    return ngettext("%(num)d working day left", "%(num)d working days left", _days_left(left)), "sla-ok"


def _overdue(cal, due: datetime, now: datetime) -> str:
    """How long a step is past its deadline: minutes within the hour, hours within the day, then the working days
    gone by (at least one): a step a few minutes late is not a day late."""
    late = now - due
    if late < timedelta(hours=1):
        return ngettext("overdue %(num)d minute", "overdue %(num)d minutes", max(1, int(late.total_seconds() // 60)))
    if late < timedelta(days=1):
        return ngettext("overdue %(num)d hour", "overdue %(num)d hours", int(late.total_seconds() // 3600))
    days = max(1, math.floor(cal.workdays_between(due, now) + 1e-6))
    return ngettext("overdue %(num)d working day", "overdue %(num)d working days", days)


def _days_left(left: float) -> int:
    """Working days left, today's begun day counted (a 3-working-day step that just arrived has 3 left, not 2)."""
    return max(1, math.ceil(left - 1e-6))


def provisional(due: datetime | None) -> bool:
    """Whether a due date falls in a year whose official holidays are not confirmed (it may still move)."""
    return due is not None and not runtime().calendar.is_confirmed(due)


def field_errors(exc, named: bool = True, form=None) -> dict[str, str]:
    """Per-field messages of an InvalidInput in the user's language (from the message codes); a choice's options
    as the form names them (`named`, for pages) or by the codes a client sends (the API). With the `form` (its
    fields), each message is a sentence naming the field by its label (请填写“安排学校”), to stand beside it."""
    codes = getattr(exc, "codes", {}) or {}
    fields = {f.id: f for f in form or ()}
    out = {}
    for field, message in exc.fields.items():
        code, params = codes.get(field, (None, {}))
        if named and "named" in params:  # options as the form names them, not the codes an API client sends
            params = {**params, "options": params["named"]}
        if code == "rule" and params.get("message_en") and str(get_locale()) == "en":
            params = {**params, "message": params["message_en"]}  # the designer's own English words for the rule
        out[field] = gettext(msgid(MESSAGES[code]), **params) if code in MESSAGES else say(message)
        if form is not None:
            f = fields.get(field)
            out[field] = labelled(f.label if f else field, out[field], code, params,
                                  chosen=bool(f) and f.type in ("enum", "multi", "boolean"))
    return out


# A field's error as one sentence naming the field, by the code of the engine's message (engine/forms.py).
SENTENCES = {"required": lazy_gettext("Fill in “%(field)s”"),
             "not_chosen": lazy_gettext("Choose an answer for “%(field)s”"),
             "pattern": lazy_gettext("“%(field)s” does not have the expected format"),
             "not_integer": lazy_gettext("“%(field)s” must be a whole number"),
             "not_number": lazy_gettext("“%(field)s” must be a number"),
             "not_date": lazy_gettext("“%(field)s” must be a date (YYYY-MM-DD)"),
             "not_option": lazy_gettext("“%(field)s” must be one of: %(options)s"),
             "too_short": lazy_gettext("“%(field)s” must have at least %(limit)s characters"),
             "too_long": lazy_gettext("“%(field)s” must have at most %(limit)s characters"),
             "too_small": lazy_gettext("“%(field)s” must be at least %(limit)s"),
             "too_large": lazy_gettext("“%(field)s” must be at most %(limit)s")}
ALIASES = {"field_required": "required", "field_too_long": "too_long"}  # the engine's other modules say the same
CHOOSE = lazy_gettext("Choose “%(field)s”")  # a required choice (a list, boxes to tick) is chosen, not filled in


def codes_of(exc) -> dict[str, tuple[str, dict]]:
    """The code and parameters of each field's message: a form's (exc.codes), or the coded Message itself."""
    coded = {f: (m.code, m.params) for f, m in (getattr(exc, "fields", None) or {}).items() if isinstance(m, Message)}
    return {**coded, **(getattr(exc, "codes", None) or {})}


def labelled(label: str, said: str, code: str | None = None, params: dict | None = None, chosen: bool = False) -> str:
    """One field's error as the page shows it, the one place the field is put into its message: a sentence for the
    engine's coded messages (请填写“安排学校”, “联系电话”格式不正确; 请选择“函询部门” for a required choice), else the
    label before the message (申请人身份证号：身份证号校验码不符)."""
    code = ALIASES.get(code, code)
    if code == "required" and chosen:
        return str(CHOOSE) % {"field": label}
    if code in SENTENCES:
        return str(SENTENCES[code]) % {**(params or {}), "field": label}
    return f"{label}{colon()}{said}"


MESSAGES = {**FORM_MESSAGES, **ACCOUNT_MESSAGES, **INTAKE_MESSAGES, **COUNTER_MESSAGES, **MIGRATION_MESSAGES}


def coded_text(code: str, params: dict) -> str:
    """A coded engine message (forms, accounts, intake, migration) in the user's language (a process by its name)."""
    params = {k: step_named(v) if isinstance(v, StepName)
              else process_named(v) if k in _PROCESSES and isinstance(v, str) else v for k, v in params.items()}
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
    if code not in ERROR_MESSAGES or (isinstance(exc.message, Message) and exc.message.code in ERROR_MESSAGES):
        return say(exc.message)  # its own words when they are coded too (they may name more: not_a_member's step)
    return say(Message(code, **exc.params))


def refusal(exc) -> str:
    """An engine refusal in the user's language with what is wrong in each field, e.g.
    评分未保存：评分：须为 1 至 5 的整数."""
    headline = error_text(exc)
    detail = problems(field_errors(exc) if getattr(exc, "fields", None) else {}, headline, codes=codes_of(exc))
    return headline + (colon() + detail if detail else "")


def problems(fields: dict[str, str], headline: str = "", label=None, codes: dict | None = None) -> str:
    """What is wrong in each field, each field named once: by its label (请填写“理由”, 代理人：须为…; `codes`: the
    engine's codes of the messages), unless the message begins with it (密码不能与用户名相同) or it is the only field
    and the headline before it names it (密码强度不够：至少使用 8 个字符)."""
    label, codes = label or field_label, codes or {}
    parts = []
    for field, said in fields.items():
        name, text = str(label(field)).casefold(), said.casefold()
        named = text.startswith((name, f"the {name}")) or (len(fields) == 1 and name in headline.casefold())
        code, params = codes.get(field, (None, {}))
        parts.append(said if named else labelled(label(field), said, code if isinstance(code, str) else None, params))
    return semicolon().join(parts)


FIELD_LABELS = {"password": lazy_gettext("Password"), "username": lazy_gettext("User name"),
                "display_name": lazy_gettext("Name"), "department": lazy_gettext("Department"),
                "role": lazy_gettext("Role"), "roles": lazy_gettext("Roles"), "memberships": lazy_gettext("Departments"),
                "name": lazy_gettext("Name (of a thing)"), "expires_days": lazy_gettext("Valid for (days)"),
                "alias": lazy_gettext("Alias"), "reason": lazy_gettext("Reason"), "to_user": lazy_gettext("Recipient"),
                "starts_at": lazy_gettext("From"), "ends_at": lazy_gettext("Until"), "deputy": lazy_gettext("Deputy"),
                "score": lazy_gettext("Score"), "comment": lazy_gettext("Comment"), "text": lazy_gettext("Text"),
                "position": lazy_gettext("Position"), "decision": lazy_gettext("Decision"),
                "opinion": lazy_gettext("Opinion"), "note": lazy_gettext("Note"), "days": lazy_gettext("Working days"),
                "target": lazy_gettext("Step"), "field": lazy_gettext("Field"), "kind": lazy_gettext("Kind"),
                "threshold": lazy_gettext("Threshold"), "process_key": lazy_gettext("Process"),
                "element_id": lazy_gettext("Step"), "email": lazy_gettext("Mail address"),
                "kinds": lazy_gettext("Kinds of notice"), "day": lazy_gettext("Date"),
                "source": lazy_gettext("Notice (title and number)")}


def field_label(field: str) -> str:
    """A form field of the web pages by its label (an engine field id otherwise)."""
    return str(FIELD_LABELS[field]) if field in FIELD_LABELS else field


_DEPARTMENTS = ("department", "departments", "to_department", "from_department")
_PROCESSES = ("process",)  # process keys (not the validator's: a designer's file names processes by their ids)
_PEOPLE = ("user", "users", "holder", "by", "deputy", "principal", "signer", "to_user")


def say(text) -> str:
    """Engine words in the user's language: a Message by its code (its parameters too: departments by name,
    people by their names, processes (by their keys) and steps (StepName) by their names, a rule table as a message
    cites it, nested messages), any other text as it is."""
    if not isinstance(text, Message) or text.code not in ERROR_MESSAGES:
        return "" if text is None else str(text)
    return gettext(msgid(ERROR_MESSAGES[text.code]), **{k: _said(k, v) for k, v in text.params.items()})


def _said(key: str, value):
    if isinstance(value, Message):
        return say(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return listed(_said(key, v) for v in value)
    if isinstance(value, StepName):
        return step_named(value)
    if key in _DEPARTMENTS and isinstance(value, str):
        return department_name(value)
    if key in _PEOPLE and isinstance(value, str):
        return person(value)
    if key == "rule_table" and isinstance(value, str):
        return rule_table(value)
    if key in _PROCESSES and isinstance(value, str):
        return process_named(value)
    if key in ("status", "role", "roles", "state", "kinds", "action") and isinstance(value, str):
        return gettext(value)
    if isinstance(value, str) and ISO_MOMENT.match(value):  # a moment as the office reads it (local time, no T)
        return value_text(value)
    return value


DEPARTMENTS_FRESH = 60.0  # seconds: a name or head title changed elsewhere (`jointreview head-title`, another
# process of the app) shows within a minute


def _department(code: str) -> tuple[str, str, str | None, str | None, str | None] | None:
    """(Chinese name, English name, head title in Chinese, in English, parent code) of a department, read once a
    minute (and whenever an unknown code comes up)."""
    read_at, known = current_app.extensions.get("jointreview_departments") or (0.0, None)
    if known is None or code not in known or time.monotonic() - read_at > DEPARTMENTS_FRESH:
        with runtime().db.read() as session:
            known = {d.code: (d.name_zh, d.name_en, d.head_title_zh, d.head_title_en, d.parent_code)
                     for d in session.execute(select(Department)).scalars()}
        current_app.extensions["jointreview_departments"] = (time.monotonic(), known)
    return known.get(code)


def department_name(code: str | None) -> str:
    """A department code as its name in the user's language (教育局 / Education Bureau)."""
    if not code:
        return ""
    zh, en = (_department(code) or (code, code))[:2]
    return en if str(get_locale()) == "en" else zh


def role_name(role: str, code: str | None = None) -> str:
    """A department role as that department calls it: its head by the department's own title (局长 of a bureau,
    主任 of 联席办; a unit's as its department's), the other roles and a department without a title by the role's
    word."""
    found = _department(code) if code and role == "head" else None
    if found is not None and not (found[2] or found[3]) and found[4]:
        found = _department(found[4])  # a unit (a street office) names its head as its department does
    if found is not None and (found[2] or found[3]):
        zh, en = found[2] or found[3], found[3] or found[2]
        return en if str(get_locale()) == "en" else zh
    return gettext(role)


def role_label(role: str, code: str | None = None) -> str:
    """A role's name where it stands on its own (a tag, a column, a choice, an audit entry's detail): in English in
    sentence case, one way on every page (Reviewer, Section chief, Director-General); role_name keeps the word for a
    sentence (“needs a section chief of …”). Chinese has no case."""
    name = role_name(role, code)
    return name[:1].upper() + name[1:]
