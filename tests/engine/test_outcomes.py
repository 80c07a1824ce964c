"""A finished case's outcome in its BPMN's words, and the steps that ask to be confirmed."""
from lxml import etree

from engine import outcomes
from engine.glossary import read

PROCESS = """<bpmn:process xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="p">
  <bpmn:userTask id="decide" name="审定"><bpmn:extensionElements>
    <camunda:properties><camunda:property name="confirm" value="decision" /></camunda:properties>
    <camunda:formData>
      <camunda:formField id="decision" label="审定结果" type="enum"><camunda:value id="admit" name="录取" />
        <camunda:value id="reject" name="不予录取" /></camunda:formField>
      <camunda:formField id="reasons" label="理由" type="string" />
      <camunda:formField id="upheld" label="申诉是否成立" type="boolean"><camunda:properties>
        <camunda:property id="true_label" value="成立" /><camunda:property id="false_label" value="不成立" />
      </camunda:properties></camunda:formField>
    </camunda:formData></bpmn:extensionElements></bpmn:userTask>
  <bpmn:userTask id="note" name="备注"><bpmn:extensionElements>
    <camunda:properties><camunda:property name="confirm" value="text" /></camunda:properties>
    <camunda:formData><camunda:formField id="text" label="说明" type="string" /></camunda:formData>
  </bpmn:extensionElements></bpmn:userTask>
  <bpmn:userTask id="other" name="其他"><bpmn:extensionElements>
    <camunda:properties><camunda:property name="confirm" value="nothing" /></camunda:properties>
  </bpmn:extensionElements></bpmn:userTask>
  <bpmn:endEvent id="end_effective" name="审定结果生效"><bpmn:extensionElements><camunda:properties>
    <camunda:property name="outcome_from" value="decision" /><camunda:property name="outcome_reasons" value="reasons, school" />
  </camunda:properties></bpmn:extensionElements></bpmn:endEvent>
  <bpmn:endEvent id="end_appeal" name="维持原审定"><bpmn:extensionElements><camunda:properties>
    <camunda:property name="outcome_from" value="upheld" /></camunda:properties></bpmn:extensionElements></bpmn:endEvent>
  <bpmn:endEvent id="end_bad" name="坏"><bpmn:extensionElements><camunda:properties>
    <camunda:property name="outcome_reasons" value=" , 2x" /></camunda:properties></bpmn:extensionElements></bpmn:endEvent>
  <bpmn:endEvent id="end_reminded" name="已提醒" />
</bpmn:process>"""


def _process():
    return etree.fromstring(PROCESS)


def test_end_events_that_state_the_outcome_and_what_is_wrong_with_them():
    ends = outcomes.ends_of(_process())
    assert sorted(ends) == ["end_appeal", "end_bad", "end_effective"]  # a reminder's end states nothing
    assert ends["end_effective"].named_by == "decision" and ends["end_effective"].reasons == ("reasons", "school")
    problems = [(node.get("id"), message) for node, message in outcomes.problems(_process())]
    assert problems == [
        ("end_bad", "outcome_reasons '2x' is not a data field name (letters, digits and _)"),
        ("note", "confirm 'text' is a string field; name a choice (enum or yes/no field)"),
        ("other", "confirm 'nothing' is not a field of this step's form; name the field whose answer the "
                  "confirmation repeats (e.g. decision)")]


def test_the_outcome_is_the_decision_as_the_form_names_it_with_the_reasons_given():
    ends, terms = outcomes.ends_of(_process()), read(_process(), lambda lane: None)
    stated = outcomes.stated(ends, ["decide", "end_effective"], {"decision": "reject", "reasons": "积分不足",
                                                                 "school": ""}, terms)
    assert stated == outcomes.Stated("不予录取", "审定结果生效", (("reasons", "理由", "积分不足"),), "end_effective")
    assert outcomes.stated(ends, ["end_appeal"], {"upheld": False}, terms).text == "不成立"
    unnamed = outcomes.stated(ends, ["end_effective"], {"decision": "castle"}, terms)
    assert unnamed.text == "审定结果生效"  # a code the form does not name: the end event's own name
    assert outcomes.stated(ends, ["decide", "end_reminded"], {}, terms) is None
