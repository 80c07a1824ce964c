"""FEEL unary tests in decision table input cells, as the DMN editor's cell helpers write them.

The editor (dmn-js) writes standard FEEL: `"own","rent"` (matches one of), `not("own","rent")`, `>= 3`, `[1..5]`,
`]1..5[`, `true`, `date("2026-01-01")`, `< date and time("2026-01-01T08:00:00")`, `[time("08:00:00")..time("12:00:00")]`
and `duration("P2D")`. A cell written this way is read here, by a small parser of its own (no eval of the text), into
tests matched against the input's value; a cell that is not FEEL in these forms (`? in (…)`, `True`, `len(?) > 2`) is
left to the Python reading. Where both readings are possible they agree (`"own"`, `12`, `>= 60`), except for the comma
list and `not(…)`, which in Python never matched (a tuple, a boolean): the FEEL reading is the one the editor meant.

Dates, times and durations in case data are values of those types or their ISO 8601 text (forms keep `2026-01-01`); a
value of another type than the test's is not matched (FEEL's null), never an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .budget import ExpressionRefused
from .lint_messages import M

MAX_TEXT = 20_000  # as any expression (engine.expressions.MAX_SOURCE)

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<typed>date\s+and\s+time|date|time|duration)\s*\(\s*(?P<arg>"(?:[^"\\]|\\.)*")\s*\)
  | (?P<range>\.\.)
  | (?P<number>-?(?:\d+(?:\.\d+)?|\.\d+))
  | (?P<word>not|true|false|null)\b
  | (?P<op><=|>=|!=|<|>|=)
  | (?P<punct>[\[\](),])
)""", re.VERBOSE)
_END = re.compile(r"\s*$")
_MAX_DIGITS = 40
_DURATION = re.compile(r"(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?")
_YEAR_MONTH = re.compile(r"-?P(?:\d+Y)?(?:\d+M)?")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'"}


class NotFeel(Exception):
    """The text is not a unary test of the forms read here (the Python reading applies)."""


def _text(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), literal[1:-1])


def _typed(kind: str, text: str) -> Any:
    """The value of `date("…")`, `date and time("…")`, `time("…")` or `duration("…")`; ExpressionRefused when the
    text is no such value (the editor checks only the pattern, so `date("2026-02-30")` can be written)."""
    kind = " ".join(kind.split())
    try:
        if kind == "date":
            return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d\d-\d\d", text) else _bad()
        if kind == "date and time":
            return datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else _bad()
        if kind == "time":
            return time.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ExpressionRefused(M("feel_bad_value", kind=kind, text=text)) from None
    return _duration(text)


def _bad() -> Any:
    raise ValueError


def _duration(text: str) -> timedelta:
    found = _DURATION.fullmatch(text)
    if found and text not in ("P", "-P") and not text.endswith("T"):
        sign, weeks, days, hours, minutes, seconds = found.groups()
        try:
            value = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                              minutes=int(minutes or 0), seconds=float(seconds or 0))
        except (OverflowError, ValueError):  # beyond a timedelta (a billion days), or digits past Python's limit
            raise ExpressionRefused(M("feel_bad_value", kind="duration", text=text)) from None
        return -value if sign else value
    if _YEAR_MONTH.fullmatch(text) and text not in ("P", "-P"):
        raise ExpressionRefused(M("feel_year_month", text=text))
    raise ExpressionRefused(M("feel_bad_value", kind="duration", text=text))


@dataclass(frozen=True)
class Test:
    """One unary test: `op` one of = != < <= > >= (against `value`) or `..` (between `value` and `high`)."""

    op: str
    value: Any
    high: Any = None
    low_open: bool = False
    high_open: bool = False

    def matches(self, given: Any) -> bool | None:
        """True or False; None (FEEL's null) when the value cannot be compared with the test's (another type)."""
        if self.op in ("=", "!=") and (self.value is None or given is None):  # null equals null only
            return (given is self.value) == (self.op == "=")
        value = _comparable(given, self.value)
        if value is _NO:
            return None
        try:
            if self.op == "..":
                return (self.value < value if self.low_open else self.value <= value) and \
                    (value < self.high if self.high_open else value <= self.high)
            return {"=": value == self.value, "!=": value != self.value, "<": value < self.value,
                    "<=": value <= self.value, ">": value > self.value, ">=": value >= self.value}[self.op]
        except TypeError:  # an aware and a naive date-time
            return None


_NO = object()


def _comparable(given: Any, literal: Any) -> Any:
    """The input value as the literal's type (ISO text read as a date, a time, a duration), or _NO when it is not."""
    if isinstance(literal, bool):
        return given if isinstance(given, bool) else _NO
    if isinstance(literal, (int, float, Decimal)):
        if isinstance(given, bool) or not isinstance(given, (int, float, Decimal)):
            return _NO
        return float(given) if isinstance(given, Decimal) and isinstance(literal, float) else given
    if isinstance(literal, str):
        return given if isinstance(given, str) else _NO
    for kind, read in ((datetime, datetime.fromisoformat), (date, date.fromisoformat), (time, time.fromisoformat),
                       (timedelta, _duration)):
        if isinstance(literal, kind):
            if type(given) is kind:
                return given
            if isinstance(given, str) and len(given) <= 64:
                try:
                    read_value = read(given.replace("Z", "+00:00") if kind is not timedelta else given)
                except (ValueError, ExpressionRefused):
                    return _NO
                return read_value if type(read_value) is kind else _NO
            return _NO
    return _NO


@dataclass(frozen=True)
class UnaryTests:
    """A cell's tests: it matches when one of them does (`not(…)`: when none does)."""

    tests: tuple[Test, ...]
    negated: bool = False

    def matches(self, given: Any) -> bool:
        """Whether the cell matches the value; a test that cannot compare it (FEEL's null) does not match, and
        `not(…)` of such a test does not either."""
        results = [t.matches(given) for t in self.tests]
        hit = True if True in results else None if None in results else False
        return hit is False if self.negated else hit is True


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, position = [], 0
    while position < len(text):
        if _END.match(text, position):
            break
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise NotFeel
        position = found.end()
        kind = found.lastgroup if found.lastgroup != "arg" else "typed"
        if kind == "string":
            out.append(("value", _text(found.group("string"))))
        elif kind == "typed":
            out.append(("value", _typed(found.group("typed"), _text(found.group("arg")))))
        elif kind == "number":
            number = found.group("number")
            if len(number) > _MAX_DIGITS:
                raise NotFeel  # left to the Python reading, which refuses what it must
            out.append(("value", float(number) if "." in number else int(number)))
        elif kind == "word":
            word = found.group("word")
            out.append(("not", None) if word == "not" else ("value", {"true": True, "false": False, "null": None}[word]))
        else:
            out.append((found.group(kind), None))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self, *kinds: str) -> tuple[str, Any]:
        if self.peek() not in kinds:
            raise NotFeel
        self.at += 1
        return self.tokens[self.at - 1]

    def cell(self) -> UnaryTests:
        negated = self.peek() == "not"
        if negated:
            self.take("not")
            self.take("(")
        tests = [self.test()]
        while self.peek() == ",":
            self.take(",")
            tests.append(self.test())
        if negated:
            self.take(")")
        if self.peek() is not None:
            raise NotFeel
        return UnaryTests(tuple(tests), negated)

    def test(self) -> Test:
        kind = self.peek()
        if kind in ("<", "<=", ">", ">=", "=", "!="):
            self.take(kind)
            return self.checked(Test(kind, self.take("value")[1]))
        if kind in ("[", "]", "("):
            self.take(kind)
            low = self.take("value")[1]
            self.take("..")
            high = self.take("value")[1]
            end = self.take("]", "[", ")")[0]
            return self.checked(Test("..", low, high, kind != "[", end != "]"))
        return Test("=", self.take("value")[1])

    @staticmethod
    def checked(test: Test) -> Test:
        """A comparison needs an ordered value of one type at both ends (`< true`, `["a"..3]` are no tests)."""
        ends = [test.value] if test.op != ".." else [test.value, test.high]
        if test.op in ("=", "!="):
            return test
        if any(e is None or isinstance(e, bool) for e in ends) or (
                len(ends) == 2 and _comparable(ends[1], ends[0]) is _NO):
            raise NotFeel
        return test


_NOT_A_VALUE = object()


def value(text: str | None) -> Any:
    """An output cell's FEEL value as case data keeps it (`true` → True, `null` → None, `date("2026-01-01")` → the text
    2026-01-01, as forms keep dates; a date-time, time or duration likewise as its ISO text), or _NOT_A_VALUE when the
    cell is not one FEEL value (it is then read as Python). Raises ExpressionRefused as `parse` does."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        return _NOT_A_VALUE
    try:
        tokens = _tokens(text)
    except NotFeel:
        return _NOT_A_VALUE
    if len(tokens) != 1 or tokens[0][0] != "value":
        return _NOT_A_VALUE
    found = tokens[0][1]
    if isinstance(found, timedelta):
        return re.search(r'"(.*)"', text).group(1)
    return found.isoformat() if isinstance(found, (date, time)) else found


def is_value(found: Any) -> bool:
    return found is not _NOT_A_VALUE


@lru_cache(maxsize=4096)
def parse(text: str | None) -> UnaryTests | None:
    """The cell's FEEL unary tests, or None when it is not written as such (or is `-` / empty: no test at all).
    Raises ExpressionRefused for a FEEL value that cannot be used (`date("2026-02-30")`, `duration("P1Y")`)."""
    text = (text or "").strip()
    if text in ("", "-"):
        return None
    if len(text) > MAX_TEXT:
        raise ExpressionRefused(M("expr_too_long", limit=f"{MAX_TEXT:,}"))
    try:
        return _Parser(_tokens(text)).cell()
    except NotFeel:
        return None
