"""What the pages' CSV exports write where a spreadsheet would read a formula."""
from __future__ import annotations


def as_text(value):
    """A CSV value that a spreadsheet would read as a formula (=, +, -, @ first) kept as text by a leading quote."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
