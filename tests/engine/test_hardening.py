"""Defects found in review of the engine core, each with the test that would have caught it."""
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from engine import cases, repository, timers
from engine.cli import main
from engine.errors import DeployError, InvalidInput
from engine.expressions import RestrictedEnvironment, check
from engine.calendar import WorkCalendar
from engine.functions import build_functions
from engine.models import Case, Department
from engine.routing import Actor
from factories import SYSTEM, bpmn, deploy_fixtures, make_users, opened, start

LANE = {"EDU": ["s", "t", "x", "e"]}
SCRIPT_THEN_TASK = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="x"/>'
                    '<bpmn:scriptTask id="x" name="算"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
                    '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="t"/><bpmn:userTask id="t" name="办"/>'
                    '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def deploy(rt, pid, body, lanes=None):
    with rt.db.write() as session:
        return repository.deploy(session, rt, SYSTEM, {f"{pid}.bpmn": bpmn(pid, body, lanes or LANE)})


@pytest.mark.parametrize("data", [{"note": {"typename": "UUID", "value": "x"}}, {"typename": "BpmnWorkflow"},
                                  {"list": [{"typename": "datetime"}]}])
def test_data_the_state_restorer_would_turn_into_objects_is_refused(rt, data):
    deploy_fixtures(rt, "two_lane.bpmn")
    with pytest.raises(InvalidInput, match="invalid names or values"):
        start(rt, "two_lane", data)


def test_message_payloads_are_checked_too(rt):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>'
            '<bpmn:intermediateCatchEvent id="w"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>'
            '<bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="e"/><bpmn:endEvent id="e"/>')
    doc = bpmn("waiter", body, {"EDU": ["s", "w", "e"]}).replace(b'<bpmn:process', b'<bpmn:message id="m" name="nudge"/><bpmn:process')
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"waiter.bpmn": doc})
    out = start(rt, "waiter")
    with rt.db.write() as session, pytest.raises(InvalidInput):
        cases.send_message(session, rt, SYSTEM, out.business_key, "nudge", {"x": {"typename": "UUID"}})
    with rt.db.write() as session:
        assert cases.send_message(session, rt, SYSTEM, out.business_key, "nudge", {"x": 1}).status == "completed"


@pytest.mark.parametrize("script", ["g = map(str, [1, 2])", "r = range(3)", "b = 'x'.encode()"])
def test_a_script_that_keeps_something_other_than_data_fails_the_case_plainly(rt, script):
    deploy(rt, "odd", SCRIPT_THEN_TASK.format(script=script))
    out = start(rt, "odd")
    assert out.status == "failed" and "only plain data can be kept" in out.error and out.error.startswith("x: ")


def test_a_case_that_cannot_fire_is_set_aside_and_the_others_still_fire(rt):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="w"/>'
            '<bpmn:intermediateCatchEvent id="w"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="t"/>'
            '<bpmn:userTask id="t" name="办"><bpmn:extensionElements><camunda:properties>'
            '<camunda:property name="department" value="target"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>'
            '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')
    deploy(rt, "routed", body, {"动态": ["s", "w", "t", "e"]})
    bad = start(rt, "routed", {"target": "NOWHERE"})
    good = start(rt, "routed", {"target": "PSB"})
    time.sleep(1.1)
    result = timers.sweep(rt, Actor.system("w"))
    assert result.failed == 0 and result.fired == 2
    with rt.db.read() as session:
        assert session.get(Case, bad.case_id).status == "failed"
        assert "'NOWHERE', which is no department" in session.get(Case, bad.case_id).error
        assert session.get(Case, good.case_id).status == "running"


def test_user_tasks_in_an_embedded_subprocess_use_the_lanes_of_their_process(rt):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sp"/>'
            '<bpmn:subProcess id="sp" name="子流程"><bpmn:startEvent id="ss"/>'
            '<bpmn:sequenceFlow id="g1" sourceRef="ss" targetRef="inner"/><bpmn:userTask id="inner" name="内部核验"/>'
            '<bpmn:sequenceFlow id="g2" sourceRef="inner" targetRef="se"/><bpmn:endEvent id="se"/></bpmn:subProcess>'
            '<bpmn:sequenceFlow id="f2" sourceRef="sp" targetRef="e"/><bpmn:endEvent id="e"/>')
    deploy(rt, "embedded", body, {"PSB": ["s", "sp", "ss", "inner", "se", "e"]})
    out = start(rt, "embedded")
    assert [(r["element_id"], r["department_code"]) for r in out.opened] == [("inner", "PSB")]


def test_a_hand_given_key_in_the_generated_format_is_skipped_later(rt):
    deploy_fixtures(rt, "two_lane.bpmn")
    year = datetime.now(timezone.utc).year
    first = start(rt, "two_lane").business_key
    taken = start(rt, "two_lane", business_key=f"TWO-{year}-000002")
    keys = [start(rt, "two_lane").business_key for _ in range(3)]
    assert first == f"TWO-{year}-000001" and keys == [f"TWO-{year}-00000{n}" for n in (3, 4, 5)]
    assert taken.business_key not in keys
    with pytest.raises(InvalidInput):
        start(rt, "two_lane", business_key="x" * 65)


def test_keys_past_the_millionth_case_of_a_year_grow_a_digit(rt):
    deploy_fixtures(rt, "two_lane.bpmn")
    year = datetime.now(timezone.utc).year
    with rt.db.write() as session:
        session.execute(text("INSERT INTO key_sequences (prefix, last) VALUES (:p, 999998)"), {"p": f"TWO-{year}"})
    keys = [start(rt, "two_lane").business_key for _ in range(2)]
    assert keys == [f"TWO-{year}-999999", f"TWO-{year}-1000000"]


def test_camunda_wrapped_conditions_and_keyword_dmn_cells_run(rt):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="r"/>'
            '<bpmn:businessRuleTask id="r" name="判定" camunda:decisionRef="kind"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="r" targetRef="g"/><bpmn:exclusiveGateway id="g" default="no"/>'
            '<bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="t"><bpmn:conditionExpression>${approved}</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="no" sourceRef="g" targetRef="e"/>'
            '<bpmn:userTask id="t" name="办"/><bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')
    dmn = ('<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="n">'
           '<decision id="kind" name="k"><decisionTable id="dt" hitPolicy="FIRST"><input id="i"><inputExpression id="ie"><text>housing</text>'
           '</inputExpression></input><output id="o" name="approved"/>'
           '<rule id="r1"><inputEntry id="e1"><text>in ("own", "rent")</text></inputEntry><outputEntry id="o1"><text>True</text></outputEntry></rule>'
           '<rule id="r2"><inputEntry id="e2"><text>-</text></inputEntry><outputEntry id="o2"><text>False</text></outputEntry></rule>'
           '</decisionTable></decision></definitions>').encode()
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"p.bpmn": bpmn("p", body, {"EDU": ["s", "r", "g", "t", "e"]}), "k.dmn": dmn})
    assert [r["element_id"] for r in start(rt, "p", {"housing": "rent"}).opened] == ["t"]
    assert start(rt, "p", {"housing": "none"}).status == "completed"


def test_expressions_that_would_fail_at_run_time_are_refused_at_deploy(rt):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:userTask id="t" name="办"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="len" label="长度" type="long"/></camunda:formData></bpmn:extensionElements>'
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${items}">'
            '<bpmn:completionCondition>done ==</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>'
            '</bpmn:userTask><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')
    with pytest.raises(DeployError) as info:
        deploy(rt, "mi", body, {"EDU": ["s", "t", "e"]})
    text = str(info.value)
    assert "hides the expression name len()" in text
    assert "collection '${items}' must name a data item" in text
    assert "completion condition 'done ==' is refused" in text


def test_runaway_scripts_are_refused_and_conditions_cannot_change_data():
    assert "while loops are not allowed" in check("while True:\n    pass", "exec")
    assert "exponent of at most 64" in check("9 ** 9 ** 9")
    env = RestrictedEnvironment(build_functions(WorkCalendar()))
    data = {"items": [1]}
    assert env.evaluate("items.append(99) or True", data) is True
    assert data == {"items": [1]}


def test_old_versions_load_even_when_a_handler_is_gone(rt):
    rt.register("registry.ping", lambda call: {"pong": True})
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:userTask id="t" name="办"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="p"/>'
            '<bpmn:serviceTask id="p" name="查" camunda:type="external" camunda:topic="registry.ping"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="p" targetRef="e"/><bpmn:endEvent id="e"/>')
    deploy(rt, "ping", body, {"EDU": ["s", "t", "p", "e"]})
    out = start(rt, "ping")
    from engine.runtime import Runtime
    later = Runtime(rt.db)  # a process started without that handler
    user = make_users(later)["edu_reviewer"]
    with later.db.write() as session:
        out = cases.complete(session, later, user, opened(out)["t"], {})
    assert out.status == "failed" and "registry.ping" in out.error


def test_a_department_added_while_running_is_seen(rt):
    body = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:userTask id="t" name="办"><bpmn:extensionElements><camunda:properties>'
            '<camunda:property name="department" value="target"/></camunda:properties></bpmn:extensionElements></bpmn:userTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')
    deploy(rt, "routed", body, {"动态": ["s", "t", "e"]})
    assert start(rt, "routed", {"target": "EDU"}).status == "running"
    with rt.db.write() as session:
        session.add(Department(code="TAX", name_zh="税务局", name_en="Tax Bureau", aliases=""))
    assert start(rt, "routed", {"target": "TAX"}).opened[0]["department_code"] == "TAX"


def test_cli_errors_without_stack_traces(tmp_path, capsys, monkeypatch):
    assert main(["--db", "nonsense://", "tasks"]) == 1
    assert "error:" in capsys.readouterr().err
    assert main(["--db", "postgresql://nobody@127.0.0.1:1/none", "tasks"]) == 1
    assert "cannot use the database" in capsys.readouterr().err
    monkeypatch.setenv("JOINTREVIEW_TZ", "Mars/Base")
    assert main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "init-db"]) == 1
    assert "unknown time zone 'Mars/Base'" in capsys.readouterr().err
    monkeypatch.delenv("JOINTREVIEW_TZ")
    assert main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "init-db"]) == 0
    assert main(["--db", f"sqlite:///{tmp_path / 'x.db'}", "validate", str(tmp_path / "nowhere")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_non_finite_numbers_are_not_numbers():
    from engine.forms import FormField, validate
    with pytest.raises(InvalidInput) as info:
        validate([FormField("x", "x", "double", constraints={"max": "10"})], {"x": "NaN"})
    assert info.value.fields == {"x": "must be a number"}


def test_gbk_encoded_bpmn_deploys(rt):
    doc = bpmn("gbk", '<bpmn:startEvent id="s" name="开始"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>'
               '<bpmn:endEvent id="e" name="结束"/>', {"EDU": ["s", "e"]})
    gbk = doc.decode("utf-8").replace('encoding="UTF-8"', 'encoding="GBK"').encode("gbk")
    with rt.db.write() as session:
        assert repository.deploy(session, rt, SYSTEM, {"gbk.bpmn": gbk})[0].created
    assert start(rt, "gbk").status == "completed"


@pytest.mark.parametrize("script", ["x = format(1, '>1000000000')", "x = chr(65)", "x = type(1)", "x = dir()",
                                    "x = bytearray(10)", "x = memoryview(b'a')"])
def test_a_call_of_a_name_that_is_no_function_here_is_refused_at_deploy(rt, script):
    with pytest.raises(DeployError) as refused:
        deploy(rt, "calls", SCRIPT_THEN_TASK.format(script=script))
    assert f"{script.split('(')[0].split('= ')[1]}() is not available" in str(refused.value)


def test_functions_a_script_defines_and_the_engines_own_may_be_called(rt):
    deploy(rt, "calls", SCRIPT_THEN_TASK.format(script="f = lambda a: a + 1\nx = f(len('ab')) + int(is_workday(today()))"))


def test_a_stored_version_deployed_before_the_call_check_still_loads(rt, monkeypatch):
    """The check is for deploying; a version already deployed with such a call (in a branch never taken) keeps working
    after a restart, as it did before the check existed."""
    from pathlib import Path

    import engine.lint
    from engine.routing import load_actor
    from factories import complete, opened
    source = (Path(__file__).parent / "bpmn" / "two_lane.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:conditionExpression>complete == True</bpmn:conditionExpression>",
        '<bpmn:conditionExpression>complete == True and format(months, "d") != ""</bpmn:conditionExpression>')
    assert 'format(months, "d")' in source
    monkeypatch.setattr(engine.lint, "unknown_calls", lambda *a, **k: [])  # deployed before the check existed
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"two_lane.bpmn": source.encode()})
    make_users(rt)
    out = start(rt, "two_lane")
    monkeypatch.undo()
    rt._sets.clear()  # the server restarted on the new code
    with rt.db.read() as session:
        user = load_actor(session, "edu_reviewer")
    done = complete(rt, user, opened(out)["intake"], {"complete": False, "months": 3})
    assert done.error is None
