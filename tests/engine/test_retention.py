"""Retention and legal hold: finished cases past their process's retention_years are listed (dry run) and
purged: their personal data goes (workflow state, tasks, notices, the plugins' records, audit details) while
the tombstone, the figures' facts and the audit chain stay, and `audit verify` still passes; a legal hold
keeps a case until it is lifted; a blanked entry without a recorded purge is reported as tampering."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select, update

from engine import audit, facts, lookup, notices, repository, retention
from engine.cli import main
from engine.errors import Conflict, DeployError, PermissionDenied
from engine.models import AuditEntry, Case, CaseFact, CaseLookup, Task
from engine.routing import Actor
from factories import SYSTEM, bpmn, complete, make_users, opened, start

AUDITOR = Actor("auditor_zhang", "审计员", roles=frozenset({"auditor"}))
BODY = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
  <bpmn:userTask id="review" name="审核"><bpmn:extensionElements><camunda:formData>
    <camunda:formField id="finding" label="意见" type="string"/></camunda:formData></bpmn:extensionElements></bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""


def process(years: str) -> bytes:
    return bpmn("kept", BODY, lanes={"EDU": ["s", "review", "e"]}).replace(
        b'isExecutable="true">', f'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
        f'<camunda:property name="retention_years" value="{years}"/></camunda:properties></bpmn:extensionElements>'.encode())


@pytest.fixture
def finished(rt):
    """Three cases finished in January 2023 (kept 2 years) and one still running."""
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"kept.bpmn": process("2")})
    users = make_users(rt)
    keys = []
    with time_machine.travel(datetime(2023, 1, 10, 2, tzinfo=timezone.utc), tick=False):
        for i in range(3):
            out = start(rt, "kept", {"applicant_name": f"张{i}", "applicant_id": "110101200001011234"})
            complete(rt, users["edu_reviewer"], opened(out)["review"], {"finding": f"张{i}住址核实无误"})
            keys.append(out.business_key)
    running = start(rt, "kept", {"applicant_name": "李四"})
    with rt.db.write() as session:
        notices.notify(session, ["edu_reviewer"], "copied", keys[1], None, {"step": "审核"})
        while facts.refresh(session, rt) == facts.BATCH:
            pass
    return keys, running.business_key


def due_keys(rt):
    with rt.db.read() as session:
        return [d.business_key for d in retention.due(session, rt)]


def test_a_purge_removes_personal_data_and_keeps_the_chain_and_the_figures(rt, finished):
    keys, running = finished
    with rt.db.write() as session:
        retention.place(session, AUDITOR, keys[0], "行政复议审理中，暂缓销毁")
    assert due_keys(rt) == keys[1:]  # the held one and the running one are not due
    with rt.db.read() as session:
        item = next(d for d in retention.due(session, rt) if d.business_key == keys[1])
    with rt.db.write() as session:
        redacted = retention.purge(session, rt, AUDITOR, item)
    assert redacted >= 4
    with rt.db.read() as session:
        case = session.execute(select(Case).where(Case.business_key == keys[1])).scalar_one()
        assert case.purged_at is not None and case.state == "" and case.summary == "{}" and case.status == "completed"
        assert session.execute(select(Task).where(Task.case_id == case.id)).all() == []
        assert session.execute(select(CaseLookup).where(CaseLookup.case_id == case.id)).all() == []
        assert session.execute(select(Case.business_key).where(Case.id.in_(lookup.matching("张2")))).scalars().all() \
            == [keys[2]]  # the others are still found
        assert [n.business_key for n in notices.recent(session, "edu_reviewer")] == []
        entries = session.execute(select(AuditEntry).where(AuditEntry.case_id == case.id)
                                  .order_by(AuditEntry.seq)).scalars().all()
        assert all("张1" not in e.details and "110101" not in e.details for e in entries)
        purge_entry = entries[-1]
        assert purge_entry.event == "case_purged" and purge_entry.redacted_at is None
        assert json.loads(purge_entry.details)["redacted"] == [[entries[0].seq, entries[-2].seq]]
        assert session.get(CaseFact, case.id) is not None  # the figures keep it
        assert audit.verify(session).ok
        other = session.execute(select(Case).where(Case.business_key == keys[2])).scalar_one()
        assert "张2" in other.state  # only the purged case lost its data
    with rt.db.write() as session:
        while facts.refresh(session, rt) == facts.BATCH:
            pass
        assert facts.rebuild_all(session, rt) >= 3
        assert session.get(CaseFact, case.id) is not None  # a rebuild keeps a purged case's facts
    assert due_keys(rt) == [keys[2]]


def test_a_legal_hold_keeps_a_case_until_it_is_lifted(rt, finished):
    keys, _ = finished
    with pytest.raises(PermissionDenied):
        with rt.db.write() as session:
            retention.place(session, Actor("edu_chief", "科长", {"EDU": "supervisor"}), keys[0], "x")
    with rt.db.write() as session:
        hold = retention.place(session, AUDITOR, keys[0], "纪检调查")
    with rt.db.read() as session:
        item = retention.Due(session.execute(select(Case.id).where(Case.business_key == keys[0])).scalar_one(),
                             keys[0], "kept", datetime(2023, 1, 10, tzinfo=timezone.utc), 2)
    with pytest.raises(Conflict, match="legal hold"), rt.db.write() as session:
        retention.purge(session, rt, AUDITOR, item)
    with rt.db.write() as session:
        retention.lift(session, AUDITOR, hold.id, "调查结束")
    with pytest.raises(Conflict, match="already lifted"), rt.db.write() as session:
        retention.lift(session, AUDITOR, hold.id, "again")
    assert keys[0] in due_keys(rt)
    with rt.db.read() as session:
        events = [e for e, in session.execute(select(AuditEntry.event).where(AuditEntry.event.like("legal_hold%"))
                                              .order_by(AuditEntry.seq))]
    assert events == ["legal_hold_placed", "legal_hold_lifted"]


def test_an_entry_blanked_without_a_purge_is_tampering(rt, finished):
    keys, _ = finished
    with rt.db.write() as session:
        victim = session.execute(select(AuditEntry).where(AuditEntry.business_key == keys[2],
                                                          AuditEntry.event == "task_completed")).scalar_one()
        session.execute(update(AuditEntry).where(AuditEntry.seq == victim.seq).values(
            details=audit.REDACTED, redacted_at=datetime.now(timezone.utc)))
    with rt.db.read() as session:
        result = audit.verify(session)
    assert not result.ok and result.bad_seq == victim.seq and "without a recorded purge" in result.reason


def test_the_command_line_lists_then_purges(rt, finished, db_url, capsys):
    keys, _ = finished
    assert main(["--db", db_url, "retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert all(k in out for k in keys) and "3 case(s) would be purged; nothing was changed" in out
    assert main(["--db", db_url, "legal-hold", keys[0], "--reason", "诉讼保全", "--user", "edu_reviewer"]) == 1
    assert "only an auditor or an administrator" in capsys.readouterr().err
    assert main(["--db", db_url, "retention"]) == 0
    assert "purged 3 case(s)" in capsys.readouterr().out
    assert main(["--db", db_url, "audit", "verify"]) == 0
    assert main(["--db", db_url, "retention", "--dry-run"]) == 0
    assert "0 case(s) would be purged" in capsys.readouterr().out


def test_retention_years_must_be_sensible(rt):
    with pytest.raises(DeployError) as raised, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"kept.bpmn": process("0")})
    assert "retention_years '0' must be a whole number of years from 1 to 100" in str(raised.value.problems)
