"""Step and form-field properties of the inquiry's steps: a user task's `shows` (the data its form decides on: a
field, or record.field of a called process's answers) read into the model; `attach` (the field listing the documents
kept with the answer); a form field's `not_option_of` (an
option the case's data rules out is not offered); malformed ones are refused at deploy, naming them."""
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


def test_not_option_of_leaves_out_the_option_the_case_names():
    from engine.forms import FormField, offered
    ask = FormField("target", "函询部门", "enum", options=[("PSB", "公安局"), ("HRSS", "人社局")],
                    properties={"not_option_of": "own"})
    note = FormField("note", "说明", "string")
    assert [f.options for f in offered([ask, note], {"own": "HRSS"})] == [[("PSB", "公安局")], []]
    assert offered([ask], {})[0].options == ask.options, "nothing named: every option"


def test_not_option_of_belongs_on_a_choice(rt):
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
      <bpmn:userTask id="review" name="审阅"><bpmn:extensionElements><camunda:formData>
        <camunda:formField id="note" label="说明" type="string"><camunda:properties>
          <camunda:property id="not_option_of" value="own"/></camunda:properties></camunda:formField>
      </camunda:formData></bpmn:extensionElements></bpmn:userTask>
      <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""
    with pytest.raises(DeployError) as raised, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"r.bpmn": bpmn("r", body, lanes={"EDU": ["s", "review", "e"]})})
    assert "not_option_of must name a data field, on a choice (enum) field" in str(raised.value.problems)


def test_attach_names_the_field_listing_the_documents(rt):
    body = _body("answer").replace('name="shows" value="answer"', 'name="attach" value="answer files"')
    with pytest.raises(DeployError) as raised, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"r.bpmn": bpmn("r", body, lanes={"EDU": ["s", "review", "e"]})})
    assert "attach 'answer files' must name the data field that lists the documents" in str(raised.value.problems)
