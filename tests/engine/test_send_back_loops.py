"""退回 (send back) inside a parallel loop: a parallel split and join in a loop that repeats. A send-back resets the
current round to the target step exactly as outside a loop (a branch's step: only that branch is redone; a step
before the split: every branch starts anew), no step of the other branch opens early, every step sees the
answers of its own round, the case completes when the loop ends, and the stored tree stays bounded."""
from __future__ import annotations

import json
from uuid import UUID

import pytest

from engine import cases, repository, sendback
from engine.models import Case, Task
from factories import SYSTEM, bpmn, complete, deploy_fixtures, make_users, start


def _form(*fields: tuple[str, str]) -> str:
    return ("<bpmn:extensionElements><camunda:formData>"
            + "".join(f'<camunda:formField id="{f}" label="{f}" type="{t}"/>' for f, t in fields)
            + "</camunda:formData></bpmn:extensionElements>")


# a round: 准备 (prepare), the two checks in parallel, 复核 (review) after the join; review decides on another round
LOOP = f"""<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
<bpmn:exclusiveGateway id="merge"/><bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="prepare"/>
<bpmn:userTask id="prepare" name="准备">{_form(("prep_no", "long"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f3" sourceRef="prepare" targetRef="split"/><bpmn:parallelGateway id="split"/>
<bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="check_edu"/>
<bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="check_psb"/>
<bpmn:userTask id="check_edu" name="教育核验">{_form(("edu_no", "long"))}</bpmn:userTask>
<bpmn:userTask id="check_psb" name="公安核验">{_form(("psb_no", "long"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f6" sourceRef="check_edu" targetRef="join"/>
<bpmn:sequenceFlow id="f7" sourceRef="check_psb" targetRef="join"/><bpmn:parallelGateway id="join"/>
<bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="review"/>
<bpmn:userTask id="review" name="复核">{_form(("again", "boolean"))}</bpmn:userTask>
<bpmn:sequenceFlow id="f9" sourceRef="review" targetRef="gw"/>
<bpmn:exclusiveGateway id="gw" default="f_end"/><bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="merge">
<bpmn:conditionExpression>again</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end"/><bpmn:endEvent id="end"/>"""
LANES = {"EDU": ["start", "merge", "prepare", "split", "check_edu", "join", "review", "gw", "end"],
         "PSB": ["check_psb"]}
ROUNDS = 20


@pytest.fixture
def users(rt):
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"loop.bpmn": bpmn("review_loop", LOOP, LANES)})
    return make_users(rt)


def open_steps(rt, case_id) -> dict[str, str]:
    with rt.db.read() as session:
        rows = session.query(Task).filter(Task.case_id == case_id, Task.state == "open").all()
    assert len(rows) == len({r.element_id for r in rows}), "two open steps of the same element"
    return {r.element_id: r.id for r in rows}


def sees(rt, case_id, task_id) -> dict:
    """The data an open step works with."""
    with rt.db.read() as session:
        wf = cases.load(session, rt, session.get(Case, case_id))
    return wf.get_task_from_id(UUID(task_id)).data


def tree_size(rt, case_id) -> int:
    with rt.db.read() as session:
        return len(json.loads(session.get(Case, case_id).state)["tasks"])


def send(rt, actor, task_id, to_element):
    with rt.db.write() as session:
        options = {t.element_id: t.task_id for t in sendback.targets(session, rt, actor, task_id)}
    with rt.db.write() as session:
        return sendback.send_back(session, rt, actor, task_id, options[to_element], "请更正")


def check(rt, users, step, task_id, value):
    who = users["psb_reviewer" if step == "check_psb" else "edu_reviewer"]
    return complete(rt, who, task_id, {"psb_no" if step == "check_psb" else "edu_no": value})


def test_a_step_after_the_join_sends_one_branch_back_in_every_round_and_the_case_completes(rt, users):
    edu, case_id = users["edu_reviewer"], start(rt, "review_loop").case_id
    sizes = []
    for n in range(ROUNDS):
        complete(rt, edu, open_steps(rt, case_id)["prepare"], {"prep_no": n})
        first, second = ("check_psb", "check_edu") if n % 2 else ("check_edu", "check_psb")
        steps = open_steps(rt, case_id)
        assert set(steps) == {"check_edu", "check_psb"}, n
        check(rt, users, first, steps[first], n)
        assert set(open_steps(rt, case_id)) == {second}, f"round {n}: the join passed with one branch"
        check(rt, users, second, steps[second], n)
        review = open_steps(rt, case_id)
        assert set(review) == {"review"}
        assert {k: sees(rt, case_id, review["review"]).get(k) for k in ("prep_no", "edu_no", "psb_no")} == \
            {"prep_no": n, "edu_no": n, "psb_no": n}
        back_to = ("check_edu", "check_psb")[(n // 2) % 2]
        other = "check_psb" if back_to == "check_edu" else "check_edu"
        send(rt, edu, review["review"], back_to)
        reopened = open_steps(rt, case_id)
        assert set(reopened) == {back_to}, f"round {n}: the send-back opened {sorted(reopened)}"
        data = sees(rt, case_id, reopened[back_to])
        assert (data["prep_no"], data[back_to.replace("check_", "") + "_no"]) == (n, n), "its own answer, to correct"
        check(rt, users, back_to, reopened[back_to], 100 + n)
        review = open_steps(rt, case_id)
        assert set(review) == {"review"}, f"round {n}: {sorted(review)}"
        seen = sees(rt, case_id, review["review"])
        assert seen[back_to.replace("check_", "") + "_no"] == 100 + n, "the corrected answer"
        assert seen[other.replace("check_", "") + "_no"] == n, "the other branch's answer of this round is kept"
        assert seen["prep_no"] == n
        out = complete(rt, edu, review["review"], {"again": n < ROUNDS - 1})
        sizes.append(tree_size(rt, case_id))
    assert out.status == "completed" and open_steps(rt, case_id) == {}
    assert max(sizes[ROUNDS // 2:-1]) <= max(sizes[:ROUNDS // 2]), f"the stored tree grew: {sizes}"


def test_a_branch_sends_the_round_back_before_the_split_and_both_branches_start_anew(rt, users):
    edu, case_id = users["edu_reviewer"], start(rt, "review_loop").case_id
    sizes = []
    for n in range(ROUNDS):
        complete(rt, edu, open_steps(rt, case_id)["prepare"], {"prep_no": n})
        steps = open_steps(rt, case_id)
        done, sender = ("check_psb", "check_edu") if n % 2 else ("check_edu", "check_psb")
        if n % 3:  # the other branch is done and waits at the join, or is still open
            check(rt, users, done, steps[done], n)
        who = users["psb_reviewer" if sender == "check_psb" else "edu_reviewer"]
        send(rt, who, steps[sender], "prepare")
        again = open_steps(rt, case_id)
        assert set(again) == {"prepare"}, f"round {n}: {sorted(again)}"
        assert sees(rt, case_id, again["prepare"])["prep_no"] == n
        complete(rt, edu, again["prepare"], {"prep_no": 100 + n})
        steps = open_steps(rt, case_id)
        assert set(steps) == {"check_edu", "check_psb"}, f"round {n}: both branches start anew"
        assert all(sees(rt, case_id, t)["prep_no"] == 100 + n for t in steps.values())
        check(rt, users, sender, steps[sender], n)
        assert set(open_steps(rt, case_id)) == {done}, f"round {n}: the join passed with one branch"
        check(rt, users, done, steps[done], n)
        review = open_steps(rt, case_id)["review"]
        seen = sees(rt, case_id, review)
        assert (seen["prep_no"], seen["edu_no"], seen["psb_no"]) == (100 + n, n, n)
        out = complete(rt, edu, review, {"again": n < ROUNDS - 1})
        sizes.append(tree_size(rt, case_id))
    assert out.status == "completed"
    assert max(sizes[ROUNDS // 2:-1]) <= max(sizes[:ROUNDS // 2]), f"the stored tree grew: {sizes}"


def test_the_parallel_loop_joins_each_round_whichever_branch_arrives_first_and_after_send_backs(rt):
    """tests/engine/bpmn/parallel_loop.bpmn: the education check sends the case back to its previous round's answer
    every other round; the branches arrive in turns, and the join waits for both every round."""
    deploy_fixtures(rt, "parallel_loop.bpmn")
    users = make_users(rt)
    edu, psb = users["edu_reviewer"], users["psb_reviewer"]
    case_id = start(rt, "parallel_loop").case_id
    sizes = []
    for n in range(ROUNDS):
        steps = open_steps(rt, case_id)
        assert set(steps) == {"check_edu", "check_psb"}, f"round {n}: {sorted(steps)}"
        if n % 2 == 0:
            complete(rt, psb, steps["check_psb"], {"psb_ok": n % 4 == 0})
            assert set(open_steps(rt, case_id)) == {"check_edu"}
            out = complete(rt, edu, steps["check_edu"], {"edu_again": n < ROUNDS - 1})
        else:
            complete(rt, edu, steps["check_edu"], {"edu_again": n < ROUNDS - 1})
            assert set(open_steps(rt, case_id)) == {"check_psb"}, f"round {n}: the join passed with one branch"
            out = complete(rt, psb, steps["check_psb"], {"psb_ok": n % 4 == 1})
            if n < ROUNDS - 1:  # the next round's education check goes back to this round's
                send(rt, edu, open_steps(rt, case_id)["check_edu"], "check_edu")
                again = open_steps(rt, case_id)
                assert set(again) == {"check_edu"}, f"round {n}: {sorted(again)}"
                assert sees(rt, case_id, again["check_edu"])["psb_ok"] is (n % 4 == 1)
                complete(rt, edu, again["check_edu"], {"edu_again": True})
                steps = open_steps(rt, case_id)
                assert set(steps) == {"check_edu", "check_psb"}, f"round {n}: {sorted(steps)}"
                assert all(sees(rt, case_id, t)["psb_ok"] is (n % 4 == 1) for t in steps.values())
        sizes.append(tree_size(rt, case_id))
    assert out.status == "completed"
    assert max(sizes[ROUNDS // 2:-1]) <= max(sizes[:ROUNDS // 2]), f"the stored tree grew: {sizes}"


def test_an_inclusive_loop_sent_back_to_a_branch_of_an_earlier_round_keeps_what_the_other_branch_decided(rt):
    """tests/engine/bpmn/incl_loop.bpmn: round one runs both checks and the education check decides the next rounds
    need no police check; two rounds later the case goes back to that police check. Its new answer joins the
    education check's answers of that round (both=False): the next round runs the education check alone."""
    deploy_fixtures(rt, "incl_loop.bpmn")
    users = make_users(rt)
    edu, psb = users["edu_reviewer"], users["psb_reviewer"]
    case_id = start(rt, "incl_loop", {"both": True, "applicant": "张三"}).case_id
    complete(rt, psb, open_steps(rt, case_id)["check_psb"], {"psb_ok": True})
    complete(rt, edu, open_steps(rt, case_id)["check_edu"], {"edu_again": True, "both": False})
    complete(rt, edu, open_steps(rt, case_id)["check_edu"], {"edu_again": True, "both": False})
    send(rt, edu, open_steps(rt, case_id)["check_edu"], "check_psb")
    again = open_steps(rt, case_id)
    assert set(again) == {"check_psb"} and sees(rt, case_id, again["check_psb"])["psb_ok"] is True
    complete(rt, psb, again["check_psb"], {"psb_ok": False})
    steps = open_steps(rt, case_id)
    assert set(steps) == {"check_edu"}, sorted(steps)
    seen = sees(rt, case_id, steps["check_edu"])
    assert (seen["psb_ok"], seen["both"], seen["edu_again"]) == (False, False, True)
    out = complete(rt, edu, steps["check_edu"], {"edu_again": False, "both": False})
    assert out.status == "completed"
