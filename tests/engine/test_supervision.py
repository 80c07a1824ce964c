"""督办: the overseeing office opens a supervision item on an overdue case with its own deadline in working
days; the departments holding the overdue steps are notified; one open item per case; closed with a note."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from engine import notices, supervision
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.models import Task
from engine.routing import add_user, load_actor
from factories import deploy_fixtures, make_users, start

OVERSEERS = ("JOINT",)


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    made = make_users(rt)
    with rt.db.write() as session:
        add_user(session, "joint_officer", "联席办", memberships={"JOINT": "reviewer"})
    with rt.db.read() as session:
        made["joint_officer"] = load_actor(session, "joint_officer")
    return made


def overdue_case(rt):
    out = start(rt, "send_back", {"signers": ["a"]})
    with rt.db.write() as session:
        session.execute(update(Task).values(due_at=datetime.now(timezone.utc) - timedelta(days=2)))
    return out


def test_the_office_supervises_an_overdue_case_and_closes_the_item(rt, users):
    out = overdue_case(rt)
    with rt.db.write() as session:
        item = supervision.open_item(session, users["joint_officer"], OVERSEERS, rt.calendar, out.business_key,
                                     "超期两个工作日，请于三日内办结", 3)
        assert item.due_at > datetime.now(timezone.utc) + timedelta(days=2)
    with rt.db.read() as session:
        assert [n.kind for n in notices.recent(session, "edu_chief")] == ["supervised"]
        assert len(supervision.open_items(session)) == 1
    with pytest.raises(Conflict, match="already under supervision"):
        with rt.db.write() as session:
            supervision.open_item(session, users["joint_officer"], OVERSEERS, rt.calendar, out.business_key, "再次", 3)
    with rt.db.write() as session:
        supervision.close_item(session, users["joint_officer"], OVERSEERS, item.id, "已办结")
    with rt.db.read() as session:
        assert supervision.open_items(session) == []


def test_only_overseers_and_only_overdue_cases(rt, users):
    fresh = start(rt, "send_back", {"signers": ["a"]})
    with pytest.raises(Conflict, match="no overdue step"):
        with rt.db.write() as session:
            supervision.open_item(session, users["joint_officer"], OVERSEERS, rt.calendar, fresh.business_key, "x", 3)
    out = overdue_case(rt)
    with pytest.raises(PermissionDenied):
        with rt.db.write() as session:
            supervision.open_item(session, users["edu_chief"], OVERSEERS, rt.calendar, out.business_key, "x", 3)
    with pytest.raises(InvalidInput):
        with rt.db.write() as session:
            supervision.open_item(session, users["joint_officer"], OVERSEERS, rt.calendar, out.business_key, "", 0)
