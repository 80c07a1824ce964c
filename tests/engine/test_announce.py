"""Notices the worker derives from the audit log: a step arriving goes to whoever may take it (or its
assignee), a reminder to the holder, an escalation to the department's supervisors, a stagnation alert to
the supervisors it names; each once, even with two workers, and a step done before the worker came is not
announced. Mail of them goes through a real SMTP server."""
from __future__ import annotations

import threading
from datetime import timedelta

import time_machine
from sqlalchemy import select, update

from engine import alerts, announce, cases, mail, notices, repository, timers
from engine.models import Notification, Task, User
from engine.routing import add_user
from factories import SYSTEM, bpmn, complete, deploy_fixtures, make_users, opened, start
from tests.engine.test_alerts import BODY, LANES, _refresh, _sweep, at
from tests.engine.test_mail import smtp  # noqa: F401 - the local SMTP server fixture


def announced(rt):
    with rt.db.write() as session:
        while announce.refresh(session) == announce.BATCH:
            pass


def kinds(rt, username):
    with rt.db.read() as session:
        return sorted((n.kind, n.business_key) for n in notices.recent(session, username))


def test_a_step_arriving_is_announced_once_to_whoever_may_take_it(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    users = make_users(rt)
    out = start(rt, "send_back", {"signers": ["a"]})
    announced(rt)
    announced(rt)  # the watermark moved on: nothing twice
    for name in ("edu_reviewer", "edu_reviewer2", "edu_chief"):
        assert kinds(rt, name) == [("arrived", out.business_key)]
    assert kinds(rt, "psb_reviewer") == []
    # the next steps: one for EDU, one for PSB; PSB's is claimed before the worker comes, so only its holder hears
    nxt = complete(rt, users["edu_reviewer"], opened(out)["intake"], {"household": "本市户籍"})
    with rt.db.write() as session:
        cases.claim(session, rt, users["psb_reviewer"], opened(nxt)["psb_check"])
    announced(rt)
    assert kinds(rt, "psb_reviewer") == [("arrived", out.business_key)] and kinds(rt, "psb_chief") == []
    # a step done before the worker came is not announced any more
    third = start(rt, "send_back", {"signers": ["a"]})
    complete(rt, users["edu_reviewer"], opened(third)["intake"], {"household": "外地"})
    announced(rt)
    with rt.db.read() as session:
        told = {n.task_id for n in notices.recent(session, "edu_chief") if n.business_key == third.business_key}
    assert opened(third)["intake"] not in told and len(told) == 1  # only its next step (教育审核) was announced


SLA_BODY = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="check"/>
      <bpmn:userTask id="check" name="核验" camunda:dueDate="workdays(2)"/>
      <bpmn:boundaryEvent id="remind" attachedToRef="check" cancelActivity="false"><bpmn:extensionElements>
        <camunda:properties><camunda:property name="sla" value="reminder"/></camunda:properties></bpmn:extensionElements>
        <bpmn:timerEventDefinition><bpmn:timeDuration>workdays(1)</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
      <bpmn:sequenceFlow id="f2" sourceRef="remind" targetRef="r"/><bpmn:endEvent id="r"/>
      <bpmn:boundaryEvent id="escalate" attachedToRef="check" cancelActivity="false"><bpmn:extensionElements>
        <camunda:properties><camunda:property name="sla" value="escalation"/></camunda:properties></bpmn:extensionElements>
        <bpmn:timerEventDefinition><bpmn:timeDuration>workdays(2)</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
      <bpmn:sequenceFlow id="f3" sourceRef="escalate" targetRef="x"/><bpmn:endEvent id="x"/>
      <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="e"/><bpmn:endEvent id="e"/>"""


def sla_case(rt):
    """A step due in two working days (Monday 12 October 2026 09:00 → Wednesday 14 October 09:00), reminded after
    one, escalated after two; claimed by psb_reviewer."""
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"sla.bpmn": bpmn("sla", SLA_BODY, lanes={
            "PSB": ["s", "check", "remind", "r", "escalate", "x", "e"]})})
    users = make_users(rt)
    with time_machine.travel(at("2026-10-12", 9), tick=False):
        out = start(rt, "sla", {})
        with rt.db.write() as session:
            cases.claim(session, rt, users["psb_reviewer"], opened(out)["check"])
    assert opened(out) and out.opened[0]["due_at"] == at("2026-10-14", 9)
    return out


def fire_and_announce(rt, out, day, hour, announce=True):
    with time_machine.travel(at(day, hour), tick=False):
        with rt.db.write() as session:
            cases.fire_timers(session, rt, out.case_id)
        if announce:
            announced(rt)


def test_reminders_go_to_the_holder_and_escalations_to_the_supervisors(rt):
    out = sla_case(rt)
    fire_and_announce(rt, out, "2026-10-13", 10)  # the reminder, a day before the step is due
    assert kinds(rt, "psb_reviewer") == [("arrived", out.business_key), ("reminded", out.business_key)]
    fire_and_announce(rt, out, "2026-10-14", 10)  # due at 09:00: escalated
    assert kinds(rt, "psb_reviewer") == [("arrived", out.business_key), ("reminded", out.business_key)]
    assert kinds(rt, "psb_chief") == [("escalated", out.business_key)]


def test_a_step_already_overdue_is_never_reminded_as_due_soon(rt, smtp):  # noqa: F811 - the fixture
    """The worker was down through the reminder's time and the due time: both timers fire together after the step
    is due. The holder is told it is overdue (已超期), not that it is due soon (即将到期); the supervisors hear of the
    escalation as before."""
    out = sla_case(rt)
    with rt.db.write() as session:
        session.execute(update(User).where(User.username == "psb_reviewer").values(email="psb@gov.example"))
    fire_and_announce(rt, out, "2026-10-14", 10)
    assert kinds(rt, "psb_reviewer") == [("arrived", out.business_key), ("overdue", out.business_key)]
    assert kinds(rt, "psb_chief") == [("escalated", out.business_key)]
    with rt.db.read() as session:  # the timer did fire and is on the record as the reminder it is
        assert session.get(Task, opened(out)["check"]).reminded_at == at("2026-10-14", 10)
    assert mail.send_due(rt.db)[0] >= 1
    subjects = [m["Subject"] for to, m in smtp.messages if "psb@gov.example" in to]
    assert any("已超期" in s for s in subjects) and not any("即将到期" in s for s in subjects), subjects


def test_a_reminder_announced_after_the_due_time_says_overdue(rt):
    """The reminder fired in time but the worker announced it only after the step fell due (a backlog): what the
    holder reads is true when they read it."""
    out = sla_case(rt)
    fire_and_announce(rt, out, "2026-10-13", 10, announce=False)
    with time_machine.travel(at("2026-10-14", 9) + timedelta(minutes=30), tick=False):
        announced(rt)
    assert kinds(rt, "psb_reviewer") == [("arrived", out.business_key), ("overdue", out.business_key)]
    # just before the due time it is still a reminder that the step is due soon
    second = sla_case_again(rt)
    fire_and_announce(rt, second, "2026-10-13", 10, announce=False)
    with time_machine.travel(at("2026-10-14", 9) - timedelta(minutes=1), tick=False):
        announced(rt)
    with rt.db.read() as session:
        told = {n.kind for n in notices.recent(session, "psb_reviewer") if n.business_key == second.business_key}
    assert told == {"arrived", "reminded"}


def sla_case_again(rt):
    with time_machine.travel(at("2026-10-12", 9), tick=False):
        out = start(rt, "sla", {})
    return out


def test_an_overdue_step_is_reported_to_the_rank_above_and_a_heads_to_the_overseers(rt):
    make_users(rt)
    with rt.db.write() as session:
        add_user(session, "psb_head", "psb_head", memberships={"PSB": "head"})
        add_user(session, "joint_chief", "joint_chief", memberships={"JOINT": "supervisor"})
    with rt.db.read() as session:
        assert announce.reported_to(session, Task(department_code="PSB", role="reviewer")) == ["psb_chief", "psb_head"]
        assert announce.reported_to(session, Task(department_code="PSB", role="supervisor")) == ["psb_head"]
        assert announce.reported_to(session, Task(department_code="PSB", role="head")) == ["joint_chief"]
        assert announce.reported_to(session, Task(department_code="HUD", role="reviewer")) == ["joint_chief"]


def test_a_stagnation_alert_goes_to_the_supervisors_it_names(rt):
    users = make_users(rt)
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"kpi.bpmn": bpmn("kpi", BODY, LANES)})
        alerts.add_rule(session, rt, SYSTEM, alerts.RuleSpec("kpi", "idle", 2))
    with time_machine.travel(at("2026-10-12", 9), tick=False), rt.db.write() as session:
        out = cases.start(session, rt, SYSTEM, "kpi", {}, business_key="S1")
    _refresh(rt)
    assert _sweep(rt, at("2026-10-14", 10)) == 1
    announced(rt)
    department = out.opened[0]["department_code"]
    supervisor = {"EDU": "edu_chief", "PSB": "psb_chief"}[department]
    assert ("alert", "S1") in kinds(rt, supervisor)
    assert users and ("alert", "S1") not in kinds(rt, "edu_reviewer2")


def test_arrival_mail_goes_once_even_with_two_workers(rt, smtp):  # noqa: F811 - the fixture
    deploy_fixtures(rt, "send_back.bpmn")
    make_users(rt)
    with rt.db.write() as session:
        session.execute(update(User).where(User.username.in_(("edu_reviewer", "edu_chief")))
                        .values(email=User.username + "@gov.example"))
    keys = [start(rt, "send_back", {"signers": ["a"]}).business_key for _ in range(3)]
    threads = [threading.Thread(target=timers.announce_all, args=(rt,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with rt.db.read() as session:
        rows = session.execute(select(Notification.username, Notification.business_key)
                               .where(Notification.kind == "arrived")).all()
    assert len(rows) == len(set(rows)) == 9  # three members, three steps, each once
    assert mail.send_due(rt.db) == (6, 0)
    subjects = [m["Subject"] for _, m in smtp.messages]
    assert len(subjects) == 6 and all("已到达" in s for s in subjects)
    assert {k for k in keys} == {k for k in keys if any(k in s for s in subjects)}
