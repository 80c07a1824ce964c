"""Attachments (scanned materials): checked by their first bytes and size, stored outside the database under their
SHA-256 (once for the same scan), read back against the hash, every add and open in the audit log; a purge removes
the rows and the sweep the files no case names any more."""
from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from engine import attachments, audit, repository, retention
from engine.errors import InvalidInput, NotFound
from engine.models import AuditEntry, Case
from engine.routing import Actor
from factories import SYSTEM, bpmn, complete, make_users, opened, start

CLERK = Actor("edu_clerk", "王窗口", departments={"EDU": "reviewer"})
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BODY = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
  <bpmn:userTask id="review" name="审核"/>
  <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""


@pytest.fixture
def store(rt, tmp_path):
    rt.attachments_dir = tmp_path / "store"
    return rt.attachments_dir


def _process(years: str = "1") -> bytes:
    return bpmn("scanned", BODY, lanes={"EDU": ["s", "review", "e"]}).replace(
        b'isExecutable="true">', f'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
        f'<camunda:property name="retention_years" value="{years}"/></camunda:properties></bpmn:extensionElements>'.encode())


@pytest.fixture
def case(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"scanned.bpmn": _process()})
    out = start(rt, "scanned", {"applicant_name": "张三"})
    with rt.db.read() as session:
        return session.get(Case, out.case_id)


def _add(rt, store, case, data, name="居住证.pdf", kind="residence_permit"):
    with rt.db.write() as session:
        return attachments.add(session, store, CLERK, session.get(Case, case.id), kind, name, data, "EDU")


def test_a_scan_is_stored_by_its_hash_outside_the_database_and_recorded(rt, store, case):
    stored = _add(rt, store, case, PDF, name="../../etc/居住证\x00扫描件.PDF")
    sha = hashlib.sha256(PDF).hexdigest()
    assert stored.sha256 == sha and stored.media_type == "application/pdf" and stored.size == len(PDF)
    assert stored.filename == "居住证扫描件.pdf", "no directories, no control characters, the real type's suffix"
    assert (store / sha[:2] / sha).read_bytes() == PDF
    again = _add(rt, store, case, PDF, name="copy.pdf")
    assert again.id != stored.id and len(list((store / sha[:2]).iterdir())) == 1, "the same scan is kept once"
    with rt.db.write() as session:
        rows = attachments.of_case(session, case.id)
        assert [r.filename for r in rows] == ["居住证扫描件.pdf", "copy.pdf"]
        assert attachments.read(session, store, CLERK, rows[0], session.get(Case, case.id), "EDU") == PDF
    with rt.db.read() as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.case_id == case.id,
                                                           AuditEntry.event.like("attachment_%"))
                                  .order_by(AuditEntry.seq)).scalars().all()
        assert [e.event for e in entries] == ["attachment_added", "attachment_added", "attachment_viewed"]
        assert json.loads(entries[-1].details)["sha256"] == sha and entries[-1].actor == "edu_clerk"
        assert audit.verify(session).ok


@pytest.mark.parametrize("data, name, problem", [
    (b"", "empty.pdf", "empty"),
    (b"MZ\x90\x00 an executable", "virus.pdf", "type"),
    (b"<html><script>alert(1)</script>", "page.png", "type"),
    (b"%PDF-" + b"0" * attachments.MAX_BYTES, "huge.pdf", "too_large:10"),
])
def test_a_bad_file_is_refused_by_name_and_nothing_is_kept(rt, store, case, data, name, problem):
    with pytest.raises(InvalidInput) as refused:
        _add(rt, store, case, data, name=name)
    assert name in refused.value.message and refused.value.fields == {"file": problem}
    with rt.db.read() as session:
        assert attachments.of_case(session, case.id) == []
    assert not store.exists() or not any(store.rglob("*"))


def test_a_file_changed_or_gone_in_the_store_is_not_served(rt, store, case):
    stored = _add(rt, store, case, PNG, name="户口簿.png", kind="household_register")
    path = store / stored.sha256[:2] / stored.sha256
    path.write_bytes(PNG + b"tampered")
    with rt.db.write() as session:
        row = attachments.get(session, stored.id)
        with pytest.raises(attachments.Damaged, match="does not match its hash"):
            attachments.read(session, store, CLERK, row, session.get(Case, case.id))
    path.unlink()
    with rt.db.write() as session:
        with pytest.raises(attachments.Damaged, match="missing from the store"):
            attachments.read(session, store, CLERK, attachments.get(session, stored.id), session.get(Case, case.id))
        with pytest.raises(NotFound):
            attachments.get(session, stored.id + 100)


def test_a_purge_removes_the_rows_and_the_sweep_the_files_no_case_names(rt, store):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"scanned.bpmn": _process("1")})
    users = make_users(rt)
    with time_machine.travel(datetime(2023, 1, 10, 2, tzinfo=timezone.utc), tick=False):
        old = start(rt, "scanned", {"applicant_name": "张三"})
        complete(rt, users["edu_reviewer"], opened(old)["review"], {})
    kept = start(rt, "scanned", {"applicant_name": "李四"})
    with rt.db.read() as session:
        old_case, kept_case = session.get(Case, old.case_id), session.get(Case, kept.case_id)
    shared = _add(rt, store, old_case, PDF)
    alone = _add(rt, store, old_case, PNG, name="scan.png")
    _add(rt, store, kept_case, PDF)
    orphan_upload = store / "ab" / ".upload-x"
    orphan_upload.parent.mkdir(parents=True, exist_ok=True)
    orphan_upload.write_bytes(b"half")
    with rt.db.write() as session:
        (item,) = retention.due(session, rt)
        retention.purge(session, rt, Actor.system("retention"), item)
    with rt.db.read() as session:
        assert attachments.of_case(session, old.case_id) == [] and len(attachments.of_case(session, kept.case_id)) == 1
        assert audit.verify(session).ok
    with rt.db.read() as session:
        assert attachments.sweep(session, store) == 0, "files younger than an hour are left (an upload may be committing)"
    past = time.time() - 2 * attachments.ORPHAN_AGE
    for path in store.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))
    with rt.db.read() as session:
        assert attachments.sweep(session, store) == 2
    assert (store / shared.sha256[:2] / shared.sha256).exists(), "still named by the running case"
    assert not (store / alone.sha256[:2] / alone.sha256).exists() and not orphan_upload.exists()
