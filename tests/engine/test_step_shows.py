"""A user task's `shows` property: the data its form decides on (a field, or record.field of a called process's
answers), read from the BPMN into the model; a malformed entry is refused at deploy, naming it."""
from __future__ import annotations

import pytest

from engine import repository
from engine.errors import DeployError
from factories import SYSTEM, bpmn


def _body(shows: str) -> str:
    return f"""<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
      <bpmn:userTask id="review" name="审阅"><bpmn:extensionElements><camunda:properties>
        <camunda:property name="shows" value="{shows}"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>
      <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""


def test_a_step_names_what_it_decides_on(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"r.bpmn": bpmn("r", _body(" answer, inquiry.evidence ,"),
                                                                lanes={"EDU": ["s", "review", "e"]})})
        model = rt.model(session, repository.latest(session, "r").id)
    assert model.shows[("r", "review")] == ("answer", "inquiry.evidence")


def test_a_malformed_entry_is_refused_by_name(rt):
    with pytest.raises(DeployError) as raised, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"r.bpmn": bpmn("r", _body("answer, inquiry.evidence.file"),
                                                                lanes={"EDU": ["s", "review", "e"]})})
    assert "shows 'inquiry.evidence.file' must name a data field" in str(raised.value.problems)
