"""Chinese resident identity card numbers (居民身份证号码, GB 11643-1999): checks and generation."""
from __future__ import annotations

import random
import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


# Why a number is refused, by code (English; the web layer translates, the Chinese wording goes into case data)
MESSAGES = {
    "id_length": "ID number must have 18 characters, not {length}",
    "id_format": "ID number must be 17 digits followed by a digit or X",
    "id_birth_impossible": "ID number contains an impossible birth date ({birth})",
    "id_birth_range": "ID number contains a birth date out of range ({birth})",
    "id_check_digit": "ID number check digit does not match (GB 11643)",
}
ZH = {
    "id_length": "应为18位，实为{length}位", "id_format": "应为17位数字加1位数字或X",
    "id_birth_impossible": "出生日期不存在（{birth}）", "id_birth_range": "出生日期超出范围（{birth}）",
    "id_check_digit": "校验码不符（GB 11643）",
}


def problem_code(number: str | None) -> tuple[str, dict] | None:
    """Why `number` is not a valid 18-digit resident ID number, as (code, params); None when it is valid."""
    text = (number or "").strip().upper()
    if len(text) != 18:
        return "id_length", {"length": len(text)}
    if not text.isascii() or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):  # ² is a digit
        return "id_format", {}
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return "id_birth_impossible", {"birth": text[6:14]}
    if born > date.today() or born.year < 1900:
        return "id_birth_range", {"birth": born.isoformat()}
    if check_digit(text[:17]) != text[17]:
        return "id_check_digit", {}
    return None


def problem(number: str | None, zh: bool = False) -> str | None:
    """Why `number` is not a valid resident ID number (in English, or in Chinese for case data), or None."""
    found = problem_code(number)
    if found is None:
        return None
    code, params = found
    return (ZH if zh else MESSAGES)[code].format(**params)


def birth_date(number: str) -> date:
    """The birth date encoded in a valid number."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask(number: str | None) -> str:
    """`110105********1234`: region and last four digits only."""
    text = (number or "").strip()
    return text[:6] + "*" * (len(text) - 10) + text[-4:] if len(text) > 10 else "*" * len(text)


_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")  # an 18-character number inside free text


def mask_in_text(text: str) -> str:
    """Free text (a question, an answer) with every ID number typed into it masked as `mask` masks one."""
    return _IN_TEXT.sub(lambda m: mask(m.group()), text)


def make(region: str, born: date, rng: random.Random, female: bool | None = None) -> str:
    """A valid number for a region code (6 digits) and birth date; the sex digit follows `female`."""
    sequence = rng.randrange(0, 100)
    sex = rng.randrange(0, 10) if female is None else rng.choice([0, 2, 4, 6, 8] if female else [1, 3, 5, 7, 9])
    first17 = f"{region}{born:%Y%m%d}{sequence:02d}{sex}"
    return first17 + check_digit(first17)
