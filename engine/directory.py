"""Sub-units of a department (the street offices of 街道办, each with its grid workers): a step can go to the
unit whose area covers the applicant's address instead of to anyone of the department; and what a department
calls its head (局长, 主任), in both languages.

A unit is a department of its own (its staff are members of it, its steps sit in its inbox) with a parent and
an area: the district it lies in and the names (streets, roads, communities) an address of its area contains.
Whoever has nobody above them in a unit reports to the parent department (see `announce.reported_to`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, wallclock
from .errors import InvalidInput, Message, NotFound, catalogue
from .models import Department
from .routing import Actor

_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{1,15}$")
MAX_NAMES = 200
MESSAGES = catalogue({
    "unit_code": "must be 2 to 16 capital letters, digits, - or _, starting with a letter (e.g. STREET-BS)",
    "unit_name": "give the unit's Chinese name (at most 100 characters)",
    "unit_parent": "{parent!r} is not a top-level department",
    "unit_own_parent": "a unit cannot be its own parent",
    "unit_covers": "name the district or the streets, roads or communities the unit covers",
    "unit_names": "at most {limit} names of at most 50 characters each",
    "unit_top": "{code} is a top-level department",
    "unit_not_saved": "the unit was not saved",
    "head_title_zh": "give the head's title in Chinese, e.g. 局长 or 主任 (at most {limit} characters, one line)",
    "head_title_en": "give the head's title in English, e.g. Director (at most {limit} characters, one line)",
    "head_title_not_saved": "the head's title was not saved",
})
TITLE_ZH, TITLE_EN = 20, 60  # the columns' lengths (departments.head_title_zh / _en)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    parent: str
    district: str | None
    covers: tuple[str, ...]


def _unit(d: Department) -> Unit:
    return Unit(d.code, d.name_zh, d.parent_code or "", d.district or None,
                tuple(n for n in (d.covers or "").splitlines() if n))


def add_unit(session: Session, by: Actor, code: str, name_zh: str, name_en: str, parent: str, district: str | None,
             covers: list[str]) -> Unit:
    """Add (or change) a sub-unit of a top-level department, recorded in the audit log; InvalidInput names
    every bad field."""
    code, parent = (code or "").strip().upper(), (parent or "").strip().upper()
    names = [n.strip() for n in covers if n and n.strip()]
    errors = {}
    if not _CODE.match(code):
        errors["code"] = Message("unit_code")
    if not (name_zh or "").strip() or len(name_zh.strip()) > 100:
        errors["name_zh"] = Message("unit_name")
    top = session.get(Department, parent) if parent else None
    if top is None or top.parent_code:
        errors["parent"] = Message("unit_parent", parent=parent)
    if code == parent:
        errors["code"] = Message("unit_own_parent")
    if not names and not (district or "").strip():
        errors["covers"] = Message("unit_covers")
    if len(names) > MAX_NAMES or any(len(n) > 50 for n in names):
        errors["covers"] = Message("unit_names", limit=MAX_NAMES)
    existing = session.get(Department, code) if "code" not in errors else None
    if existing is not None and not existing.parent_code:
        errors["code"] = Message("unit_top", code=code)
    if errors:
        raise InvalidInput(Message("unit_not_saved"), errors)
    wanted = (name_zh.strip(), (name_en or "").strip() or name_zh.strip(), parent, (district or "").strip() or None,
              "\n".join(names))
    if existing is not None and (existing.name_zh, existing.name_en, existing.parent_code, existing.district,
                                 existing.covers) == wanted:
        return _unit(existing)  # as it is: nothing to change or record
    row = existing or Department(code=code, aliases="")
    row.name_zh, row.name_en, row.parent_code, row.district, row.covers = wanted
    session.add(row)
    session.flush()
    unit = _unit(row)
    audit.append(session, [audit.Event("department_unit_saved", by.username, {
        "unit": unit.code, "name": unit.name, "parent": unit.parent, "district": unit.district,
        "covers": list(unit.covers)})], wallclock.now())
    return unit


def codes(session: Session) -> list[str]:
    """Every department's code, units too, in the order the pages list departments to pick from: by code, so a
    unit follows its department (STREET, STREET-CH, STREET-CX, …)."""
    return list(session.execute(select(Department.code).order_by(Department.code)).scalars())


def units(session: Session, parent: str) -> list[Unit]:
    """The sub-units of a department, by code."""
    rows = session.execute(select(Department).where(Department.parent_code == parent).order_by(Department.code))
    return [_unit(d) for d in rows.scalars()]


def parent_of(session: Session, code: str) -> str | None:
    """The department a unit belongs to (None for a top-level department)."""
    row = session.get(Department, code)
    return row.parent_code if row is not None else None


def unit_for(session: Session, parent: str, district: str | None, address: str | None) -> Unit | None:
    """The unit of `parent` whose area covers an address: in its district (when it names one; the address's
    own district name counts when none is given) and, when it names places, the one whose longest name the
    address contains. None: no unit covers it."""
    address, given = (address or "").replace(" ", ""), (district or "").strip()
    best, score = None, -1
    for unit in units(session, parent):
        if unit.district and (unit.district != given if given else unit.district not in address):
            continue  # another district (an address without one given names it itself)
        matched = max((len(n) for n in unit.covers if n.replace(" ", "") in address), default=-1 if unit.covers else 0)
        if matched > score:
            best, score = unit, matched
    return best if score >= 0 else None


@dataclass(frozen=True)
class HeadTitle:
    code: str
    zh: str | None
    en: str | None


def head_title(session: Session, code: str) -> HeadTitle:
    """What a department calls its head (None: the role's word; a unit then goes by its department's title)."""
    row = session.get(Department, (code or "").strip().upper())
    if row is None:
        raise NotFound(Message("no_department", department=(code or "").strip()))
    return HeadTitle(row.code, row.head_title_zh, row.head_title_en)


def set_head_title(session: Session, by: Actor, code: str, zh: str | None, en: str | None,
                   clear: bool = False) -> HeadTitle:
    """Set what a department calls its head, in Chinese and English (both are needed), or `clear` its own title;
    recorded in the audit log with the title before. NotFound for an unknown department, InvalidInput naming each
    bad title; nothing is changed on an error."""
    before = head_title(session, code)
    zh, en = ("", "") if clear else ((zh or "").strip(), (en or "").strip())
    errors = {}
    if not clear and (not zh or len(zh) > TITLE_ZH or _CONTROL.search(zh)):
        errors["zh"] = Message("head_title_zh", limit=TITLE_ZH)
    if not clear and (not en or len(en) > TITLE_EN or _CONTROL.search(en)):
        errors["en"] = Message("head_title_en", limit=TITLE_EN)
    if errors:
        raise InvalidInput(Message("head_title_not_saved"), errors)
    after = HeadTitle(before.code, zh or None, en or None)
    if after == before:
        return after  # as it is: nothing to change or record
    row = session.get(Department, before.code)
    row.head_title_zh, row.head_title_en = after.zh, after.en
    session.flush()
    audit.append(session, [audit.Event("department_head_title_set", by.username, {
        "department": after.code, "before": [before.zh, before.en], "after": [after.zh, after.en]}, after.code)],
        wallclock.now())
    return after
