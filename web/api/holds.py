"""Legal holds through the API (auditors, administrators): list a case's holds, place one, lift one."""
from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from engine import retention
from engine.errors import NotFound
from engine.models import Case

from ..context import runtime
from . import api
from .core import Context, Reply
from .oversight import AUDIT
from .portal import KEY
from .schemas import Body, Out

HOLD = {"hold_id": {"type": "string", "pattern": "^[1-9][0-9]{0,17}$", "example": "3"}}


class Hold(Out):
    id: int
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None


class Holds(Out):
    business_key: str
    purged_at: datetime | None = Field(description="when the retention policy purged the case, if it did")
    holds: list[Hold] = Field(description="oldest first; one without lifted_at is in force")


class Reason(Body):
    reason: str = Field(min_length=1, max_length=retention.MAX_REASON, examples=["行政复议审理中，暂缓销毁"])


def _holds(session, business_key: str) -> Holds:
    case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
    if case is None:
        raise NotFound(f"no case {business_key}")
    return Holds(business_key=business_key, purged_at=case.purged_at,
                 holds=[Hold.model_validate(h) for h in retention.holds_of(session, case.id)])


@api.operation("GET", "/cases/{business_key}/legal-holds", tag="cases", roles=AUDIT, path_params=KEY,
               problems=(404,), summary="List a case's legal holds", responses={200: (Holds, "The holds, oldest first")})
def list_holds(ctx: Context, business_key: str) -> Reply:
    """Holds in force keep the case from being purged under its process's retention policy."""
    with runtime().db.read() as session:
        return Reply(200, _holds(session, business_key))


@api.operation("POST", "/cases/{business_key}/legal-holds", tag="cases", roles=AUDIT, path_params=KEY, body=Reason,
               problems=(404, 409), summary="Place a legal hold on a case",
               responses={201: (Holds, "The hold is in force: the case is not purged until it is lifted")})
def place_hold(ctx: Context, business_key: str) -> Reply:
    """Recorded in the audit log; refused for a case already purged."""
    with runtime().db.write() as session:
        retention.place(session, ctx.actor, business_key, ctx.body.reason)
        return Reply(201, _holds(session, business_key))


@api.operation("POST", "/legal-holds/{hold_id}/lift", tag="cases", roles=AUDIT, path_params=HOLD, body=Reason,
               problems=(404, 409), summary="Lift a legal hold", responses={200: (Holds, "The case's holds now")})
def lift_hold(ctx: Context, hold_id: str) -> Reply:
    """Recorded in the audit log; the case may be purged again once its time has come."""
    with runtime().db.write() as session:
        hold = retention.lift(session, ctx.actor, int(hold_id), ctx.body.reason)
        key = session.execute(select(Case.business_key).where(Case.id == hold.case_id)).scalar_one()
        return Reply(200, _holds(session, key))
