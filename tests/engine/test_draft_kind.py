"""What a step's draft holds (暂存, the holder's answer kept for a signer, a delegate's answer to confirm or sent back
to them to redo) is said once, by the `draft_kind` column: the draft's text no longer repeats it in a "kept" key,
and drafts kept before with that key are still read."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from engine import delegation, saving, signers
from engine.models import Task
from factories import claim, complete, deploy_fixtures, make_users, opened, start


@pytest.fixture
def users(rt):
    deploy_fixtures(rt, "send_back.bpmn")
    return make_users(rt)


def _step(rt, users) -> str:
    intake = opened(start(rt, "send_back", {"signers": ["a"]}))["intake"]
    claim(rt, users["edu_chief"], intake)
    return intake


def _stored(rt, task_id: str) -> tuple[dict, str]:
    with rt.db.read() as session:
        row = session.get(Task, task_id)
        return json.loads(row.draft), row.draft_kind


def test_no_draft_says_its_kind_in_its_text(rt, users):
    saved = _step(rt, users)
    with rt.db.write() as session:
        saving.save(session, rt, users["edu_chief"], saved, {"household": "本市"})
    signed = _step(rt, users)
    with rt.db.write() as session:
        signers.add(session, rt, users["edu_chief"], signed, "edu_reviewer2", "after", "请复核", {"household": "外地"})
    redo = _step(rt, users)
    with rt.db.write() as session:
        delegation.delegate(session, rt, users["edu_chief"], redo, "edu_reviewer")
    complete(rt, users["edu_reviewer"], redo, {"household": "外地户籍"})
    with rt.db.write() as session:
        delegation.send_back_to_delegate(session, users["edu_chief"], redo, "请核对")
    for task_id, kind in ((saved, "self"), (signed, "signer"), (redo, "returned")):
        text, column = _stored(rt, task_id)
        assert column == kind and "kept" not in text, (kind, text)


def _with_draft(rt, task_id: str, draft: str, kind: str | None) -> Task:
    with rt.db.write() as session:
        session.execute(update(Task).where(Task.id == task_id).values(draft=draft, draft_kind=kind))
    with rt.db.read() as session:
        return session.get(Task, task_id)


def test_the_column_says_what_a_draft_is(rt, users):
    """A draft without the key was read by its text alone: a saved answer (暂存) went unseen, a holder's answer kept
    for a signer came back as a delegate's answer to confirm."""
    task_id = _step(rt, users)
    row = _with_draft(rt, task_id, '{"by": "edu_chief", "at": "2026-11-30T08:00:00+00:00", "values": {"a": "1"}}',
                      "self")
    assert saving.saved(row)["values"] == {"a": "1"} and delegation.draft_of(row) is None
    row = _with_draft(rt, task_id, '{"by": "edu_chief", "values": {"a": "1"}}', "signer")
    assert signers.draft_values(row) == {"a": "1"} and saving.saved(row) is None
    with rt.db.write() as session:
        with pytest.raises(Exception, match="no delegate's answer"):
            delegation.send_back_to_delegate(session, users["edu_chief"], task_id, "重办")


LEGACY = [  # as kept before: the kind in the text, and in the column as migration 0034 filled it (or not yet)
    ('{"by": "edu_chief", "at": "2026-11-30T08:00:00+00:00", "kept": "self", "values": {"kept": "x"}}', "self"),
    ('{"by": "edu_chief", "values": {"kept": "x"}, "kept": "signer"}', "signer"),
    ('{"by": "edu_reviewer", "values": {"kept": "x"}}', "delegate"),
]


@pytest.mark.parametrize("filled", [True, False], ids=["column filled", "column empty"])
def test_drafts_kept_before_are_still_read(rt, users, filled):
    task_id = _step(rt, users)
    (saved, _), (signer, _), (answer, _) = LEGACY
    row = _with_draft(rt, task_id, saved, "self" if filled else None)
    assert saving.saved(row) is not None and saving.saved(row)["values"] == {"kept": "x"}
    assert "kept" not in saving.saved(row) and delegation.draft_of(row) is None
    row = _with_draft(rt, task_id, signer, "signer" if filled else None)
    assert signers.draft_values(row) == {"kept": "x"} and saving.saved(row) is None
    assert delegation.draft_of(row) == {"by": "edu_chief", "values": {"kept": "x"}}
    row = _with_draft(rt, task_id, answer, "delegate" if filled else None)
    assert delegation.draft_of(row) == {"by": "edu_reviewer", "values": {"kept": "x"}} and saving.saved(row) is None
