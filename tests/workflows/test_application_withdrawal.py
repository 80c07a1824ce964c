"""撤回申请: an applicant withdraws an admission or subsidy application until it is decided; the case ends
as withdrawn and every open step is withdrawn; after the decision, or for an inquiry, a clear refusal."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine import withdrawal
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import AuditEntry
from world import PORTAL, World, opened


@pytest.fixture
def world(db_url):
    return World(db_url)


def withdraw(world, key, reason="孩子已在外地入学", channel="portal", actor=PORTAL):
    with world.rt.db.write() as session:
        return withdrawal.withdraw_application(session, world.rt, actor, key, reason, channel)


def test_an_admission_is_withdrawn_before_the_decision(world):
    out = world.start("admission_review", world.person().admission())
    assert "decide" in opened(out)
    done = withdraw(world, out.business_key)
    assert done.status == "completed" and opened(out)["decide"] in done.closed
    assert "milestone" in world.events(out.case_id)
    with world.rt.db.read() as session:
        assert withdrawal.reached(session, out.case_id, "withdrawn")
    with pytest.raises(Conflict, match="completed"):
        withdraw(world, out.business_key)


def test_a_subsidy_application_is_withdrawn_at_the_window(world):
    out = world.start("subsidy_approval", world.person().subsidy())
    with pytest.raises(PermissionDenied):
        withdraw(world, out.business_key, "已找到工作", channel="window", actor=world.users["fin_reviewer"])
    done = withdraw(world, out.business_key, "已找到工作，不再申请", channel="window", actor=world.users["street_reviewer"])
    assert done.status == "completed"
    with world.rt.db.read() as session:
        details = [json.loads(d) for d in session.execute(select(AuditEntry.details).where(
            AuditEntry.case_id == out.case_id, AuditEntry.event == "message_received")).scalars()]
    assert details == [{"message": "application_withdrawn", "data": {"reason": "已找到工作，不再申请", "channel": "window"}}]


def test_a_decided_application_and_an_inquiry_cannot_be_withdrawn(world):
    out = world.start("admission_review", world.person().admission())
    world.complete("edu_reviewer", out, "decide", decision="admit", school_assigned="文三街小学")
    with pytest.raises(Conflict, match="already decided"):
        withdraw(world, out.business_key)
    inquiry = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    with pytest.raises(Conflict, match="cannot be withdrawn"):
        withdraw(world, inquiry.business_key)
    with pytest.raises(InvalidInput):
        withdraw(world, out.business_key, " ")
