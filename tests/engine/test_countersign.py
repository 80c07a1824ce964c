"""会签 / 或签 / 票签: a parallel multi-instance user task completes when every signer (all), the first
(any) or the given share (ratio) has signed; the signers still pending are withdrawn."""
from __future__ import annotations

import pytest

from engine import cases, repository
from engine.errors import DeployError
from engine.models import Case
from factories import SYSTEM, bpmn, complete, make_users, start


def process(rule: str | None, sequential: bool = False) -> bytes:
    prop = (f'<bpmn:extensionElements><camunda:properties><camunda:property name="countersign" value="{rule}"/>'
            '</camunda:properties></bpmn:extensionElements>') if rule else ""
    seq = ' isSequential="true"' if sequential else ""
    return bpmn("countersign", f"""
      <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/>
      <bpmn:userTask id="sign" name="会签">{prop}
        <bpmn:multiInstanceLoopCharacteristics{seq} camunda:collection="signers" camunda:elementVariable="signer"/>
      </bpmn:userTask>
      <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="after"/>
      <bpmn:userTask id="after" name="办结"/><bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/><bpmn:endEvent id="e"/>""",
                lanes={"EDU": ["s", "sign", "after", "e"]})


def deploy(rt, rule, sequential=False):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"countersign.bpmn": process(rule, sequential)})


@pytest.mark.parametrize("rule, signers, signatures", [
    (None, 3, 3), ("all", 3, 3), ("any", 3, 1), ("ratio:0.6", 5, 3), ("ratio:0.5", 4, 2), ("ratio:1", 2, 2),
])
def test_the_step_completes_after_the_needed_signatures(rt, rule, signers, signatures):
    deploy(rt, rule)
    user = make_users(rt)["edu_reviewer"]
    out = start(rt, "countersign", {"signers": [f"s{i}" for i in range(signers)]})
    pending = [row["id"] for row in out.opened]
    assert len(pending) == signers
    for n in range(signatures):
        out = complete(rt, user, pending[n], {})
        if n < signatures - 1:
            assert out.opened == [], f"done after {n + 1} of {signatures}"
    assert [row["element_id"] for row in out.opened] == ["after"]
    assert sorted(out.closed) == sorted(pending[signatures:])  # the pending signers are withdrawn


@pytest.mark.parametrize("rule, sequential, message", [
    ("most", False, "must be all, any or ratio"), ("ratio:1.5", False, "must be all, any or ratio"),
    ("ratio:0", False, "must be all, any or ratio"), ("any", True, "needs a parallel multi-instance"),
])
def test_bad_rules_are_refused_at_deploy(rt, rule, sequential, message):
    with pytest.raises(DeployError) as refused:
        deploy(rt, rule, sequential)
    assert any(message in p.message and p.element == "sign" for p in refused.value.problems)


def test_each_signature_is_kept_in_the_record(rt):
    body = """
      <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/>
      <bpmn:userTask id="sign" name="会签"><bpmn:extensionElements>
        <camunda:properties><camunda:property name="countersign" value="all"/>
          <camunda:property name="countersign_record" value="opinions"/></camunda:properties>
        <camunda:formData><camunda:formField id="agree" label="同意" type="boolean"/>
          <camunda:formField id="opinion" label="意见" type="string"/></camunda:formData></bpmn:extensionElements>
        <bpmn:multiInstanceLoopCharacteristics camunda:collection="signers" camunda:elementVariable="signer"/>
      </bpmn:userTask>
      <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="after"/>
      <bpmn:userTask id="after" name="办结"/><bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/><bpmn:endEvent id="e"/>"""
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"record.bpmn": bpmn("record", body, lanes={"EDU": ["s", "sign", "after", "e"]})})
    user = make_users(rt)["edu_reviewer"]
    first, second = [row["id"] for row in start(rt, "record", {"signers": ["HUD", "PSB"]}).opened]
    complete(rt, user, second, {"agree": "false", "opinion": "备案缺失"})
    out = complete(rt, user, first, {"agree": "true", "opinion": "同意"})
    with rt.db.read() as session:
        data = cases.current_data(cases.load(session, rt, session.get(Case, out.case_id)))
    assert data["opinions"] == [{"signer": "PSB", "agree": False, "opinion": "备案缺失"},
                                {"signer": "HUD", "agree": True, "opinion": "同意"}]
    assert data["signers"] == ["HUD", "PSB"] and "opinion" not in data  # no instance overwrote another


def test_a_record_needs_a_countersign_and_a_field_name(rt):
    body = """<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/>
      <bpmn:userTask id="sign" name="会签"><bpmn:extensionElements><camunda:properties>
        <camunda:property name="countersign_record" value="opinions"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>
      <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="e"/><bpmn:endEvent id="e"/>"""
    with pytest.raises(DeployError) as raised, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"r.bpmn": bpmn("r", body, lanes={"EDU": ["s", "sign", "e"]})})
    assert "countersign_record 'opinions' must name a data field" in str(raised.value.problems)
