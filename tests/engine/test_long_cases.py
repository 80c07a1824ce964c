"""Long cases: a 300-round rework loop finishes and its stored state stays the size of round one;
a parallel join inside a loop keeps working; the task tree never grows with history."""
import json

from engine.models import Case
from engine.store import prune
from factories import complete, deploy_fixtures, make_users, opened, start


def _state_tasks(rt, case_id) -> int:
    with rt.db.read() as session:
        return len(json.loads(session.get(Case, case_id).state)["tasks"])


def test_rework_loop_of_300_rounds_finishes_with_a_flat_tree(rt):
    deploy_fixtures(rt, "rework_loop.bpmn")
    user = make_users(rt)["edu_reviewer"]
    out = start(rt, "rework_loop", {"rounds": 0})
    sizes = []
    for i in range(300):
        out = complete(rt, user, out.opened[0]["id"], {"again": i < 299})
        sizes.append(_state_tasks(rt, out.case_id))
    assert out.status == "completed"
    assert max(sizes[:-1]) == min(sizes[:-1]), "the task tree grew with the loop"
    with rt.db.read() as session:
        assert json.loads(session.get(Case, out.case_id).state)["data"]["rounds"] == 300


def test_parallel_join_inside_a_loop(rt):
    deploy_fixtures(rt, "parallel_loop.bpmn")
    users = make_users(rt)
    out = start(rt, "parallel_loop")
    sizes = []
    for i in range(60):
        ids = opened(out)
        assert set(ids) == {"check_edu", "check_psb"}
        complete(rt, users["psb_reviewer"], ids["check_psb"], {"psb_ok": True})
        out = complete(rt, users["edu_reviewer"], ids["check_edu"], {"edu_again": i < 59})
        sizes.append(_state_tasks(rt, out.case_id))
    assert out.status == "completed"
    assert max(sizes[:-1]) == min(sizes[:-1])


def test_prune_keeps_branches_a_waiting_join_still_needs(rt):
    deploy_fixtures(rt, "parallel_loop.bpmn")
    users = make_users(rt)
    out = start(rt, "parallel_loop")
    ids = opened(out)
    # the PSB branch arrives first and waits at the join; pruning must keep it
    complete(rt, users["psb_reviewer"], ids["check_psb"], {"psb_ok": True})
    out = complete(rt, users["edu_reviewer"], ids["check_edu"], {"edu_again": False})
    assert out.status == "completed"


def test_prune_is_a_no_op_on_a_fresh_workflow(rt):
    from engine import cases
    deploy_fixtures(rt, "two_lane.bpmn")
    out = start(rt, "two_lane")
    with rt.db.read() as session:
        wf = cases.load(session, rt, session.get(Case, out.case_id))
    assert prune(wf) == 0


def test_a_state_stored_with_children_before_their_parent_loads_with_its_data(rt):
    from engine import cases
    deploy_fixtures(rt, "two_lane.bpmn")
    out = start(rt, "two_lane", {"applicant_name": "张三"})
    with rt.db.write() as session:
        case = session.get(Case, out.case_id)
        state = json.loads(case.state)
        tasks = state["tasks"]
        leaf = out.opened[0]["id"]  # the open step: its data is what it inherited
        tasks = {leaf: tasks[leaf], **{tid: t for tid, t in tasks.items() if tid != leaf}}  # stored before its parent
        parent = tasks[leaf]["parent"]
        assert list(tasks).index(leaf) < list(tasks).index(parent)
        case.state = json.dumps({**state, "tasks": tasks}, ensure_ascii=False)
    with rt.db.read() as session:
        wf = cases.load(session, rt, session.get(Case, out.case_id))
    from uuid import UUID
    assert wf.get_task_from_id(UUID(leaf)).data.get("applicant_name") == "张三", "it inherited from its parent"


def test_a_loop_through_an_inclusive_gateway_runs_every_round(rt):
    """An inclusive join reads the state of its split's parent in the next round: pruning keeps that parent."""
    deploy_fixtures(rt, "incl_loop.bpmn")
    users = make_users(rt)
    out = start(rt, "incl_loop", {"both": True, "applicant": "张三"})
    assert sorted(opened(out)) == ["check_edu", "check_psb"]
    complete(rt, users["psb_reviewer"], opened(out)["check_psb"], {"psb_ok": True})
    for again in (True, True, True, False):
        assert sorted(opened(out)) in (["check_edu"], ["check_edu", "check_psb"]), (out.status, out.error)
        out = complete(rt, users["edu_reviewer"], opened(out)["check_edu"], {"edu_again": again, "both": False})
        assert out.error is None and out.status in ("running", "completed"), out.error
    assert out.status == "completed"
