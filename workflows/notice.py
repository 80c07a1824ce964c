"""The public notice (公示) of approved subsidies: a list anyone may read (the name masked, the subsidy, the
amount, the area and the notice period) and object through, by the notice's own number, without knowing the
case. The subsidy process registers its notice (`subsidy.notice`, after it computed the period); an
objection reaches the case as its `objection` message, and the notice leaves the list until the case is
checked again and published anew.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases, wallclock
from engine.errors import Conflict, InvalidInput, NotFound
from engine.forms import HIDDEN, ascii_digits
from engine.routing import Actor
from engine.runtime import Runtime, ServiceCall

from .models import Application
from .portal import SUBSIDY_TYPES

PUBLIC_ACTOR = Actor.system("public-notice")
MAX_LISTED = 500
MAX_REASON = 2000
_PHONE_DIGITS = 11
HIDDEN_CHARACTERS = "contains control characters, invisible characters or hidden text-direction marks"


@dataclass(frozen=True)
class Notice:
    notice_id: str
    name: str  # masked
    subsidy: str
    amount: int | None
    area: str
    notice_from: datetime
    notice_until: datetime


def register(call: ServiceCall) -> dict[str, Any]:
    """Put the approved application on the public list for its notice period (again, after an objection)."""
    data = call.data
    app = call.session.execute(select(Application).where(Application.business_key == call.business_key)).scalar_one()
    app.status = "notice"
    app.notice_from = datetime.fromisoformat(data["notice_from"])
    app.notice_until = datetime.fromisoformat(data["notice_until"])
    app.amount = int(data["amount"]) if data.get("amount") is not None else None
    app.area = str(data.get("district") or "")[:50]
    app.notice_id = app.notice_id or secrets.token_hex(5).upper()
    call.record("notice_published", notice=app.notice_id, until=data["notice_until"])
    return {"notice_id": app.notice_id}


def masked(name: str) -> str:
    """张* for two characters, 张*伟 for three, 欧阳** for four: the family name and, past two, the last one."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    if len(name) == 3:
        return name[0] + "*" + name[2]
    return name[:2] + "*" * (len(name) - 2)


def listed(session: Session, now: datetime | None = None) -> list[Notice]:
    """The subsidies under public notice now, the ones ending soonest first."""
    now = now or wallclock.now()
    rows = session.execute(select(Application).where(Application.status == "notice", Application.notice_until > now)
                           .order_by(Application.notice_until, Application.id).limit(MAX_LISTED)).scalars()
    return [Notice(a.notice_id, masked(a.applicant_name), SUBSIDY_TYPES.get(a.subsidy_type, a.subsidy_type), a.amount,
                   a.area or "", a.notice_from, a.notice_until) for a in rows]


def object_to(session: Session, rt: Runtime, notice_id: str, reason: str, name: str, phone: str) -> None:
    """Record an objection (异议) to a listed subsidy; InvalidInput names each bad field, NotFound when the
    number is not under notice now."""
    reason, name = (reason or "").strip(), (name or "").strip()
    phone = ascii_digits("".join((phone or "").replace("-", " ").split()))  # １３７ 0013-7000 as 13700137000
    errors = {}
    if not reason:
        errors["reason"] = "say what the objection is about"
    elif len(reason) > MAX_REASON:
        errors["reason"] = "at most 2000 characters"
    elif HIDDEN.search(reason):  # anyone writes here, and the office reads it on the case's page
        errors["reason"] = HIDDEN_CHARACTERS
    if not name or len(name) > 20:
        errors["objector_name"] = "give your name (at most 20 characters)"
    elif HIDDEN.search(name):  # 李\u200b娜 is not the name it looks like
        errors["objector_name"] = HIDDEN_CHARACTERS
    if not (len(phone) == _PHONE_DIGITS and phone.isascii() and phone.isdigit() and phone.startswith("1")):
        errors["objector_phone"] = "give a mobile number of 11 digits, so the office can reach you"
    if errors:
        raise InvalidInput("the objection was not recorded", errors)
    app = session.execute(select(Application).where(Application.notice_id == (notice_id or "").upper())
                          .with_for_update()).scalar_one_or_none()
    if app is None or app.status != "notice" or app.notice_until is None or app.notice_until <= wallclock.now():
        raise NotFound(f"no subsidy is under public notice as {notice_id!r}")
    try:
        cases.send_message(session, rt, PUBLIC_ACTOR, app.business_key, "objection",
                           {"reason": reason, "objector_name": name, "objector_phone": phone})
    except Conflict:
        raise NotFound(f"no subsidy is under public notice as {notice_id!r}") from None
    app.status = "objected"
