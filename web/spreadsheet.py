"""What the pages' CSV exports write where a spreadsheet would read a formula, and a sheet's name Excel accepts."""
from __future__ import annotations

import re

_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str) -> str:
    """A worksheet's name as Excel accepts it: none of []:*?/\\, no apostrophe at either end, at most 31
    characters."""
    return _NOT_IN_SHEET_NAMES.sub(" ", text).strip(" '")[:31].strip(" '") or "Sheet"


def as_text(value):
    """A CSV value that a spreadsheet would read as a formula (=, +, -, @ first) kept as text by a leading quote."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
