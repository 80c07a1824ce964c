"""Signed checkpoints of the audit log: whoever rewrites, truncates, deletes or forges it with full database
access is named by `audit verify` against a checkpoint signed with a key kept outside the database."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, update

from engine import audit, checkpoints, timers
from engine.cli import main
from engine.models import AuditEntry, AuditHead
from tests.factories import deploy_fixtures, make_users, start


def _rehash(rt, edit=None) -> None:
    """What an attacker with write access does: change entries, then recompute every hash and the head."""
    with rt.db.write() as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        prev = audit.GENESIS
        for entry in entries:
            if edit:
                edit(entry)
            entry.prev_hash = prev
            entry.hash = audit.entry_hash(prev, entry.seq, entry.at, entry.actor, entry.department, entry.case_id,
                                          entry.business_key, entry.task_id, entry.event, entry.details)
            prev = entry.hash
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=entries[-1].seq if entries else 0,
                                                                          hash=prev))


@pytest.fixture
def signed(rt, tmp_path, monkeypatch):
    make_users(rt)
    deploy_fixtures(rt, "two_lane.bpmn")
    for _ in range(3):
        start(rt, "two_lane")
    key = tmp_path / "audit.key"
    public = checkpoints.generate(key)
    exported = tmp_path / "checkpoints.jsonl"
    monkeypatch.setenv("JOINTREVIEW_AUDIT_KEY", str(key))
    monkeypatch.setenv("JOINTREVIEW_AUDIT_CHECKPOINT_FILE", str(exported))
    first = timers.sign_checkpoint(rt)  # what the worker does every hour
    start(rt, "two_lane")
    return rt, public, exported, first


def _verify(rt, public, exported, capsys) -> tuple[int, str]:
    code = main(["--db", rt.db.url, "audit", "verify", "--checkpoints", str(exported), "--public-key", public])
    return code, capsys.readouterr().out


def test_an_untouched_log_holds(signed, capsys):
    rt, public, exported, first = signed
    code, out = _verify(rt, public, exported, capsys)
    assert code == 0 and "2 checkpoint(s) hold" in out
    assert json.loads(exported.read_text().splitlines()[0])["seq"] == first.seq


def test_an_edit_with_the_whole_chain_recomputed_is_named(signed, capsys):
    rt, public, exported, first = signed
    _rehash(rt, lambda e: setattr(e, "actor", "someone_else") if e.seq == 2 else None)
    with rt.db.read() as session:
        assert audit.verify(session).ok  # the chain alone cannot tell
    code, out = _verify(rt, public, exported, capsys)
    assert code == 1 and f"rewritten after checkpoint 1 was signed: entry #{first.seq}" in out


def test_truncation_with_the_head_moved_is_named(signed, capsys):
    rt, public, exported, first = signed
    with rt.db.write() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= first.seq - 1))
    _rehash(rt)
    code, out = _verify(rt, public, exported, capsys)
    assert code == 1 and "truncated before checkpoint 1" in out


def test_deleting_everything_is_named(signed, capsys):
    rt, public, exported, _ = signed
    with rt.db.write() as session:
        session.execute(delete(AuditEntry))
        session.execute(update(AuditHead).values(seq=0, hash=audit.GENESIS))
    code, out = _verify(rt, public, exported, capsys)
    assert code == 1 and "truncated before checkpoint 1" in out and "the log now ends at #0" in out


def test_a_forged_entry_with_a_forged_checkpoint_is_a_key_mismatch(signed, tmp_path, capsys):
    rt, public, exported, _ = signed
    _rehash(rt, lambda e: setattr(e, "details", e.details.replace("two_lane", "forged")))
    forger = checkpoints.generate(tmp_path / "forger.key")
    with rt.db.write() as session:
        checkpoints.sign(session, checkpoints.load_key(tmp_path / "forger.key"))
    code, out = _verify(rt, public, exported, capsys)
    assert code == 1 and "key mismatch" in out and checkpoints.fingerprint(forger) in out


def test_keys_are_never_overwritten_and_bad_files_are_named(tmp_path, rt, capsys):
    key = tmp_path / "k"
    checkpoints.generate(key)
    with pytest.raises(Exception, match="never overwritten"):
        checkpoints.generate(key)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert main(["--db", rt.db.url, "audit", "verify", "--checkpoints", str(bad)]) == 1
    assert "bad.jsonl:1: not a checkpoint line" in capsys.readouterr().err
