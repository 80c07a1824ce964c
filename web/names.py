"""What a person reads for people, moments and values: display names instead of log-in names, system actors as
系统, dates as 2026-12-01 (14:30 where the time matters), a deadline always with its time (a day's end as 24:00),
and stored values (None, True, lists, ISO strings) in plain words."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from babel.dates import format_date
from flask import g
from markupsafe import Markup, escape
from flask_babel import format_datetime, get_locale, gettext as _
from sqlalchemy import select

from engine.calendar import aware, written_day
from engine.rule_names import TableName, cited
from engine.rules import current_name
from engine.models import User

from .context import runtime

DAY = "yyyy-MM-dd"
MINUTE = "yyyy-MM-dd HH:mm"
EMPTY = "—"
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


def chinese() -> bool:
    """Whether the page speaks Chinese (its punctuation is then Chinese too)."""
    return str(get_locale()) != "en"


def colon() -> str:
    return "：" if chinese() else ": "


def semicolon() -> str:
    return "；" if chinese() else "; "


def sentence(text: str) -> str:
    """A message as a sentence of its own, before another: with its full stop (an engine message has none, being
    said alone elsewhere; its first letter stays as it is, a user name perhaps)."""
    text = text.rstrip()
    return text if not text or text[-1] in ".。!！?？…" else text + ("。" if chinese() else ".")


def opening() -> str:
    """A parenthesis around an aside: 甲（乙） / A (B)."""
    return "（" if chinese() else " ("


def closing() -> str:
    return "）" if chinese() else ")"


def gap() -> str:
    """What stands between two sentences: nothing after a Chinese full stop, a space after an English one."""
    return "" if chinese() else " "


def separator() -> str:
    """What joins the items of a list: 甲、乙 / A, B."""
    return "、" if chinese() else ", "


def listed(parts) -> str:
    """Items of a list as the language joins them: 甲、乙 / A, B."""
    return separator().join(str(p) for p in parts)


def _names() -> dict[str, str]:
    """Every user's display name, read once per request."""
    names = g.get("_display_names")
    if names is None:
        with runtime().db.read() as session:
            names = {u: d for u, d in session.execute(select(User.username, User.display_name))}
        g._display_names = names
    return names


PEOPLE = ("user", "users", "by", "who", "delegate", "deputy", "principal", "signer", "signers", "holder", "to_user")
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’"
_NAME = rf"%\((?:{'|'.join(PEOPLE)})\)s"
_SPACE_BEFORE, _SPACE_AFTER = re.compile(rf"(?<=[{_CJK}]) (?={_NAME})"), re.compile(rf"({_NAME}) (?=[{_CJK}])")


def unspaced(text: str) -> str:
    """A Chinese sentence with a person's name set close to the words around it (已送%(user)s先行签署, not
    已送 %(user)s 先行签署): Chinese puts no spaces around a name. The catalogues are compiled through it."""
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub("", text))


def person(username: str | None) -> str:
    """The name a person reads for an actor: a user's display name; the engine and other components as 系统,
    the applicant portal as such, another department's system (an API token) as an external system."""
    if not username:
        return EMPTY
    if username == "system:portal":
        return _("Applicant (portal)")
    if username.startswith("system:"):
        return _("System")
    if username.startswith("api:"):
        return _("External system")
    return _names().get(username) or username


def moment(value: datetime | None, pattern: str = MINUTE) -> str:
    """A moment in the office's time zone as 2026-12-01 14:30 (or with another pattern); — for none."""
    if value is None:
        return EMPTY
    return format_datetime(value, pattern)


def day(value: date | datetime | None) -> str:
    """A day as 2026-12-01; — for none."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        return format_datetime(value, DAY)
    return value.isoformat()


def due(value: date | datetime | None) -> str:
    """A deadline, the one rule of every page (the |due filter): a due moment as its date and time in the office's
    time zone (2026-12-01 14:30, whatever the reader's language), a moment at midnight as the end of the day before
    (2026-11-30 24:00, as notices write it), so that every deadline reads alike; a date (a working day) as that day."""
    if value is None:
        return EMPTY
    if not isinstance(value, datetime):
        return value.isoformat()
    day, clock = due_day(value)
    return f"{day.isoformat()} {clock}"


def due_day(value: datetime) -> tuple[date, str]:
    """The office-zone day a due moment falls on and its time of day as HH:MM, a midnight being 24:00 of the day
    before. A moment without a zone is UTC, as the engine stores it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(runtime().calendar.tz)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return local.date() - timedelta(days=1), "24:00"
    return local.date(), local.strftime("%H:%M")


def value_text(value: Any) -> str:
    """A stored value in plain words: — for none, 是/否, lists joined with 、, ISO moments as dates."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, set)):
        return listed(value_text(v) for v in value) or EMPTY
    if isinstance(value, dict):
        if "label" in value and "value" in value:
            return f"{value['label']}{colon()}{value_text(value['value'])}"
        return semicolon().join(f"{k}{colon()}{value_text(v)}" for k, v in value.items())
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return due(datetime.fromisoformat(value.replace("Z", "+00:00")))  # a midnight is a day's end
        except ValueError:
            return value
    return str(value)


_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period(label: str | None, short: bool = False) -> str:
    """A period as people write it for its code (2026Q4, 2026-11, 2026): 2026年第4季度, 2026年11月, 2026年 in Chinese;
    Q4 2026, November 2026, 2026 in English (Nov 2026 where room is `short`, under a chart's axis)."""
    label = label or ""
    if _QUARTER.match(label):
        year, quarter = _QUARTER.match(label).groups()
        return _("%(year)s Q%(quarter)s", year=year, quarter=quarter)
    if _MONTH.match(label):
        year, month = _MONTH.match(label).groups()
        if not chinese():  # as English writes a month: November 2026
            return format_date(date(int(year), int(month), 1), "MMM y" if short else "MMMM y", locale="en")
        return _("%(year)s-%(month)s (month %(number)s)", year=year, month=month, number=int(month))
    if label.isdigit() and len(label) == 4:
        return _("%(year)s (year)", year=label)
    return label


def lines(value: Any) -> Any:
    """A text of several lines (questions listed one per line, a reason in paragraphs) with its line breaks kept on
    the page; anything else as it is (a link stays a link)."""
    if not isinstance(value, str) or isinstance(value, Markup) or "\n" not in value:
        return value
    return Markup("<br>").join(escape(line) for line in value.strip("\n").splitlines())


def written(value: date | datetime, end: bool = False) -> str:
    """A day as an official publication writes it (the |written filter; a 公示's period): 2026年12月1日 in Chinese, as
    the counter's papers do, 1 December 2026 in English. A moment is its day in the office's time zone; the `end` of a
    period at midnight is the day before (it ends at 24:00 of that day)."""
    if isinstance(value, datetime):
        value = due_day(value)[0] if end else aware(value).astimezone(runtime().calendar.tz).date()
    return written_day(value) if chinese() else format_date(value, "d MMMM y", locale="en")


def version(number: int | str, name: str | None = None) -> str:
    """A process version as the reader writes it (the |version filter): 第3版 in Chinese, as a Chinese document does,
    v3 in English; with the process's name, 积分入学联审第3版 / Admission v3."""
    if name is None:
        return _("v%(version)s", version=number)
    return _("%(name)s v%(version)s", name=name, version=number)


def rule_table(name: str | None, decision: str | None = None) -> str:
    """A rule table as the reader's message cites it (the |rule_table filter): 《积分入学积分规则》 in Chinese, its
    English name in quotes in English (engine.rule_names.cited). A table known only by its id (`decision`, or a
    TableName's: a notice kept from before tables were named) by its current name; in English, a name that came
    without its English one by the current English name."""
    decision = decision or getattr(name, "decision", "") or ""
    if decision and (not name or not (chinese() or getattr(name, "english", ""))):
        current = _current_table(decision)
        if current is None:
            name = name or decision
        else:
            name = TableName(name, decision, current.english) if name else current
    return cited(name, chinese())


def _current_table(decision: str) -> TableName | None:
    """A shared table's current name by its id, read once per request."""
    known = g.setdefault("jr_rule_tables", {})
    if decision not in known:
        with runtime().db.read() as session:
            known[decision] = current_name(session, decision)
    return known[decision]


def register(app) -> None:
    """The template filters: |person, |moment, |day, |due, |value, |period, |listed, |lines, |version, |written,
    |rule_table;
    colon(), semicolon(), separator() and the parentheses opening() and closing()."""
    app.jinja_env.filters.update(person=person, moment=moment, day=day, due=due, value=value_text, period=period,
                                 listed=listed, lines=lines, version=version,
                                 written=written, rule_table=rule_table)
    app.jinja_env.globals.update(colon=colon, semicolon=semicolon, separator=separator, opening=opening, closing=closing,
                                 gap=gap)
