"""A process's `kpi_addressee_field` may name any data field: a value there no department code can be (longer than a
code's column) is no addressee. On PostgreSQL it stopped the figures' refresh at that case, every round, for every
case after it (the facts' insert failed: value too long for character varying(16)), and no alert was raised again."""
from __future__ import annotations

from sqlalchemy import select

from engine import facts, repository
from engine.models import CaseFact, InquiryFact
from tests.factories import SYSTEM, bpmn, start

ASKED = """<bpmn:extensionElements><camunda:properties>
  <camunda:property name="kpi_addressee_field" value="target"/></camunda:properties></bpmn:extensionElements>
<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="send"/>
<bpmn:scriptTask id="send" name="发出函询"><bpmn:extensionElements><camunda:properties>
  <camunda:property name="milestone" value="accepted"/></camunda:properties></bpmn:extensionElements>
  <bpmn:script>sent = True</bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="send" targetRef="answer"/>
<bpmn:userTask id="answer" name="答复"/>
<bpmn:sequenceFlow id="f3" sourceRef="answer" targetRef="e"/><bpmn:endEvent id="e"/>"""


def test_an_addressee_no_department_code_can_be_does_not_stop_the_figures(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"asked.bpmn": bpmn("asked", ASKED, {"EDU": ["s", "send", "answer", "e"]})})
    long = start(rt, "asked", {"target": "市住房和城乡建设局住房保障科（二级机构）"})
    fine = start(rt, "asked", {"target": "PSB"})
    with rt.db.write() as session:
        while facts.refresh(session, rt):
            pass
    with rt.db.read() as session:
        addressees = dict(session.execute(select(CaseFact.business_key, CaseFact.addressee)).all())
        asked = set(session.execute(select(InquiryFact.addressee)).scalars())
    assert addressees == {long.business_key: None, fine.business_key: "PSB"}
    assert asked == {"PSB"}
