"""API tokens: stored as hashes, bound to one role, expiring, and narrowed to what a person still holds."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine import tokens
from engine.errors import InvalidInput, NotAuthenticated
from engine.models import ApiToken
from engine.routing import Actor, add_user, seed_departments

ADMIN = Actor.system("test")


def test_tokens_expire_and_are_never_stored_in_clear(db):
    with db.write() as session:
        seed_departments(session)
        issued = tokens.issue(session, ADMIN, "edu-system", "reviewer", "EDU", expires_days=1)
    with db.read() as session:
        stored = session.execute(select(ApiToken)).scalar_one()
        assert stored.token_hash == tokens.digest(issued.secret) and issued.secret not in stored.token_hash
        assert tokens.authenticate(session, issued.secret)[1].departments == {"EDU": "reviewer"}
        later = datetime.now(timezone.utc) + timedelta(days=1, minutes=1)
        with pytest.raises(NotAuthenticated, match="expired"):
            tokens.authenticate(session, issued.secret, now=later)
        with pytest.raises(NotAuthenticated, match="malformed"):
            tokens.authenticate(session, "Bearer something")


def test_a_persons_token_acts_as_the_person_with_no_more_than_its_role(db):
    with db.write() as session:
        seed_departments(session)
        add_user(session, "zhao", "赵敏", memberships={"PSB": "head", "HUD": "reviewer"}, roles=("auditor",))
        issued = tokens.issue(session, ADMIN, "zhao-psb", "reviewer", "PSB", username="zhao")
        with pytest.raises(InvalidInput) as refused:
            tokens.issue(session, ADMIN, "zhao-fin", "reviewer", "FIN", username="zhao")
        assert refused.value.fields == {"role": "zhao does not hold the reviewer role in FIN"}
    with db.read() as session:
        _, actor = tokens.authenticate(session, issued.secret)
    assert actor.username == "zhao" and actor.departments == {"PSB": "reviewer"} and not actor.roles


def test_the_worker_forgets_answers_to_submissions_after_a_week(db):
    from engine.models import IdempotencyRecord
    from engine.runtime import Runtime
    from engine.timers import housekeeping

    with db.write() as session:
        seed_departments(session)
        issued = tokens.issue(session, ADMIN, "portal", "portal")
        now = datetime.now(timezone.utc)
        for key, age in (("old", tokens.KEEP_ANSWERS + timedelta(minutes=1)), ("recent", timedelta(days=1))):
            session.add(IdempotencyRecord(token_id=issued.token.id, key=key, request_hash="h", status_code=201,
                                          response="{}", headers="{}", created_at=now - age))
    assert housekeeping(Runtime(db)) == 1
    with db.read() as session:
        assert list(session.execute(select(IdempotencyRecord.key)).scalars()) == ["recent"]
