"""政策细则协同确认: a changed shared rule table takes effect only once every department that applies it has
co-signed (on its effective date); a refusal leaves the old version in force; cases started before keep theirs."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from engine import decisions, mail, repository, rules, timers
from engine.definitions import read_files
from engine.calendar import WorkCalendar
from engine.errors import Conflict, DeployError, InvalidInput
from engine.models import Case, Deployment, Notification, ProcessDefinition, Task
from engine.models_office import RuleVersion
from engine.routing import Actor, add_user, load_actor
from workflows.walkthrough import BPMN
from world import World



@pytest.fixture
def world(db_url):
    w = World(db_url)
    with w.rt.db.write() as session:
        add_user(session, "designer_zhang", "张设计", roles=("designer",))
    return w


def designer(world):
    with world.rt.db.read() as session:
        return load_actor(session, "designer_zhang")


def changed_points(old: str = "最高50分", new: str = "最高50分（修订）") -> dict[str, bytes]:
    files = read_files([BPMN])
    files["admission_points.dmn"] = files["admission_points.dmn"].replace(old.encode(), new.encode())
    return files


def propose(world, files=None, effective_at=None):
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, designer(world), files or changed_points(), note="统一社保月数口径", effective_at=effective_at)
    with world.rt.db.read() as session:
        row = session.execute(select(RuleVersion).where(RuleVersion.decision == "admission_points",
                                                        RuleVersion.version == 2)).scalar_one()
        return row.case_key, row.status


def sign_tasks(world, key):
    with world.rt.db.read() as session:
        return {t.department_code: t for t in session.execute(select(Task).join(Case, Case.id == Task.case_id).where(
            Case.business_key == key, Task.state == "open")).scalars()}


def sign(world, key, department, decision="agree", reason=""):
    task = sign_tasks(world, key)[department]
    return world.complete(f"{department.lower()}_head", task.id, sign_decision=decision, sign_reason=reason)


def version_used(world, out):
    with world.rt.db.read() as session:
        return decisions.of_case(session, out.case_id)[0].version


def test_a_changed_table_waits_for_every_department_then_new_cases_use_it(world):
    before = world.start("admission_review", world.person().admission())
    key, state = propose(world)
    assert state == "proposed" and key.startswith("RULE-")
    tasks = sign_tasks(world, key)
    assert sorted(tasks) == ["EDU", "HRSS", "HUD", "PSB"]  # the table's applied_by
    assert all(t.role == "head" and t.due_at is not None for t in tasks.values())  # co-signs have an SLA
    data = world.data(tasks["EDU"].case_id)
    assert data["table_name"] == "积分入学积分规则（共享规则）" and (data["version"], data["active_version"]) == (2, 1)
    change = data["rule_change"]
    assert change["columns"][:2] == ["变更", "规则"] and change["columns"][-1] == "说明"
    assert change["rows"] == [["修改", "2", ">= 1", "-", "-", "-", '"居住证年限"', "min(residence_years, 5) * 10",
                               "每满一年10分，最高50分 → 每满一年10分，最高50分（修订）"]]
    # not in force yet: a new case still decides under v1
    assert version_used(world, world.start("admission_review", world.person("李娜").admission())) == 1
    for department in ("EDU", "PSB", "HRSS"):
        sign(world, key, department)
        assert version_used(world, world.start("admission_review", world.person(f"王{department}").admission())) == 1
    out = sign(world, key, "HUD")
    assert out.status == "completed"
    with world.rt.db.read() as session:
        versions = {r.version: r.status for r in session.execute(
            select(RuleVersion).where(RuleVersion.decision == "admission_points")).scalars()}
        definitions = session.execute(select(ProcessDefinition.version).where(
            ProcessDefinition.process_key == "admission_review")).scalars().all()
        (state,) = [s for s in rules.status(session) if s.decision == "admission_points"]
        notes = session.execute(select(Deployment.note).order_by(Deployment.id)).scalars().all()
    assert versions == {1: "superseded", 2: "active"} and sorted(definitions) == [1, 2]
    assert state.name == "积分入学积分规则（共享规则）"
    assert notes[-1] == f"《积分入学积分规则（共享规则）》第2版经会签生效（{key}）"  # the redeploy's note names the table
    assert (state.active, state.proposed) == (2, None)
    after = world.start("admission_review", world.person("赵敏").admission())
    assert version_used(world, after) == 2
    # the case started before keeps its process version and the rule it was decided under
    with world.rt.db.read() as session:
        assert session.get(Case, before.case_id).definition_id != session.get(Case, after.case_id).definition_id
    assert version_used(world, before) == 1
    with world.rt.db.read() as session:
        old, new = (decisions.of_case(session, c.case_id)[0].details["hash"] for c in (before, after))
    assert old != new


def test_a_refusal_keeps_the_old_version_and_tells_the_proposer(world):
    key, _ = propose(world)
    sign(world, key, "EDU")
    with pytest.raises(Exception):  # a refusal needs its reason
        sign(world, key, "HRSS", "refuse", "")
    sign(world, key, "HRSS", "refuse", "补缴月数应另行认定，不宜一并计算")
    sign(world, key, "PSB")
    out = sign(world, key, "HUD")
    assert out.status == "completed"
    with world.rt.db.read() as session:
        row = session.execute(select(RuleVersion).where(RuleVersion.version == 2)).scalar_one()
        note = session.execute(select(Notification).where(Notification.username == "designer_zhang")).scalar_one()
        assert session.execute(select(ProcessDefinition).where(
            ProcessDefinition.process_key == "admission_review")).scalars().all()[-1].version == 1
    assert row.status == "refused" and "HRSS：补缴月数应另行认定" in row.reason
    assert note.kind == "rule_refused" and "补缴月数应另行认定" in note.details
    said, said_en = mail.text(note.kind, note.business_key, json.loads(note.details))
    assert said.startswith("《积分入学积分规则（共享规则）》第2版未获会签（RULE-") and "admission_points" not in said
    assert said_en.startswith("the rule table “School admission points rules (shared rule)” v2 was not co-signed")
    assert version_used(world, world.start("admission_review", world.person().admission())) == 1
    # after the refusal the designer may propose again
    key2, state = propose(world, changed_points("最高50分", "最高50分（再修订）"))
    with world.rt.db.read() as session:
        assert session.execute(select(RuleVersion.status).where(RuleVersion.version == 3)).scalar_one() == "proposed"


def test_one_proposal_at_a_time(world):
    key, _ = propose(world)
    with pytest.raises(Conflict, match=f"积分入学积分规则（共享规则） v2 is still awaiting co-sign \\({key}\\)"):
        with world.rt.db.write() as session:
            repository.deploy(session, world.rt, designer(world), changed_points("最高50分", "最高40分"))
    # deploying the same proposal again starts nothing new
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, designer(world), changed_points())
    with world.rt.db.read() as session:
        assert session.execute(select(RuleVersion.id)).scalars().all().__len__() == 3  # points v1, v2, eligibility v1


def test_a_signed_version_waits_for_its_effective_date(world):
    effective = datetime.now(timezone.utc) + timedelta(days=20)
    key, _ = propose(world, effective_at=effective)
    for department in ("EDU", "PSB", "HRSS", "HUD"):
        out = sign(world, key, department)
    assert out.status == "running"
    with world.rt.db.read() as session:
        assert session.execute(select(RuleVersion.status).where(RuleVersion.version == 2)).scalar_one() == "proposed"
    with time_machine.travel(effective + timedelta(minutes=1), tick=False):
        timers.sweep(world.rt, Actor.system("worker"))
    with world.rt.db.read() as session:
        assert session.execute(select(RuleVersion.status).where(RuleVersion.version == 2)).scalar_one() == "active"


def test_a_table_applied_by_no_department_is_refused_at_deploy(world):
    files = changed_points('value="EDU,PSB,HRSS,HUD"', 'value="EDU,财政部门外"')
    with pytest.raises(DeployError) as caught, world.rt.db.write() as session:
        repository.deploy(session, world.rt, designer(world), files)
    assert any("applied_by names '财政部门外', which is not a department" in str(p) for p in caught.value.problems)


def test_rules_status_on_the_command_line(world, capsys):
    from engine.cli import main

    key, _ = propose(world, effective_at=datetime(2027, 1, 1, tzinfo=world.rt.calendar.tz))
    sign(world, key, "PSB")
    capsys.readouterr()
    assert main(["--db", world.rt.db.url, "rules", "status"]) == 0
    text = capsys.readouterr().out
    assert "admission_points (admission_points.dmn) applied by EDU, PSB, HRSS, HUD: v1 active" in text
    assert f"v2 proposed in {key}, effective 2027-01-01: signed by PSB; waiting for EDU, HRSS, HUD" in text
    assert "subsidy_eligibility (subsidy_eligibility.dmn) applied by HRSS, HUD, EDU, STREET, FIN: v1 active" in text


def test_dropping_applied_by_does_not_escape_the_co_sign(world):
    files = changed_points('<camunda:property name="applied_by" value="EDU,PSB,HRSS,HUD" />', "")
    key, state = propose(world, files)
    assert state == "proposed" and sorted(sign_tasks(world, key)) == ["EDU", "HRSS", "HUD", "PSB"]
    assert version_used(world, world.start("admission_review", world.person().admission())) == 1


def test_a_shared_table_is_the_only_decision_of_its_file(world):
    files = read_files([BPMN])
    extra = b'<decision id="other_rules" name="other"><literalExpression><text>1</text></literalExpression></decision></definitions>'
    files["admission_points.dmn"] = files["admission_points.dmn"].replace(b"</definitions>", extra)
    with pytest.raises(DeployError) as caught, world.rt.db.write() as session:
        repository.deploy(session, world.rt, designer(world), files)
    assert any("must be the only decision of its file" in str(p) for p in caught.value.problems)


def test_the_effective_date_is_the_start_of_that_day_in_the_offices_zone():
    cal = WorkCalendar()
    start = rules.effective_moment(cal, " 2027-01-04 ")
    assert start == datetime(2027, 1, 4, tzinfo=cal.tz) == rules.effective_moment(cal, date(2027, 1, 4))
    assert start.astimezone(timezone.utc) == datetime(2027, 1, 3, 16, tzinfo=timezone.utc)
    assert rules.effective_moment(cal, "") is None and rules.effective_moment(cal, None) is None
    with pytest.raises(InvalidInput) as refused:
        rules.effective_moment(cal, "2027-13-01")
    assert "2027-13-01" in str(refused.value) and refused.value.fields == {"effective": "2027-13-01"}


def test_without_a_co_sign_process_a_changed_table_is_refused_and_nothing_is_deployed(world):
    """The engine keeps the versions; the co-sign is a process the workflows provide. A runtime without one (no
    plugin installed) refuses the changed table naming file and table, and deploys nothing."""
    from engine.errors import EngineError

    world.rt.rule_cosign = None
    with world.rt.db.read() as session:
        before = session.execute(select(ProcessDefinition.id)).scalars().all()
    with pytest.raises(EngineError, match="admission_points.dmn: the shared table admission_points changed .*"
                                          "no co-sign process is installed; nothing was deployed"):
        propose(world)
    with world.rt.db.read() as session:
        assert session.execute(select(ProcessDefinition.id)).scalars().all() == before
        assert session.execute(select(RuleVersion.version).where(RuleVersion.decision == "admission_points")).all() == [(1,)]
