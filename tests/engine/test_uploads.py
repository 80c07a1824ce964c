"""Designer uploads wait in the database, only for their designer, and never pile up."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine import uploads

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_a_set_is_kept_for_its_designer_only_and_for_a_day(db):
    with db.write() as session:
        token = uploads.stash(session, "designer", {"a.bpmn": b"<a/>", "b.dmn": b"<b/>"}, NOW)
    with db.read() as session:
        assert uploads.files(session, token, "designer", NOW) == {"a.bpmn": b"<a/>", "b.dmn": b"<b/>"}
        assert uploads.files(session, token, "other_designer", NOW) is None
        assert uploads.files(session, token, "designer", NOW + timedelta(days=1, seconds=1)) is None
        assert uploads.files(session, "../../etc/passwd", "designer", NOW) is None
    with db.write() as session:
        assert uploads.purge(session, NOW + timedelta(days=1)) == 2
        assert uploads.waiting(session) == 0


def test_a_designer_who_uploads_again_and_again_keeps_only_the_newest_sets(db):
    with db.write() as session:
        tokens = [uploads.stash(session, "designer", {"p.bpmn": b"x" * 1000}, NOW + timedelta(seconds=i))
                  for i in range(uploads.PER_USER + 5)]
        uploads.stash(session, "someone_else", {"q.bpmn": b"y"}, NOW)
    with db.read() as session:
        assert uploads.waiting(session) == uploads.PER_USER + 1
        assert uploads.files(session, tokens[0], "designer", NOW) is None
        assert uploads.files(session, tokens[-1], "designer", NOW) == {"p.bpmn": b"x" * 1000}


def test_an_upload_purges_what_expired(db):
    with db.write() as session:
        uploads.stash(session, "designer", {"old.bpmn": b"<old/>"}, NOW - timedelta(days=2))
        uploads.stash(session, "designer", {"new.bpmn": b"<new/>"}, NOW)
        assert uploads.waiting(session) == 1


def test_the_worker_housekeeping_purges_expired_uploads(rt):
    from engine import timers
    with rt.db.write() as session:
        uploads.stash(session, "designer", {"old.bpmn": b"<old/>"}, datetime.now(timezone.utc) - timedelta(days=2))
    timers.housekeeping(rt)
    with rt.db.read() as session:
        assert uploads.waiting(session) == 0
