"""Builders for tests: users, deployed fixture processes, and small inline BPMN documents."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

from engine import cases, repository
from engine.definitions import read_files
from engine.models import Case, Task
from engine.routing import Actor, add_user, load_actor
from engine.db import Database
from engine.runtime import Runtime

BPMN_DIR = Path(__file__).parent / "engine" / "bpmn"
SYSTEM = Actor.system("test")

BPMN_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
             'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://t">\n')


def bpmn(process_id: str, body: str, lanes: dict[str, list[str]] | None = None, name: str = "测试流程") -> bytes:
    """A BPMN document with one process; `lanes` maps lane name → element ids."""
    lane_xml = ""
    if lanes:
        inner = "".join(f'<bpmn:lane id="lane_{i}" name="{lane}">'
                        + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs) + "</bpmn:lane>"
                        for i, (lane, refs) in enumerate(lanes.items()))
        lane_xml = f'<bpmn:laneSet id="ls">{inner}</bpmn:laneSet>'
    return (BPMN_HEAD + f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true">{lane_xml}{body}'
            "</bpmn:process></bpmn:definitions>").encode("utf-8")


def make_users(rt: Runtime) -> dict[str, Actor]:
    """Reviewers and supervisors of EDU and PSB, plus an outsider from HUD."""
    specs = {
        "edu_reviewer": {"EDU": "reviewer"}, "edu_reviewer2": {"EDU": "reviewer"},
        "edu_chief": {"EDU": "supervisor"}, "psb_reviewer": {"PSB": "reviewer"},
        "psb_chief": {"PSB": "supervisor"}, "hud_reviewer": {"HUD": "reviewer"},
    }
    with rt.db.write() as session:
        for username, memberships in specs.items():
            add_user(session, username, username, memberships=memberships)
    with rt.db.read() as session:
        return {name: load_actor(session, name) for name in specs}


def deploy_fixtures(rt: Runtime, *names: str):
    """Deploy fixture files from tests/engine/bpmn (all of them when no names are given)."""
    paths = [BPMN_DIR / n for n in names] if names else [BPMN_DIR]
    with rt.db.write() as session:
        return repository.deploy(session, rt, SYSTEM, read_files(paths))


def start(rt: Runtime, process: str, data: dict | None = None, **kwargs) -> cases.Outcome:
    with rt.db.write() as session:
        return cases.start(session, rt, SYSTEM, process, data or {}, **kwargs)


def complete(rt: Runtime, actor: Actor, task_id: str, values: dict) -> cases.Outcome:
    with rt.db.write() as session:
        return cases.complete(session, rt, actor, task_id, values)


def claim(rt: Runtime, actor: Actor, task_id: str):
    with rt.db.write() as session:
        return cases.claim(session, rt, actor, task_id)


def opened(outcome: cases.Outcome) -> dict[str, str]:
    """element id → task id of the tasks an operation opened."""
    return {row["element_id"]: row["id"] for row in outcome.opened}


def form_xml(*fields: tuple[str, str]) -> str:
    """A user task's form (camunda:formData) with fields (id, type), each labelled by its id."""
    return ("<bpmn:extensionElements><camunda:formData>"
            + "".join(f'<camunda:formField id="{f}" label="{f}" type="{t}"/>' for f, t in fields)
            + "</camunda:formData></bpmn:extensionElements>")


def open_steps(rt: Runtime, case_id: int) -> tuple[list[str], dict[str, str], str]:
    """The element ids of a case's open steps (sorted), element id → task id, and the case's status."""
    with rt.db.read() as session:
        rows = session.query(Task).filter(Task.case_id == case_id, Task.state == "open").all()
        status = session.get(Case, case_id).status
    return sorted(r.element_id for r in rows), {r.element_id: r.id for r in rows}, status


def deploy_process(rt: Runtime, process_id: str, body: str, lanes: dict[str, list[str]]):
    """Deploy one inline process (see `bpmn`) as `<process_id>.bpmn`."""
    with rt.db.write() as session:
        return repository.deploy(session, rt, SYSTEM, {f"{process_id}.bpmn": bpmn(process_id, body, lanes)})


def within(seconds, target, *args):
    """Runs `target` in a forked process; True when it finished within `seconds` (the process is killed otherwise)."""
    proc = multiprocessing.get_context("fork").Process(target=target, args=args)
    proc.start()
    proc.join(seconds)
    hung = proc.is_alive()
    if hung:
        proc.kill()
        proc.join()
        return False
    assert proc.exitcode == 0, f"the child process failed ({proc.exitcode})"
    return True


def fresh(rt: Runtime) -> Runtime:
    """A forked process's own connections (it must not share the parent's)."""
    return Runtime(Database(str(rt.db.url)))
