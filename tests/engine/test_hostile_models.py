"""Hostile models a designer can deploy: each is either refused at deploy, naming the element, or runs without hanging
the request or the worker that starts or advances its case (found by a hostile-input review)."""
from __future__ import annotations

import re

import pytest

from engine import repository
from engine.calendar import WorkCalendar
from engine.errors import DeployError, EngineError
from engine.functions import build_functions
from factories import SYSTEM, bpmn, complete, deploy_process, form_xml, fresh, make_users, open_steps, start, within




def _refused(rt, files):
    """The problems of a set of files refused at deploy (it fails when they deploy)."""
    with rt.db.read() as session, pytest.raises(DeployError) as info:
        rt.compile(session, files)
    return info.value.problems


def _named(problems, element, *words):
    """Whether a problem names `element` and says every one of `words`."""
    return any(p.element == element and all(w in p.message for w in words) for p in problems)


# --- a parallel gateway as a loop's merge point ------------------------------------------------------------------

LOOP_MERGED_BY_PARALLEL = f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
<bpmn:parallelGateway id="merge"/><bpmn:sequenceFlow id="f0" sourceRef="merge" targetRef="a"/>
<bpmn:userTask id="a" name="A">{form_xml(("again", "boolean"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f6" sourceRef="a" targetRef="gw"/><bpmn:exclusiveGateway id="gw" default="f_end"/>
<bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="merge"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end"/><bpmn:endEvent id="end"/>"""


def test_a_parallel_join_fed_by_a_loop_back_edge_is_refused_naming_the_gateway(rt):
    """A parallel gateway as the loop's merge point (start flow + loop-back flow): it ran rounds one to three, then the
    case went `stuck` in round four with nothing open. The deploy refuses it, naming `merge`."""
    problems = _refused(rt, {"par_merge.bpmn": bpmn("par_merge", LOOP_MERGED_BY_PARALLEL,
                                                    {"EDU": ["start", "merge", "a", "gw", "end"]})})
    assert _named(problems, "merge", "f1", "f_again", "exclusive gateway"), problems


JOIN_IN_LOOP_BODY = f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
<bpmn:exclusiveGateway id="merge"/><bpmn:sequenceFlow id="f0" sourceRef="merge" targetRef="split"/>
<bpmn:parallelGateway id="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="a"/><bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="b"/>
<bpmn:userTask id="a" name="A">{form_xml(("again", "boolean"))}</bpmn:userTask><bpmn:task id="b"/>
<bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="join"/><bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="join"/>
<bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="gw"/>
<bpmn:exclusiveGateway id="gw" default="f_end"/>
<bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="merge"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end"/><bpmn:endEvent id="end"/>"""

LOOP_IN_A_BRANCH = f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:parallelGateway id="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="merge"/><bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="b"/>
<bpmn:exclusiveGateway id="merge"/><bpmn:sequenceFlow id="f0" sourceRef="merge" targetRef="a"/>
<bpmn:userTask id="a" name="A">{form_xml(("again", "boolean"))}</bpmn:userTask><bpmn:task id="b"/>
<bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="gw"/><bpmn:exclusiveGateway id="gw" default="f_on"/>
<bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="merge"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_on" sourceRef="gw" targetRef="join"/><bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="join"/>
<bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/><bpmn:endEvent id="end"/>"""


@pytest.mark.parametrize("body", [JOIN_IN_LOOP_BODY, LOOP_IN_A_BRANCH], ids=["join-inside-a-loop", "loop-inside-a-branch"])
def test_parallel_joins_inside_a_loop_or_around_one_still_deploy_and_run(rt, body):
    elements = ["start", "merge", "split", "a", "b", "join", "gw", "end"]
    deploy_process(rt, "par_ok", body, {"EDU": elements})
    edu = make_users(rt)["edu_reviewer"]
    case_id = start(rt, "par_ok").case_id
    for again in (True, True, False):
        names, steps, status = open_steps(rt, case_id)
        assert names == ["a"], f"{names}, case {status}"
        complete(rt, edu, steps["a"], {"again": again})
    assert open_steps(rt, case_id)[2] == "completed"


# --- timers and call activities that never end ----------------------------------------------------------------------

def _timer_process(timer_xml):
    return (f'<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            f'<bpmn:userTask id="t" name="T"/><bpmn:boundaryEvent id="bt" attachedToRef="t">'
            f'<bpmn:timerEventDefinition>{timer_xml}</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
            f'<bpmn:sequenceFlow id="fb" sourceRef="bt" targetRef="e"/>'
            f'<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def _failed_within(rt, key, data, *words):
    """In a child process: the start returns, the case failed and its error says every one of `words`."""
    outcome = start(fresh(rt), key, data)
    assert outcome.status == "failed", outcome
    assert all(w in (outcome.error or "") for w in words), outcome.error


TIMER_LANES = {"EDU": ["s", "t", "bt", "e"]}


@pytest.mark.parametrize("cycle", ["R1000000/PT0S", "R/PT0.001S", "R5/PT59S"])
def test_a_timer_cycle_shorter_than_a_minute_is_refused_at_deploy(rt, cycle):
    """R1000000/PT0S made the case start spin in do_engine_steps; R/PT0.001S could hang the worker's sweep."""
    problems = _refused(rt, {"h3_cycle.bpmn": bpmn("h3_cycle", _timer_process(f"<bpmn:timeCycle>{cycle}</bpmn:timeCycle>"),
                                                   TIMER_LANES)})
    assert _named(problems, "bt", cycle, "once a minute"), problems


def test_a_timer_cycle_of_a_minute_or_more_still_deploys(rt):
    deploy_process(rt, "h3_cycle_ok", _timer_process("<bpmn:timeCycle>R3/PT1M</bpmn:timeCycle>"), TIMER_LANES)


@pytest.mark.parametrize("cycle", ["R1000000/PT0S", "R/PT0.001S"])
def test_a_timer_cycle_given_as_an_expression_fails_the_case_instead_of_hanging(rt, cycle):
    deploy_process(rt, "h3_cycle_expr", _timer_process("<bpmn:timeCycle>${cycle}</bpmn:timeCycle>"), TIMER_LANES)
    assert within(20, _failed_within, rt, "h3_cycle_expr", {"cycle": cycle}, "bt", "once a minute"), \
        f"timeCycle {cycle}: still running after 20 s"


def _refused_within(rt, files, element, *words):
    """In a child process: the deploy check returns, refusing `files` with a problem on `element` that says `words`."""
    assert _named(_refused(fresh(rt), files), element, *words)


@pytest.mark.parametrize("cycle", ["R/P999999999Y", "R3/2026-01-01T09:00:00+08:00/P99999999M", "R/P99999999Y/2026-01-01T09:00:00+08:00",
                                   "R2/PT999999999999H"])
def test_a_timer_cycle_repeating_less_than_once_a_century_is_refused_at_deploy_without_hanging(rt, cycle):
    """The deploy check itself never returned: SpiffWorkflow counts a cycle's years and months one month at a time
    (R/P999999999Y: twelve billion months) before the check could compare the interval with a minute."""
    files = {"h3_cycle.bpmn": bpmn("h3_cycle", _timer_process(f"<bpmn:timeCycle>{cycle}</bpmn:timeCycle>"), TIMER_LANES)}
    assert within(20, _refused_within, rt, files, "bt", cycle, "100 years"), f"timeCycle {cycle}: no answer after 20 s"


def test_a_timer_cycle_given_as_an_expression_repeating_less_than_once_a_century_fails_the_case(rt):
    deploy_process(rt, "h3_cycle_long", _timer_process("<bpmn:timeCycle>${cycle}</bpmn:timeCycle>"), TIMER_LANES)
    assert within(20, _failed_within, rt, "h3_cycle_long", {"cycle": "R/P999999999Y"}, "bt", "100 years"), \
        "timeCycle R/P999999999Y: the case start did not return"


SELF_CALL = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="c"/>'
             '<bpmn:callActivity id="c" calledElement="CALLED"/><bpmn:sequenceFlow id="g" sourceRef="c" targetRef="e"/>'
             '<bpmn:endEvent id="e"/>')


def test_a_process_that_calls_itself_is_refused_at_deploy_naming_the_call_activity(rt):
    """Its case start never returned, memory growing (a called process in a called process …)."""
    problems = _refused(rt, {"h3_self.bpmn": bpmn("h3_self", SELF_CALL.replace("CALLED", "h3_self"),
                                                  {"EDU": ["s", "c", "e"]})})
    assert _named(problems, "c", "h3_self", "leads back"), problems


def test_processes_that_call_each_other_are_refused_naming_each_call_activity(rt):
    files = {"ping.bpmn": bpmn("ping", SELF_CALL.replace("CALLED", "pong"), {"EDU": ["s", "c", "e"]}),
             "pong.bpmn": bpmn("pong", SELF_CALL.replace("CALLED", "ping").replace('id="c"', 'id="c2"')
                               .replace('"c"', '"c2"'), {"EDU": ["s", "c2", "e"]})}
    problems = _refused(rt, files)
    assert _named(problems, "c", "pong", "ping → pong → ping"), problems
    assert _named(problems, "c2", "ping", "pong → ping → pong"), problems


def test_called_processes_nested_more_than_ten_deep_fail_the_case_naming_the_call_activity(rt):
    """The run-time guard for what the deploy check cannot see (a stored version deployed before it)."""
    files = {}
    for level in range(12):
        body = (SELF_CALL.replace("CALLED", f"deep{level + 1}").replace('"c"', f'"c{level}"') if level < 11 else
                '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>')
        files[f"deep{level}.bpmn"] = bpmn(f"deep{level}", body, {"EDU": ["s", f"c{level}", "e"] if level < 11 else ["s", "e"]})
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, files)
    assert within(30, _failed_within, rt, "deep0", {}, "c10", "deep11", "more than 10"), "the start did not return"


@pytest.mark.parametrize("timer, words", [
    ("<bpmn:timeDuration>P999999999Y</bpmn:timeDuration>", ["P999999999Y", "longer than 100 years"]),
    ("<bpmn:timeDuration>P999999999D</bpmn:timeDuration>", ["P999999999D", "longer than 100 years"]),
    ("<bpmn:timeDuration>P40000D</bpmn:timeDuration>", ["P40000D", "longer than 100 years"]),
    ("<bpmn:timeDuration>PT900000000H</bpmn:timeDuration>", ["PT900000000H", "longer than 100 years"]),
    ("<bpmn:timeDuration>P6000W</bpmn:timeDuration>", ["P6000W", "longer than 100 years"]),
    ("<bpmn:timeDuration>-PT5M</bpmn:timeDuration>", ["-PT5M", "has a sign", "'PT5M'"]),
    ("<bpmn:timeDuration>workdays(1e308)</bpmn:timeDuration>", ["workdays()", "1e308", "100 years"]),
    ("<bpmn:timeDuration>workdays(10**9)</bpmn:timeDuration>", ["workdays()", "10**9", "100 years"]),
    ("<bpmn:timeDuration>${add_days(None, -365 * 101)}</bpmn:timeDuration>", ["add_days()", "-365 * 101"]),
    ("<bpmn:timeDate>workhours(24 * 366 * 100 + 1)</bpmn:timeDate>", ["workhours()", "100 years"]),
])
def test_a_literal_timer_that_can_only_fail_is_refused_at_deploy_naming_the_event(rt, timer, words):
    """These deployed, then failed every case at the step (OverflowError, NameError 'PT5M', "longer than 100 years")."""
    problems = _refused(rt, {"h3_timer.bpmn": bpmn("h3_timer", _timer_process(timer), TIMER_LANES)})
    assert _named(problems, "bt", *words), problems


def test_a_due_date_that_can_only_fail_is_refused_at_deploy_naming_the_task(rt):
    body = _timer_process("<bpmn:timeDuration>P3D</bpmn:timeDuration>").replace(
        '<bpmn:userTask id="t" name="T"/>', '<bpmn:userTask id="t" name="T" camunda:dueDate="${workdays(2 ** 60)}"/>')
    problems = _refused(rt, {"h3_due.bpmn": bpmn("h3_due", body, TIMER_LANES)})
    assert _named(problems, "t", "due date", "2 ** 60"), problems


@pytest.mark.parametrize("timer", ["<bpmn:timeDuration>workdays(n)</bpmn:timeDuration>",
                                   "<bpmn:timeDuration>${workdays(2 * 5 + 0.5)}</bpmn:timeDuration>",
                                   "<bpmn:timeDuration>P100Y</bpmn:timeDuration>"])
def test_timers_within_a_century_or_not_constant_still_deploy(rt, timer):
    deploy_process(rt, "h3_timer_ok", _timer_process(timer), TIMER_LANES)


@pytest.mark.parametrize("call", ["workdays(1e308)", "workdays(10**9)", "workhours(float('inf'))", "workdays(float('nan'))",
                                  "add_days('2025-01-01', 10**9)", "add_days(None, 1e308)", "workdays(10**400)"])
def test_the_span_functions_refuse_spans_beyond_a_century_with_an_engine_error(call):
    functions = build_functions(WorkCalendar())
    with pytest.raises(EngineError) as info:
        eval(call, {"float": float, **functions})  # noqa: S307 - a test of the functions themselves
    assert "100 years" in str(info.value) and info.value.code == "span_too_long"


def test_a_long_chain_is_refused_with_a_message_that_says_why_not_an_arbitrary_task(rt):
    body, prev = '<bpmn:startEvent id="s"/>', "s"
    for i in range(900):
        body += f'<bpmn:sequenceFlow id="f{i}" sourceRef="{prev}" targetRef="t{i}"/><bpmn:task id="t{i}"/>'
        prev = f"t{i}"
    body += f'<bpmn:sequenceFlow id="fe" sourceRef="{prev}" targetRef="e"/><bpmn:endEvent id="e"/>'
    problems = _refused(rt, {"h3_chain.bpmn": bpmn("h3_chain", body, {"EDU": ["s", "e"] + [f"t{i}" for i in range(900)]})})
    assert not any(re.fullmatch(r"t\d+", p.element or "") for p in problems), problems
    assert any(p.file == "h3_chain.bpmn" and "too long or too deeply nested" in p.message for p in problems), problems


def _nested(levels):
    body = "".join(f'<bpmn:subProcess id="sp{i}">' for i in range(levels))
    return bpmn("h3_nested", body + '<bpmn:startEvent id="s"/>' + "</bpmn:subProcess>" * levels)


_LAUGHS = ('<!ENTITY lol0 "lololololololololol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)))
_DEFINITIONS = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
                '<bpmn:process id="p" isExecutable="true" name="NAME"/></bpmn:definitions>')


@pytest.mark.parametrize("content, words", [
    (_nested(300), ["nested more than 255 levels"]),
    (f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{_LAUGHS}]>\n{_DEFINITIONS.replace("NAME", "&lol9;")}'.encode(),
     ["DTD or entities"]),
    (('<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
      + _DEFINITIONS.replace("NAME", "&xxe;")).encode(), ["DTD or entities"]),
    (('<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY who "me">]>\n' + _DEFINITIONS.replace("NAME", "&who;")).encode(),
     ["DTD or entities"]),
    (b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="x"><oops></bpmn:definitions>', ["not well-formed"]),
], ids=["300-levels", "billion-laughs", "xxe", "internal-entity", "malformed"])
def test_unreadable_xml_says_why(rt, content, words):
    """300 nested sub-processes (libxml2's depth limit), billion laughs and XXE were all "XML is not well-formed"."""
    problems = _refused(rt, {"h3_xml.bpmn": content})
    assert any(p.file == "h3_xml.bpmn" and all(w in p.message for w in words) for p in problems), problems


# --- multi-instance steps and joins too wide to run ---------------------------------------------------------------

def _multi(cardinality="", collection=""):
    loop = (f'<bpmn:multiInstanceLoopCharacteristics camunda:collection="{collection}" camunda:elementVariable="item"/>'
            if collection else f'<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{cardinality}'
                               '</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>')
    return (f'<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="m"/>'
            f'<bpmn:userTask id="m" name="M">{loop}</bpmn:userTask>'
            f'<bpmn:sequenceFlow id="f2" sourceRef="m" targetRef="e"/><bpmn:endEvent id="e"/>')


MULTI_LANES = {"EDU": ["s", "m", "e"]}


def test_a_constant_loop_cardinality_beyond_the_limit_is_refused_at_deploy(rt):
    problems = _refused(rt, {"h3_multi.bpmn": bpmn("h3_multi", _multi("10**6"), MULTI_LANES)})
    assert _named(problems, "m", "10**6", "1000"), problems
    deploy_process(rt, "h3_multi_ok", _multi("1000"), MULTI_LANES)
    assert len(start(rt, "h3_multi_ok").opened) == 1000


@pytest.mark.parametrize("loop, data", [(dict(cardinality="n"), {"n": 10 ** 6}),
                                        (dict(collection="items"), {"items": list(range(1001))})],
                         ids=["cardinality", "collection"])
def test_a_multi_instance_step_beyond_the_limit_fails_the_case_naming_it(rt, loop, data):
    """10**6 instances held the case start for minutes, memory growing (and on SQLite every other write with it)."""
    deploy_process(rt, "h3_multi_run", _multi(**loop), MULTI_LANES)
    assert within(20, _failed_within, rt, "h3_multi_run", data, "m", "instances", "at most 1000"), \
        "the start did not return"


def _wide(branches):
    body = '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="split"/><bpmn:parallelGateway id="split"/>'
    for i in range(branches):
        body += (f'<bpmn:sequenceFlow id="a{i}" sourceRef="split" targetRef="t{i}"/><bpmn:task id="t{i}"/>'
                 f'<bpmn:sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="join"/>')
    body += ('<bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="fe" sourceRef="join" targetRef="u"/>'
             '<bpmn:userTask id="u" name="U"/><bpmn:sequenceFlow id="fz" sourceRef="u" targetRef="e"/><bpmn:endEvent id="e"/>')
    return body, {"EDU": ["s", "split", "join", "u", "e"] + [f"t{i}" for i in range(branches)]}


def test_a_join_of_more_than_a_hundred_flows_is_refused_at_deploy(rt):
    """400 branches into one parallel join took 11 s to start a case (each arrival looks at every other branch)."""
    body, lanes = _wide(101)
    assert _named(_refused(rt, {"h3_wide.bpmn": bpmn("h3_wide", body, lanes)}), "join", "101 flows", "at most 100")
    body, lanes = _wide(100)
    deploy_process(rt, "h3_wide_ok", body, lanes)
    assert [row["element_id"] for row in start(rt, "h3_wide_ok").opened] == ["u"]


PAST_CYCLE = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
              '<bpmn:userTask id="t" name="T"/><bpmn:boundaryEvent id="bt" attachedToRef="t" cancelActivity="false">'
              '<bpmn:timerEventDefinition><bpmn:timeCycle>CYCLE</bpmn:timeCycle></bpmn:timerEventDefinition>'
              '</bpmn:boundaryEvent><bpmn:sequenceFlow id="fb" sourceRef="bt" targetRef="n"/><bpmn:userTask id="n" name="N"/>'
              '<bpmn:sequenceFlow id="fn" sourceRef="n" targetRef="e2"/><bpmn:endEvent id="e2"/>'
              '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


@pytest.mark.parametrize("cycle", ["R/2000-01-01T00:00:00Z/PT1M", "R100000000/2000-01-01T00:00:00Z/PT1M"])
def test_a_timer_cycle_that_started_long_ago_fires_once_for_the_rounds_it_missed(rt, cycle):
    """It deployed, and then fired every minute since 2000 one round at a time: each worker round fired it again
    (still due), the worker never rested, the other cases' timers came after it, and each round opened a step (400
    steps in 20 s; found by a hostile-input review). The rounds due by now fire once; the next is a minute ahead."""
    from datetime import timedelta

    import time_machine

    from engine import timers, wallclock
    from engine.routing import Actor
    deploy_process(rt, "h3_past", PAST_CYCLE.replace("CYCLE", cycle), {"EDU": ["s", "t", "bt", "n", "e2", "e"]})
    case_id = start(rt, "h3_past").case_id
    assert open_steps(rt, case_id)[0] == ["n", "t"]
    assert timers.sweep(rt, Actor.system("worker"), limit=50).fired == 0  # nothing due before the next minute
    with time_machine.travel(wallclock.now() + timedelta(minutes=3), tick=False):
        assert timers.sweep(rt, Actor.system("worker"), limit=50).fired == 1
    with rt.db.read() as session:
        from engine.models import Task
        assert session.query(Task).filter(Task.case_id == case_id, Task.element_id == "n").count() == 2


STANDARD_LOOP = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="m"/>'
                 '<bpmn:scriptTask id="m" name="M"><bpmn:standardLoopCharacteristics><bpmn:loopCondition>True'
                 '</bpmn:loopCondition></bpmn:standardLoopCharacteristics><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
                 '<bpmn:sequenceFlow id="f2" sourceRef="m" targetRef="t"/><bpmn:userTask id="t" name="T"/>'
                 '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def test_a_loop_without_end_fails_the_case_naming_the_element(rt, monkeypatch):
    """A standard loop whose condition stays true passed the deploy and then held the case start for ever: the
    expression budget counts the time of evaluations only, and each round's takes microseconds (found by a hostile-input
    review). Past MAX_ENGINE_STEPS elements run in one go the case fails (lowered here to keep the test short)."""
    from engine import steps
    monkeypatch.setattr(steps, "MAX_ENGINE_STEPS", 300)
    deploy_process(rt, "h3_loop", STANDARD_LOOP, {"EDU": ["s", "m", "t", "e"]})
    assert within(60, _failed_within, rt, "h3_loop", {}, "m", "more than 300 elements", "loop without end"), \
        "the start did not return"


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_a_loop_cardinality_is_evaluated_once_when_the_step_starts(rt, monkeypatch, sequential):
    """The limit's count, Camunda's collection-or-number check and SpiffWorkflow's instances each evaluated it:
    an expression calling a slow function or a registry paid three times."""
    from engine.expressions import RestrictedEnvironment

    evaluated = []
    original = RestrictedEnvironment.evaluate

    def counting(self, expression, context, external_context=None):
        evaluated.append(expression)
        return original(self, expression, context, external_context)

    body = _multi(cardinality="n + 1")
    if sequential:
        body = body.replace("<bpmn:multiInstanceLoopCharacteristics>",
                            '<bpmn:multiInstanceLoopCharacteristics isSequential="true">')
    deploy_process(rt, "h3_multi_once", body, MULTI_LANES)
    monkeypatch.setattr(RestrictedEnvironment, "evaluate", counting)
    outcome = start(rt, "h3_multi_once", {"n": 2})
    assert len(outcome.opened) == (1 if sequential else 3), outcome
    assert evaluated.count("n + 1") == 1, evaluated
