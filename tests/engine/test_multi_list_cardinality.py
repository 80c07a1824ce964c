"""A loop cardinality is a number, as in Camunda 7; a list to go through is a step's collection. SpiffWorkflow's
Camunda hook took a cardinality that named a list as the collection by rewriting the parsed spec, which all cases of a
process version share: the first case ran, every later one failed with "'NoneType' object has no attribute 'bpmn_id'"
until the server restarted."""
from __future__ import annotations

import pytest

from factories import bpmn, complete, deploy_process, make_users, open_steps, start

from test_hostile_models import MULTI_LANES, _multi, _named, _refused


def _sequential(body: str) -> str:
    return body.replace("<bpmn:multiInstanceLoopCharacteristics", '<bpmn:multiInstanceLoopCharacteristics isSequential="true"', 1)


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_a_cardinality_that_gives_a_list_fails_each_case_alike_saying_to_use_a_collection(rt, sequential):
    body = _multi(cardinality="reviewers")
    deploy_process(rt, "h3_multi_list", _sequential(body) if sequential else body, MULTI_LANES)
    for reviewers in (["a", "b", "c"], ["d", "e"]):
        outcome = start(rt, "h3_multi_list", {"reviewers": reviewers})
        assert outcome.status == "failed", outcome
        assert "'reviewers'" in outcome.error and "a list, not a whole number" in outcome.error, outcome.error
        assert "camunda:collection" in outcome.error and "bpmn_id" not in outcome.error, outcome.error


@pytest.mark.parametrize("value, words", [(2.0, "a decimal number"), ("3", "text"), (True, "true or false"),
                                          (None, "nothing"), ({"a": 1}, "a value of another kind")])
def test_a_cardinality_that_is_not_a_whole_number_names_what_it_gave(rt, value, words):
    deploy_process(rt, "h3_multi_kind", _multi(cardinality="n"), MULTI_LANES)
    outcome = start(rt, "h3_multi_kind", {"n": value})
    assert outcome.status == "failed" and f"gave {words}, not a whole number" in outcome.error, outcome


def test_a_number_cardinality_still_works_after_a_case_gave_it_a_list(rt):
    deploy_process(rt, "h3_multi_mixed", _multi(cardinality="n"), MULTI_LANES)
    assert start(rt, "h3_multi_mixed", {"n": ["x", "y"]}).status == "failed"
    assert len(start(rt, "h3_multi_mixed", {"n": 3}).opened) == 3
    assert len(start(rt, "h3_multi_mixed", {"n": 2}).opened) == 2


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_a_collection_opens_one_step_per_item_in_every_case(rt, sequential):
    body = _multi(collection="reviewers")
    deploy_process(rt, "h3_multi_coll", _sequential(body) if sequential else body, MULTI_LANES)
    for reviewers in (["a", "b", "c"], ["d", "e"], ["f", "g", "h", "i"]):
        outcome = start(rt, "h3_multi_coll", {"reviewers": reviewers})
        assert outcome.status == "running", outcome
        assert len(outcome.opened) == (1 if sequential else len(reviewers)), (reviewers, outcome)


def test_sequential_collections_of_two_cases_run_to_the_end_side_by_side(rt):
    """Each case goes through its own list, one item at a time, the two cases' steps completed in turn."""
    edu = make_users(rt)["edu_reviewer"]
    deploy_process(rt, "h3_multi_seq", _sequential(_multi(collection="reviewers")), MULTI_LANES)
    cases = [start(rt, "h3_multi_seq", {"reviewers": items}).case_id for items in (["a", "b", "c"], ["d", "e"])]
    done = {case_id: 0 for case_id in cases}
    for _ in range(5):
        for case_id in cases:
            _, steps, status = open_steps(rt, case_id)
            if status == "running":
                complete(rt, edu, steps["m"], {})
                done[case_id] += 1
    assert done == {cases[0]: 3, cases[1]: 2}
    assert [open_steps(rt, case_id)[2] for case_id in cases] == ["completed", "completed"]


@pytest.mark.parametrize("loop, words", [
    ('camunda:collection="items"', ("element variable", "camunda:elementVariable")),
    ('camunda:collection="items" camunda:elementVariable="an item"', ("element variable", "'an item'", "must be a name")),
], ids=["missing", "not-a-name"])
def test_a_collection_without_a_usable_element_variable_is_refused_at_deploy_naming_the_step(rt, loop, words):
    """Without one, every case failed at the step with "'NoneType' object has no attribute 'bpmn_id'"."""
    body = _multi(collection="items").replace('camunda:collection="items" camunda:elementVariable="item"', loop)
    problems = _refused(rt, {"h3_multi_elem.bpmn": bpmn("h3_multi_elem", body, MULTI_LANES)})
    assert _named(problems, "m", *words), problems
