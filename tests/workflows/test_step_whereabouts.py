"""Where a step stands for someone whose action on it lost a race (engine/whereabouts.py), on a real formal inquiry:
who claimed it or had it reassigned, who completed it and when, still open to them, refused, or — for one outside
its department — nothing but that; and the step's form from its definition once the step is done."""
import pytest

from engine import cases, whereabouts
from engine.models import Case
from engine.routing import Actor
from world import World, opened


@pytest.fixture
def world(db_url):
    return World(db_url)


def where(world, username: str, task: str, refused: bool = False):
    with world.rt.db.read() as session:
        return whereabouts.of(session, world.users[username], task, refused)


def test_each_way_a_step_leaves_the_actor_is_told(world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    task = opened(out)["draft_inquiry"]
    assert where(world, "edu_reviewer", task).how == "open" and not where(world, "edu_reviewer", task).elsewhere
    assert where(world, "edu_reviewer", task, refused=True).how == "not_allowed"
    assert where(world, "psb_reviewer", task) == whereabouts.Whereabouts("outside"), "nothing more for an outsider"
    with world.rt.db.write() as session:
        cases.claim(session, world.rt, world.users["edu_supervisor"], task)
    claimed = where(world, "edu_reviewer", task)
    assert (claimed.how, claimed.who) == ("claimed", "edu_supervisor") and claimed.at is not None
    with world.rt.db.write() as session:
        cases.reassign(session, world.rt, world.users["edu_supervisor"], [task], "edu_head", "人手调整")
    assert (where(world, "edu_reviewer", task).how, where(world, "edu_reviewer", task).who) == ("reassigned", "edu_head")
    assert where(world, "edu_head", task).how == "open", "the one it went to may act on it"
    world.complete("edu_head", task, None, inquiry_subject="社保口径", questions="参保年限", reply_days=5)
    done = where(world, "edu_reviewer", task)
    assert (done.how, done.who) == ("completed", "edu_head") and done.at is not None and done.elsewhere
    assert where(world, "edu_reviewer", "no-such-step") is None
    assert where(world, "hrss_reviewer", task).how == "outside"
    nobody = Actor("nobody")
    with world.rt.db.read() as session:
        assert whereabouts.of(session, nobody, task).how == "outside"


def test_the_form_of_a_finished_step_comes_from_its_definition(world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    task = opened(out)["draft_inquiry"]
    world.complete("edu_reviewer", task, None, inquiry_subject="社保口径", questions="参保年限", reply_days=5)
    with world.rt.db.read() as session:
        case = session.get(Case, out.case_id)
        model = world.rt.model(session, case.definition_id)
    assert [f.id for f in whereabouts.step_form(model, "draft_inquiry")][:3] == ["inquiry_subject", "questions",
                                                                                "reply_days"]
    assert whereabouts.step_form(model, "no_such_element") == []
