"""What the API refuses in raw input before parsing it (nesting, control characters and lone surrogates,
header values), and the opaque keyset cursors of its lists."""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

from engine.errors import Message
from engine.forms import CONTROL_CHARACTERS, HIDDEN

from .problems import Problem

MAX_DEPTH = 20


def _nesting(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings are skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_control_characters(value: Any, path: str) -> None:
    """Text with NUL or other control characters (but tab and line breaks) is refused, naming the field:
    it is never meant, and PostgreSQL cannot store NUL; so is text with invisible characters or text-direction marks,
    as the forms refuse them (zero-width joiners stay)."""
    errors: list[dict[str, str]] = []

    def walk(item: Any, where: str) -> None:
        if isinstance(item, str):
            if CONTROL.search(item):
                errors.append({"field": where or "body", "message": Message("api_control_field"), "code": "control"})
            elif SURROGATE.search(item):
                errors.append({"field": where or "body", "message": Message("api_surrogate"), "code": "surrogate"})
            elif HIDDEN.search(item):  # a zero-width space, a direction override: what the office reads is not what it is
                errors.append({"field": where or "body", "message": Message("api_hidden_field"), "code": "hidden"})
        elif isinstance(item, dict):
            for key, sub in item.items():
                walk(key, where)
                walk(sub, f"{where}.{key}" if where else str(key))
        elif isinstance(item, list):
            for index, sub in enumerate(item):
                walk(sub, f"{where}.{index}" if where else str(index))

    walk(value, path)
    if errors:
        raise Problem(422, Message("api_control" if any(e["code"] != "hidden" for e in errors) else "api_hidden"),
                      errors[:20])


def _string_problem(value: str, schema: dict[str, Any]) -> str | None:
    """What is wrong with a header value by its JSON Schema (length and pattern), or None."""
    if len(value) < schema.get("minLength", 0):
        return Message("api_min_chars", limit=schema["minLength"])
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return Message("api_max_chars", limit=schema["maxLength"])
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, value):
        return Message("api_format")
    if CONTROL.search(value):
        return Message("api_control_field")
    return None


# --- pagination -----------------------------------------------------------------------------------

def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for keyset paging."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *kinds: type) -> list[Any] | None:
    """The values of a cursor (one per kind: int, str, bool, datetime), or a 422 problem naming `cursor`."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        values = None
    if isinstance(values, list) and len(values) == len(kinds):
        try:
            values = [_typed(v, k) for v, k in zip(values, kinds)]
        except (TypeError, ValueError, OverflowError):
            values = None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise Problem(422, Message("api_cursor"),
                      [{"field": "cursor", "message": Message("api_cursor_field"), "code": "bad_cursor"}])
    return values


def _typed(value: Any, kind: type) -> Any:
    if kind is int:
        if type(value) is not int or not 0 <= value < 2**62:
            raise ValueError(value)
        return value
    if kind is bool:
        if type(value) is not bool:
            raise ValueError(value)
        return value
    if kind is datetime:
        if value in (None, ""):
            return None
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if type(value) is not str or len(value) > 100:
        raise ValueError(value)
    return value
