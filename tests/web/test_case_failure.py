"""A case the process could not take further says so in the reader's language, naming the step by its name; the
engine's own words follow as the technical detail for the process designers."""
from conftest import login
from engine import repository
from engine.routing import Actor
from factories import bpmn

BODY = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="score"/>'
        '<bpmn:scriptTask id="score" name="计算积分"><bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="name:en" value="Compute the points"/></camunda:properties></bpmn:extensionElements>'
        '<bpmn:script>points = 100 / divisor</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f2" sourceRef="score" targetRef="t"/><bpmn:userTask id="t" name="审核"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_failed_case_names_the_step_in_the_readers_language(app, world):
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, Actor.system("test"),
                          {"scoring.bpmn": bpmn("scoring", BODY, {"教育局": ["s", "score", "t", "e"]})})
    out = world.start("scoring", {"divisor": 0})
    assert out.status == "failed"
    client = login(app.test_client(), "auditor")
    failure = client.get(f"/cases/{out.business_key}").data.decode().split('id="failure"')[1].split("</div>")[0]
    assert "流程在环节「计算积分」无法继续。" in failure and "请告知流程设计人员" in failure
    assert "ZeroDivisionError" in failure and "score:" not in failure  # the detail, without the element id again
    client.post("/language", data={"language": "en", "next": "/"})
    failure = client.get(f"/cases/{out.business_key}").data.decode().split('id="failure"')[1].split("</div>")[0]
    assert "The process could not go on at the step Compute the points." in failure
