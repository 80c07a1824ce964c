"""Chinese resident identity card numbers (居民身份证号码, GB 11643-1999): checks and generation."""
from __future__ import annotations

import random
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def problem(number: str | None) -> str | None:
    """Why `number` is not a valid 18-digit resident ID number, or None when it is."""
    text = (number or "").strip().upper()
    if len(text) != 18:
        return f"must have 18 characters, not {len(text)}"
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return "must be 17 digits followed by a digit or X"
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return f"contains an impossible birth date ({text[6:14]})"
    if born > date.today() or born.year < 1900:
        return f"contains a birth date out of range ({born.isoformat()})"
    if check_digit(text[:17]) != text[17]:
        return "check digit does not match (GB 11643)"
    return None


def birth_date(number: str) -> date:
    """The birth date encoded in a valid number."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask(number: str | None) -> str:
    """`110105********1234`: region and last four digits only."""
    text = (number or "").strip()
    return text[:6] + "*" * (len(text) - 10) + text[-4:] if len(text) > 10 else "*" * len(text)


def make(region: str, born: date, rng: random.Random, female: bool | None = None) -> str:
    """A valid number for a region code (6 digits) and birth date; the sex digit follows `female`."""
    sequence = rng.randrange(0, 100)
    sex = rng.randrange(0, 10) if female is None else rng.choice([0, 2, 4, 6, 8] if female else [1, 3, 5, 7, 9])
    first17 = f"{region}{born:%Y%m%d}{sequence:02d}{sex}"
    return first17 + check_digit(first17)
