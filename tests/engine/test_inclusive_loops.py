"""Inclusive joins inside loops wait for every branch of their own round (found by a hostile-input review: the join
counted an earlier round's arrival of a branch, so the branch arriving first in a later round passed it at once)."""
from __future__ import annotations

import pytest

from factories import complete, deploy_process, form_xml, make_users, open_steps, start




TRUE = "<bpmn:conditionExpression>True</bpmn:conditionExpression>"
INCLUSIVE_LOOP = f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
<bpmn:exclusiveGateway id="merge"/><bpmn:sequenceFlow id="f0" sourceRef="merge" targetRef="split"/>
<bpmn:inclusiveGateway id="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="a">{TRUE}</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="b">{TRUE}</bpmn:sequenceFlow>
<bpmn:userTask id="a" name="A">{form_xml(("again", "boolean"))}</bpmn:userTask>
<bpmn:userTask id="b" name="B">{form_xml(("bv", "long"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="join"/><bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="join"/>
<bpmn:inclusiveGateway id="join"/><bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="gw"/>
<bpmn:exclusiveGateway id="gw" default="f_end"/>
<bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="merge"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end"/><bpmn:endEvent id="end"/>"""


def test_an_inclusive_join_in_a_loop_waits_for_both_branches_of_its_round(rt):
    """Both branches are taken every round. In round two the second branch arrives first: the join must wait for the
    first branch of round two, not count round one's arrival of it (it opened round three beside round two's A)."""
    deploy_process(rt, "incl_both", INCLUSIVE_LOOP, {"EDU": ["start", "merge", "split", "a", "b", "join", "gw", "end"]})
    edu = make_users(rt)["edu_reviewer"]
    case_id = start(rt, "incl_both").case_id
    _, steps, _ = open_steps(rt, case_id)
    complete(rt, edu, steps["a"], {"again": True})
    complete(rt, edu, steps["b"], {"bv": 1})
    names, steps, _ = open_steps(rt, case_id)
    assert names == ["a", "b"]
    complete(rt, edu, steps["b"], {"bv": 2})  # round two: B first
    names, _, _ = open_steps(rt, case_id)
    assert names == ["a"], f"the inclusive join passed with round two's A still open: {names}"


NESTED = f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
<bpmn:exclusiveGateway id="merge"/><bpmn:sequenceFlow id="f0" sourceRef="merge" targetRef="s1"/>
<bpmn:inclusiveGateway id="s1"/>
<bpmn:sequenceFlow id="f2" sourceRef="s1" targetRef="s2">{TRUE}</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f3" sourceRef="s1" targetRef="c">{TRUE}</bpmn:sequenceFlow>
<bpmn:inclusiveGateway id="s2"/>
<bpmn:sequenceFlow id="f4" sourceRef="s2" targetRef="a">{TRUE}</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f5" sourceRef="s2" targetRef="b">{TRUE}</bpmn:sequenceFlow>
<bpmn:userTask id="a" name="A">{form_xml(("av", "long"))}</bpmn:userTask>
<bpmn:userTask id="b" name="B">{form_xml(("bv", "long"))}</bpmn:userTask>
<bpmn:userTask id="c" name="C">{form_xml(("cv", "long"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f6" sourceRef="a" targetRef="j2"/><bpmn:sequenceFlow id="f7" sourceRef="b" targetRef="j2"/>
<bpmn:inclusiveGateway id="j2"/><bpmn:sequenceFlow id="f8" sourceRef="j2" targetRef="j1"/>
<bpmn:sequenceFlow id="f9" sourceRef="c" targetRef="j1"/>
<bpmn:inclusiveGateway id="j1"/><bpmn:sequenceFlow id="f11" sourceRef="j1" targetRef="r"/>
<bpmn:userTask id="r" name="R">{form_xml(("again", "boolean"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f12" sourceRef="r" targetRef="gw"/><bpmn:exclusiveGateway id="gw" default="f_end"/>
<bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="merge"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end"/><bpmn:endEvent id="end"/>"""


def test_nested_inclusive_splits_in_a_loop_open_the_review_only_after_every_branch_of_the_round(rt):
    deploy_process(rt, "incl_nested", NESTED, {"EDU": ["start", "merge", "s1", "s2", "a", "b", "c", "j2", "j1", "r", "gw", "end"]})
    edu = make_users(rt)["edu_reviewer"]
    case_id = start(rt, "incl_nested").case_id
    for n, order in enumerate(["abc", "acb"]):
        for i, step in enumerate(order):
            names, steps, _ = open_steps(rt, case_id)
            assert names == sorted(order[i:]), f"round {n}: {names}"
            complete(rt, edu, steps[step], {step + "v": n})
        names, steps, _ = open_steps(rt, case_id)
        assert names == ["r"], f"round {n}: {names}"
        complete(rt, edu, steps["r"], {"again": True})


def _branching(bpath):
    return f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
<bpmn:exclusiveGateway id="merge"/><bpmn:sequenceFlow id="f0" sourceRef="merge" targetRef="split"/>
<bpmn:inclusiveGateway id="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="a">{TRUE}</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="b1">{TRUE}</bpmn:sequenceFlow>
<bpmn:userTask id="a" name="A">{form_xml(("again", "boolean"))}</bpmn:userTask>
<bpmn:userTask id="b1" name="B1">{form_xml(("bv", "long"))}</bpmn:userTask>
{bpath}
<bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="join"/>
<bpmn:inclusiveGateway id="join"/><bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="gw"/>
<bpmn:exclusiveGateway id="gw" default="f_end"/>
<bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="merge"><bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end"/><bpmn:endEvent id="end"/>"""

XOR = """<bpmn:sequenceFlow id="fb" sourceRef="b1" targetRef="bx"/><bpmn:exclusiveGateway id="bx" default="fb3"/>
<bpmn:sequenceFlow id="fb2" sourceRef="bx" targetRef="b2"><bpmn:conditionExpression>bv == 7</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="fb3" sourceRef="bx" targetRef="b3"/>
<bpmn:userTask id="b2" name="B2"/><bpmn:userTask id="b3" name="B3"/>
<bpmn:sequenceFlow id="fb4" sourceRef="b2" targetRef="join"/><bpmn:sequenceFlow id="fb5" sourceRef="b3" targetRef="join"/>"""
SERIES = """<bpmn:sequenceFlow id="fb" sourceRef="b1" targetRef="b2"/><bpmn:userTask id="b2" name="B2"/>
<bpmn:sequenceFlow id="fb4" sourceRef="b2" targetRef="join"/>"""

@pytest.mark.parametrize("name,bp", [("xor", XOR), ("series", SERIES)])
def test_an_inclusive_join_waits_for_a_branch_with_a_gateway_in_it(rt, name, bp):
    """A branch that runs through its own exclusive gateway (B1, then B2 or B3): A arriving first must not pass the
    join while B1 is open, in the first round or any later one (found by review)."""
    elements = ["start","merge","split","a","b1","b2","b3","bx","join","gw","end"]
    deploy_process(rt, "incl_" + name, _branching(bp), {"EDU": [e for e in elements if f'id="{e}"' in _branching(bp)]})
    edu = make_users(rt)["edu_reviewer"]
    cid = start(rt, "incl_" + name).case_id
    for rnd in range(2):
        names, steps, _ = open_steps(rt, cid)
        assert names == ["a", "b1"], (rnd, names)
        complete(rt, edu, steps["a"], {"again": rnd == 0})
        names, steps, st = open_steps(rt, cid)
        assert names == ["b1"], f"round {rnd}: A done, B1 open -> {names} {st}"
        complete(rt, edu, steps["b1"], {"bv": 1})
        names, steps, _ = open_steps(rt, cid)
        nxt = [n for n in names if n in ("b2", "b3")]
        assert names == nxt and len(nxt) == 1, (rnd, names)
        complete(rt, edu, steps[nxt[0]], {})
