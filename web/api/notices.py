"""The public notice (公示) through the API, for the portal: the subsidies under notice now, and an objection by
the notice's number (no business key, no personal data beyond the masked name)."""
from __future__ import annotations

from datetime import datetime

from pydantic import Field

from engine import wallclock
from workflows import notice

from ..context import runtime
from . import api
from .core import Context, Reply
from .portal import PORTAL
from .schemas import Objection, Out

NOTICE = {"notice_id": {"type": "string", "pattern": "^[0-9A-Fa-f]{10}$", "example": "3F2A9C01B7"}}


class PublicNotice(Out):
    notice_id: str = Field(description="the notice's own number: object under it")
    name: str = Field(description="the applicant's name, masked (张*伟)")
    subsidy: str
    amount: int | None = Field(description="the approved amount in yuan")
    area: str
    notice_from: datetime
    notice_until: datetime = Field(description="objections are taken until this moment")


class Notices(Out):
    items: list[PublicNotice]


class ObjectionReceived(Out):
    notice_id: str
    received_at: datetime


@api.operation("GET", "/notices", tag="applications", roles=PORTAL, summary="List the subsidies under public notice",
               responses={200: (Notices, "Under notice now, the ones ending soonest first")})
def list_notices(ctx: Context) -> Reply:
    """What the notice board shows: masked names, the subsidy, the amount, the area and the period."""
    with runtime().db.read() as session:
        return Reply(200, Notices(items=[PublicNotice(**vars(n)) for n in notice.listed(session)]))


@api.operation("POST", "/notices/{notice_id}/objections", tag="applications", roles=PORTAL, path_params=NOTICE,
               body=Objection, idempotent=True, problems=(404,), summary="Object to a subsidy under public notice",
               responses={202: (ObjectionReceived, "Registered; the subsidy is checked again")})
def object_to(ctx: Context, notice_id: str) -> Reply:
    """Anyone may object during the notice period; 404 when the number is not under notice now."""
    with ctx.write() as session:
        notice.object_to(session, runtime(), notice_id, ctx.body.reason, ctx.body.objector_name,
                         ctx.body.objector_phone)
        reply = Reply(202, ObjectionReceived(notice_id=notice_id.upper(), received_at=wallclock.now()))
        return ctx.remember(session, reply)
