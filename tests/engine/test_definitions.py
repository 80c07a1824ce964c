"""Deploy-time validation: every problem at once, as file:line: element: message."""
import re
from pathlib import Path

import pytest

from engine import repository
from engine.cli import main
from engine.errors import DeployError
from factories import BPMN_DIR, SYSTEM, bpmn, deploy_fixtures

BROKEN = Path(__file__).parent / "broken"

EXPECTED = [
    ("broken.bpmn", 7, "lane_x", "does not match any department"),
    ("broken.bpmn", 14, "fill", "candidate group 'boss' is not a role"),
    ("broken.bpmn", 17, "fill", "form field '1st': id must start with a letter"),
    ("broken.bpmn", 18, "fill", "an enum field needs at least one value"),
    ("broken.bpmn", 19, "fill", "constraint max='abc' does not fit a long field"),
    ("broken.bpmn", 27, "f3", "syntax error"),
    ("broken.bpmn", 30, "f4", "no condition and is not the default flow"),
    ("broken.bpmn", 31, "calc", "imports are not allowed"),
    ("broken.bpmn", 36, "wait", "neither a valid ISO 8601"),
    ("broken.bpmn", 40, "ask", "calls process 'no_such_process'"),
    ("broken.bpmn", 42, "check", "no service handler is registered for topic 'registry.unknown'"),
    ("broken.bpmn", 43, "f8", "targetRef 'nowhere' names no element"),
    ("broken.bpmn", 44, "orphan", "user task is in no lane"),
    ("malformed.bpmn", 5, None, "XML is not well-formed"),
    ("rules.dmn", 8, "r1i", "table '积分', rule 1 (r1), column '住房类型': cell 'date(\"2026-02-30\")' is refused: "
                            "'2026-02-30' is not a valid value of date(…)"),
    ("rules.dmn", 13, "r2o", "is refused"),
]


def test_every_problem_is_reported_at_once(rt):
    files = {p.name: p.read_bytes() for p in BROKEN.iterdir()}
    with rt.db.read() as session, pytest.raises(DeployError) as info:
        rt.compile(session, files)
    problems = info.value.problems
    for file, line, element, text in EXPECTED:
        assert any(p.file == file and p.line == line and p.element == element and text in p.message
                   for p in problems), f"missing {file}:{line}: {element}: {text}\n" + "\n".join(map(str, problems))
    assert len(problems) == len(EXPECTED), "\n".join(map(str, problems))


def test_cli_validate_prints_file_line_element_message_and_fails(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--db", url, "init-db"]) == 0
    assert main(["--db", url, "validate", str(BROKEN)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert "broken.bpmn:40: ask: calls process 'no_such_process', which is not in the files being deployed" in err
    assert err[-1] == "error: 16 problems found; nothing was deployed"
    assert main(["--db", url, "validate", str(BPMN_DIR)]) == 0


def test_failed_deploy_leaves_the_active_version_untouched(rt):
    deploy_fixtures(rt, "two_lane.bpmn")
    broken = (BPMN_DIR / "two_lane.bpmn").read_bytes().replace(b'targetRef="decide"', b'targetRef="nowhere"')
    with rt.db.write() as session, pytest.raises(DeployError):
        repository.deploy(session, rt, SYSTEM, {"two_lane.bpmn": broken})
    with rt.db.read() as session:
        assert repository.latest(session, "two_lane").version == 1
        assert repository.version_count(session, "two_lane") == 1


def test_identical_content_makes_no_new_version_and_a_change_does(rt):
    first = deploy_fixtures(rt)
    assert {d.process_key: d.created for d in first} == {
        "two_lane": True, "rework_loop": True, "parallel_loop": True, "sla_two_lane": True, "send_back": True,
        "incl_loop": True}
    again = deploy_fixtures(rt)
    assert not any(d.created for d in again)
    # saved again by another modeler: other indentation, attributes in another order — the same file
    original = (BPMN_DIR / "two_lane.bpmn").read_bytes()
    resaved = re.sub(rb">\s+<", b">\n\t\t<", original).replace(
        b'<bpmn:userTask id="decide" name="\xe5\xae\xa1\xe5\xae\x9a" camunda:candidateGroups="supervisor">',
        b'<bpmn:userTask camunda:candidateGroups="supervisor" name="\xe5\xae\xa1\xe5\xae\x9a" id="decide">')
    assert b'camunda:candidateGroups="supervisor" name=' in resaved
    assert resaved != original
    with rt.db.write() as session:
        assert not any(d.created for d in repository.deploy(session, rt, SYSTEM, {"two_lane.bpmn": resaved}))
    with rt.db.write() as session:  # a version stored with the hash of before (indentation kept) is the same too
        model = rt.compile(session, {"two_lane.bpmn": original}).processes["two_lane"]
        assert model.earlier_hash != model.content_hash
        repository.latest(session, "two_lane").content_hash = model.earlier_hash
    with rt.db.write() as session:
        assert not any(d.created for d in repository.deploy(session, rt, SYSTEM, {"two_lane.bpmn": original}))
    changed = (BPMN_DIR / "two_lane.bpmn").read_bytes().replace("受理审查".encode(), "受理审查（新）".encode())
    files = {p.name: p.read_bytes() for p in BPMN_DIR.iterdir()} | {"two_lane.bpmn": changed}
    with rt.db.write() as session:
        result = {d.process_key: (d.version, d.created) for d in repository.deploy(session, rt, SYSTEM, files)}
    assert result == {"two_lane": (2, True), "rework_loop": (1, False), "parallel_loop": (1, False),
                      "sla_two_lane": (1, False), "send_back": (1, False), "incl_loop": (1, False)}


def test_lanes_resolve_by_code_name_or_alias(rt):
    doc = bpmn("p", '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>'
               '<bpmn:userTask id="t" name="任务"/><bpmn:sequenceFlow id="g" sourceRef="t" targetRef="e"/>'
               '<bpmn:endEvent id="e"/>', lanes={"Housing and Urban-Rural Development Bureau": ["s", "t", "e"]})
    with rt.db.read() as session:
        model = rt.compile(session, {"p.bpmn": doc}).processes["p"]
    assert model.user_tasks[("p", "t")].department == "HUD"


def test_only_bpmn_and_dmn_files_are_accepted(rt):
    with rt.db.read() as session, pytest.raises(DeployError, match="1 problem"):
        rt.compile(session, {"notes.txt": b"hello", "p.bpmn": bpmn("p", MINIMAL)})


MINIMAL = '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>'


def test_dead_ends_and_unreachable_elements_are_named(rt):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>'
            '<bpmn:scriptTask id="t" name="算"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
            '<bpmn:scriptTask id="lost" name="孤立"><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>'
            '<bpmn:sequenceFlow id="g" sourceRef="lost" targetRef="e"/><bpmn:endEvent id="e"/>')
    with rt.db.read() as session, pytest.raises(DeployError) as info:
        rt.compile(session, {"p.bpmn": bpmn("p", body)})
    messages = {(p.element, p.message.split(":")[0]) for p in info.value.problems}
    assert ("t", "script task has no outgoing flow") in messages
    assert ("lost", "script task has no incoming flow, so it can never be reached") in messages


def test_well_formed_xml_that_is_not_bpmn_or_dmn_is_named_as_such(rt):
    files = {"x.bpmn": b"<r/>", "rules.dmn": b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'}
    with rt.db.read() as session, pytest.raises(DeployError) as info:
        rt.compile(session, files)
    messages = sorted(str(p) for p in info.value.problems)
    assert messages == [
        "rules.dmn:1: -: this is not a DMN file: its root element is <definitions> in namespace "
        "'http://www.omg.org/spec/BPMN/20100524/MODEL', not DMN <definitions>",
        "x.bpmn:1: -: this is not a BPMN file: its root element is <r> in namespace '—', not BPMN <definitions>"]
