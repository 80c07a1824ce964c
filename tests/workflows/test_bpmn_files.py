"""The files in bpmn/ validate, and every flow node and flow has diagram coordinates (BPMN DI), so they
render in any modeler; every user task has a Chinese name and every form label is Chinese."""
import re
from pathlib import Path

import pytest
from lxml import etree

from engine.cli import main

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
NS = {"b": "http://www.omg.org/spec/BPMN/20100524/MODEL", "di": "http://www.omg.org/spec/BPMN/20100524/DI",
      "c": "http://camunda.org/schema/1.0/bpmn"}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "callActivity",
              "exclusiveGateway", "parallelGateway", "eventBasedGateway", "intermediateCatchEvent", "boundaryEvent",
              "lane", "participant")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
FILES = sorted(BPMN.glob("*.bpmn"))


def test_the_whole_folder_validates(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'v.db'}"
    assert main(["--db", url, "init-db"]) == 0
    assert main(["--db", url, "validate", str(BPMN)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    for process in ("admission_review", "subsidy_approval", "formal_inquiry"):
        assert f"ok: {process}" in out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_element_has_a_shape_or_edge(path):
    tree = etree.parse(str(path))
    shapes = {s.get("bpmnElement") for s in tree.iterfind(".//di:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in tree.iterfind(".//di:BPMNEdge", NS)}
    nodes = [n.get("id") for tag in FLOW_NODES for n in tree.iterfind(f".//b:{tag}", NS)]
    flows = [f.get("id") for f in tree.iterfind(".//b:sequenceFlow", NS)]
    assert nodes and flows
    assert [n for n in nodes if n not in shapes] == []
    assert [f for f in flows if f not in edges] == []
    for edge in tree.iterfind(".//di:BPMNEdge", NS):
        assert len(edge.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2, edge.get("id")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_user_tasks_and_form_labels_read_in_chinese(path):
    tree = etree.parse(str(path))
    for task in tree.iterfind(".//b:userTask", NS):
        assert CHINESE.search(task.get("name", "")), task.get("id")
        assert task.findall(".//c:formField", NS), f"{task.get('id')} has no form"
        for f in task.iterfind(".//c:formField", NS):
            assert CHINESE.search(f.get("label", "")), f"{task.get('id')}.{f.get('id')}"
    for lane in tree.iterfind(".//b:lane", NS):
        assert CHINESE.search(lane.get("name", ""))


def test_every_sla_is_in_working_days():
    for path in FILES:
        tree = etree.parse(str(path))
        for timer in tree.iterfind(".//b:timerEventDefinition/*", NS):
            assert not re.match(r"^P\d", (timer.text or "").strip()), f"{path.name}: calendar-day timer {timer.text}"
        for task in tree.iterfind(".//b:userTask", NS):
            due = task.get("{http://camunda.org/schema/1.0/bpmn}dueDate")
            assert due is None or "workdays" in due or due in ("reply_due",), f"{path.name}:{task.get('id')}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_user_task_has_a_working_day_due_date_a_reminder_and_an_escalation(path):
    """Each step's SLA: due in working days, a reminder before that moment and an escalation at it (the
    escalation notifies the department's supervisors, or opens 督办 where the diagram leads it to a step)."""
    tree = etree.parse(str(path))
    scripts = " ".join(s.text or "" for s in tree.iterfind(".//b:script", NS))
    for task in tree.iterfind(".//b:userTask", NS):
        tid = task.get("id")
        due = task.get("{http://camunda.org/schema/1.0/bpmn}dueDate") or ""
        assert "workdays(" in due or re.search(rf"\b{re.escape(due)}\s*=\s*workdays\(", scripts), f"{tid}: due {due!r}"
        slas = {}
        for boundary in tree.iterfind(f".//b:boundaryEvent[@attachedToRef='{tid}']", NS):
            kind = next((p.get("value") for p in boundary.iterfind(".//c:property[@name='sla']", NS)), None)
            timer = boundary.find(".//b:timerEventDefinition/*", NS)
            if kind and timer is not None:
                slas[kind] = (timer.text or "").strip()
                assert boundary.get("cancelActivity") == "false", f"{tid}: an SLA timer must not cancel the step"
        assert set(slas) == {"reminder", "escalation"}, f"{tid}: {slas}"
        for kind, text in slas.items():
            assert "workdays(" in text or "workhours(" in text or re.search(
                rf"\b{re.escape(text)}\s*=\s*workdays\(", scripts), f"{tid}: {kind} at {text!r}"
