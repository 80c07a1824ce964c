"""Other modelers' constructs that the engine accepts also run as BPMN means them: a link is a "go to",
an event sub-process starts on its event, compensation handlers never run unasked, a task inside an
expanded sub-process reaches the department of the sub-process's lane, black-box pools and data
associations are documentation."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import repository
from engine.definitions import read_files
from engine.errors import DeployError
from engine.routing import add_user, load_actor, standard_departments
from tests.factories import SYSTEM, complete, opened, start

FOREIGN = Path(__file__).parent / "foreign"


def deploy(rt, name: str) -> None:
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, read_files([FOREIGN / name]))


def message(rt, key: str, name: str, payload: dict | None = None):
    from engine import cases
    with rt.db.write() as session:
        return cases.send_message(session, rt, SYSTEM, key, name, payload)


def walk(rt, outcome, *expected: tuple[str, str]):
    """Complete the opened tasks in order, checking each element and department; returns the last outcome."""
    with rt.db.write() as session:
        add_user(session, "walker", "王科员", memberships={d.code: "reviewer" for d in standard_departments()})
    with rt.db.read() as session:
        walker = load_actor(session, "walker")
    for element, department in expected:
        rows = {row["element_id"]: row for row in outcome.opened}
        assert list(rows) == [element], f"expected {element}, opened {list(rows)}"
        assert rows[element]["department_code"] == department
        outcome = complete(rt, walker, rows[element]["id"], {})
    return outcome


def test_a_link_event_is_a_go_to(rt):
    deploy(rt, "signavio_link_events.bpmn")
    done = walk(rt, start(rt, "sid-link-process"), ("sid-check", "EDU"), ("sid-sign", "EDU"))
    assert done.status == "completed"


def test_an_event_sub_process_starts_on_its_message_and_interrupts_the_case(rt):
    deploy(rt, "camunda_event_subprocess.bpmn")
    first = start(rt, "Process_evsub")
    assert list(opened(first)) == ["Activity_visit"]
    assert first.opened[0]["department_code"] == "STREET"
    withdrawn = message(rt, first.business_key, "withdrawn", {"reason": "申请人主动撤回"})
    assert withdrawn.status == "completed"
    assert first.opened[0]["id"] in withdrawn.closed


def test_the_event_sub_process_does_not_run_by_itself(rt):
    deploy(rt, "camunda_event_subprocess.bpmn")
    done = walk(rt, start(rt, "Process_evsub"), ("Activity_visit", "STREET"))
    assert done.status == "completed"


def test_compensation_handlers_never_run_unasked(rt):
    deploy(rt, "bizagi_compensation.bpmn")
    done = walk(rt, start(rt, "Id_subsidy_pay"), ("Id_pay", "FIN"), ("Id_confirm", "FIN"))
    assert done.status == "completed"


def test_a_task_in_an_expanded_sub_process_goes_to_the_lane_of_the_sub_process(rt):
    deploy(rt, "trisotech_subprocess_in_lane.bpmn")
    done = walk(rt, start(rt, "_a1b2c3d4-0000-4000-8000-000000000001"), ("_check_deed", "HUD"))
    assert done.status == "completed"


def test_black_box_pools_are_not_run_and_the_white_box_pool_is(rt):
    deploy(rt, "adonis_black_box_pools.bpmn")
    with rt.db.read() as session:
        assert {v.process_key for v in repository.versions(session)} == {"obj.proc_psb"}
    first = start(rt, "obj.proc_psb")
    assert first.opened == [] and first.status == "running", first.error
    reply = message(rt, first.business_key, "registry_reply", {"registered": True})
    done = walk(rt, reply, ("obj.review", "PSB"))
    assert done.status == "completed"


def test_data_objects_and_stores_are_documentation(rt):
    deploy(rt, "visual_paradigm_data_associations.bpmn")
    done = walk(rt, start(rt, "vp_first_check"), ("vp_review", "HRSS"))
    assert done.status == "completed"


def test_thrown_compensation_is_refused_by_name(rt):
    with pytest.raises(DeployError) as refused:
        deploy(rt, "camunda_compensation_thrown.bpmn")
    assert [(p.element, p.message.split(";")[0]) for p in refused.value.problems] == [
        ("Throw_comp", "a compensate intermediate throw event is not supported by the engine")]


def test_a_non_interrupting_event_sub_process_runs_alongside(rt):
    source = (FOREIGN / "camunda_event_subprocess.bpmn").read_text(encoding="utf-8")
    source = source.replace('<bpmn:startEvent id="Event_withdrawn" name="收到撤回申请">',
                            '<bpmn:startEvent id="Event_withdrawn" name="收到补充说明" isInterrupting="false">')
    with rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"noninterrupting.bpmn": source.encode("utf-8")})
    first = start(rt, "Process_evsub")
    noted = message(rt, first.business_key, "withdrawn", {"reason": "补充说明"})
    assert noted.status == "running" and noted.closed == []
    done = walk(rt, first, ("Activity_visit", "STREET"))
    assert done.status == "completed"
