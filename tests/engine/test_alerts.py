"""Stagnation alerts: raised once when a case or step crosses a rule's threshold (in working days), cleared
when the case moves, and found through an index, never by scanning cases."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, text

from engine import alerts, cases, facts, repository
from engine.errors import DeployError, InvalidInput
from engine.models import AuditEntry
from tests.engine.test_kpis import BODY, LANES
from tests.factories import SYSTEM, bpmn, make_users

CST = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def _refresh(rt) -> None:
    with rt.db.write() as session:
        while facts.refresh(session, rt):
            pass


def _sweep(rt, moment) -> int:
    with rt.db.write() as session:
        return alerts.sweep(session, moment)


def _open(rt, departments=None):
    with rt.db.read() as session:
        return alerts.open_alerts(session, departments)


@pytest.fixture
def world(rt):
    users = make_users(rt)
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"kpi.bpmn": bpmn("kpi", BODY, LANES)})
        for spec in (alerts.RuleSpec("kpi", "sla", 50, "review"), alerts.RuleSpec("kpi", "idle", 2),
                     alerts.RuleSpec("kpi", "age", 4)):
            alerts.add_rule(session, rt, SYSTEM, spec)
    return rt, users


def test_alerts_fire_once_and_clear_when_the_case_moves(world):
    rt, users = world
    with time_machine.travel(at("2026-10-12", 9), tick=False), rt.db.write() as session:
        out = cases.start(session, rt, SYSTEM, "kpi", {"district": "西湖区"}, business_key="A1")
    _refresh(rt)
    # review due in 3 working days; half of it is used on Tuesday 13 October at 21:00
    assert _sweep(rt, at("2026-10-13", 20)) == 0
    assert _sweep(rt, at("2026-10-13", 22)) == 1
    assert _sweep(rt, at("2026-10-13", 23)) == 0  # raised once
    _refresh(rt)  # the alert's own audit entry is no progress: the alert stays
    assert [a["kind"] for a in _open(rt, ["EDU"])] == ["sla"] and _open(rt, ["PSB"]) == []
    assert _sweep(rt, at("2026-10-14", 10)) == 1  # no progress since Monday 09:00 for two working days
    with rt.db.read() as session:
        raised = session.execute(select(AuditEntry).where(AuditEntry.event == "stagnation_alert")).scalars().all()
    assert len(raised) == 2 and raised[0].business_key == "A1" and '"notify":["EDU","JOINT"]' in raised[0].details
    with time_machine.travel(at("2026-10-14", 11), tick=False), rt.db.write() as session:
        cases.complete(session, rt, users["edu_reviewer"], out.opened[0]["id"], {"decision": "admit"})
    _refresh(rt)
    assert _open(rt) == []  # the case moved: both alerts cleared
    assert _sweep(rt, at("2026-10-16", 10)) == 1  # four working days since acceptance
    assert [a["kind"] for a in _open(rt)] == ["age"]
    assert _sweep(rt, at("2026-10-16", 12)) == 1  # idle again: two working days since Wednesday 11:00
    assert _sweep(rt, at("2026-10-30", 12)) == 0  # the age alert is never raised twice


def test_a_holiday_pushes_the_alert_back(world):
    rt, _ = world
    with time_machine.travel(at("2026-09-30", 9), tick=False), rt.db.write() as session:
        cases.start(session, rt, SYSTEM, "kpi", {}, business_key="A2")
    _refresh(rt)
    # from Wednesday 30 September 09:00, with 1–7 October off and Saturday 10 October worked:
    # half of the review's 3 working days is used on 8 October 21:00, two idle working days end on
    # 9 October 09:00, four working days since acceptance on Monday 12 October 09:00
    assert _sweep(rt, at("2026-10-07", 23)) == 0 and _sweep(rt, at("2026-10-08", 20)) == 0
    assert _sweep(rt, at("2026-10-08", 22)) == 1 and {a["kind"] for a in _open(rt)} == {"sla"}
    assert _sweep(rt, at("2026-10-09", 8)) == 0
    assert _sweep(rt, at("2026-10-09", 10)) == 1 and {a["kind"] for a in _open(rt)} == {"sla", "idle"}
    assert _sweep(rt, at("2026-10-12", 8)) == 0 and _sweep(rt, at("2026-10-12", 10)) == 1


def test_the_sweep_reads_due_watches_through_their_index(world):
    rt, _ = world
    for i in range(20):
        with time_machine.travel(at("2026-10-12", 9), tick=False), rt.db.write() as session:
            cases.start(session, rt, SYSTEM, "kpi", {}, business_key=f"B{i}")
    _refresh(rt)
    before = rt.db.counts.statements
    assert _sweep(rt, at("2026-10-12", 10)) == 0
    assert rt.db.counts.statements - before <= 3  # one indexed query, whatever the number of cases
    query = ("SELECT id FROM alert_watches WHERE raised_at IS NULL AND fire_at <= '2026-10-12' ORDER BY fire_at LIMIT 10")
    with rt.db.engine.connect() as conn:
        if rt.db.dialect == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(r[0] for r in conn.execute(text("EXPLAIN " + query)))
        else:
            plan = " ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + query)))
    assert "ix_alert_watches_due" in plan


def test_rules_are_validated_and_removing_one_clears_its_alerts(world):
    rt, _ = world
    with rt.db.write() as session:
        for spec in (alerts.RuleSpec("kpi", "late", 3), alerts.RuleSpec("kpi", "sla", 150),
                     alerts.RuleSpec("kpi", "idle", 2, "review")):
            with pytest.raises(InvalidInput):
                alerts.add_rule(session, rt, SYSTEM, spec)
        rule_id = alerts.rules(session)[0].id
    with time_machine.travel(at("2026-10-12", 9), tick=False), rt.db.write() as session:
        cases.start(session, rt, SYSTEM, "kpi", {}, business_key="C1")
    _refresh(rt)
    assert _sweep(rt, at("2026-10-13", 22)) == 1
    with rt.db.write() as session:
        alerts.remove_rule(session, SYSTEM, rule_id)
    assert _open(rt) == []


def targeted(days: str | None) -> dict[str, bytes]:
    props = (f'<bpmn:extensionElements><camunda:properties><camunda:property name="case_target_workdays" '
             f'value="{days}"/></camunda:properties></bpmn:extensionElements>') if days else ""
    return {"t.bpmn": bpmn("targeted", BODY, LANES).replace(b'isExecutable="true">',
                                                            f'isExecutable="true">{props}'.encode())}


def age_rules(rt) -> list[tuple[float, str]]:
    with rt.db.read() as session:
        return [(r.threshold, r.created_by) for r in alerts.rules(session) if r.process_key == "targeted" and r.kind == "age"]


def test_a_processs_case_target_becomes_its_age_alert_and_follows_the_model(rt):
    """`case_target_workdays` on the process (15 for school admission): deploying it sets the `age` rule the
    stagnation alerts watch; a new target replaces it; an administrator's own rule is left alone."""
    for days, expected in (("15", [(15.0, "system:deploy")]), ("12", [(12.0, "system:deploy")]), (None, [])):
        with rt.db.write() as session:
            repository.deploy(session, rt, SYSTEM, targeted(days))
        assert age_rules(rt) == expected
    with rt.db.write() as session:
        alerts.add_rule(session, rt, SYSTEM, alerts.RuleSpec("targeted", "age", 20))
        repository.deploy(session, rt, SYSTEM, targeted("10"))
    assert age_rules(rt) == [(20.0, SYSTEM.username)]
    with pytest.raises(DeployError) as info:
        with rt.db.write() as session:
            repository.deploy(session, rt, SYSTEM, targeted("fifteen"))
    assert "case_target_workdays 'fifteen'" in str(info.value)


def test_an_alert_is_for_the_overseeing_offices_the_installation_configured(world, monkeypatch):
    """The alerts told JOINT's supervisors whatever JOINTREVIEW_OVERSEERS said (the rest of the app followed it)."""
    rt, _ = world
    monkeypatch.setenv("JOINTREVIEW_OVERSEERS", "HUD, EDU")
    with time_machine.travel(at("2026-10-12", 9), tick=False), rt.db.write() as session:
        cases.start(session, rt, SYSTEM, "kpi", {"district": "西湖区"}, business_key="A2")
    _refresh(rt)
    assert _sweep(rt, at("2026-10-13", 22)) == 1
    with rt.db.read() as session:
        raised = session.execute(select(AuditEntry).where(AuditEntry.event == "stagnation_alert")).scalars().all()
    assert [r.details for r in raised if '"notify":["EDU","HUD"]' in r.details] == [raised[0].details]


def test_by_default_the_standard_departments_marked_as_overseeing_oversee(monkeypatch):
    from engine.routing import standard_departments
    from engine.supervision import configured_overseers
    monkeypatch.delenv("JOINTREVIEW_OVERSEERS", raising=False)
    assert configured_overseers() == ("JOINT",) == tuple(d.code for d in standard_departments() if d.oversees)
    monkeypatch.setenv("JOINTREVIEW_OVERSEERS", "")
    assert configured_overseers() == ()


def test_a_step_rule_names_a_step_of_the_newest_version_or_is_refused_by_name(world):
    rt, _ = world
    with rt.db.write() as session:
        for step in ("reviw", "accept", "pay_old"):  # a typo, a script task, no such step at all
            with pytest.raises(InvalidInput) as refused:
                alerts.add_rule(session, rt, SYSTEM, alerts.RuleSpec("kpi", "sla", 80, step))
            said = refused.value.fields["element_id"]
            # the process by its key: the web layer names it in the reader's language
            assert said.code == "alert_step_unknown" and f"'{step}'" in said and said.params["process"] == "kpi"
        for kind, step in (("sla", "review"), ("idle", None)):  # a process never deployed: a rule that never fires
            with pytest.raises(InvalidInput) as refused:
                alerts.add_rule(session, rt, SYSTEM, alerts.RuleSpec("nowhere", kind, 80, step))
            said = refused.value.fields["process_key"]
            assert said.code == "no_process_deployed" and "'nowhere'" in said
        assert alerts.add_rule(session, rt, SYSTEM, alerts.RuleSpec("kpi", "sla", 80, "review")).element_id == "review"
        assert len(alerts.rules(session)) == 4  # the three of the world and this one; nothing refused was kept


@pytest.mark.parametrize("kind, threshold", [("idle", 0.5), ("age", 7.5), ("idle", 0), ("age", 366), ("idle", float("nan")),
                                             ("sla", 0.5), ("sla", 101), ("idle", True)])
def test_a_threshold_outside_its_range_or_not_whole_days_is_refused_naming_the_field(world, kind, threshold):
    """1 to 365 whole working days, or a percentage from 1 to 100: 0.5 was saved, a rule firing after half a day."""
    rt, _ = world
    with rt.db.write() as session:
        before = [r.id for r in alerts.rules(session)]
        with pytest.raises(InvalidInput) as refused:
            alerts.add_rule(session, rt, SYSTEM, alerts.RuleSpec("kpi", kind, threshold))
        assert set(refused.value.fields) == {"threshold"}
        assert refused.value.fields["threshold"].code == ("alert_percent" if kind == "sla" else "alert_days")
        assert [r.id for r in alerts.rules(session)] == before


def test_whole_days_and_their_bounds_are_taken(world):
    rt, _ = world
    with rt.db.write() as session:
        for kind, threshold in (("idle", 1), ("age", 365), ("idle", 7.0), ("sla", 1), ("sla", 100), ("sla", 62.5)):
            assert alerts.add_rule(session, rt, SYSTEM, alerts.RuleSpec("kpi", kind, threshold)).threshold == threshold
