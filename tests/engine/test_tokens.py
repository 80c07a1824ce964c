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
