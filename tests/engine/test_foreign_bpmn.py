"""BPMN written by other modelers: refused with a plain message and exit code 1, accepted where
SpiffWorkflow can run it, never a traceback; `validate` needs no database."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main

FOREIGN = Path(__file__).parent / "foreign"
BPMN = Path(__file__).resolve().parents[2] / "bpmn"


@pytest.mark.parametrize("name, code, message", [
    ("signavio_rule_without_decision.bpmn", 1, "business rule task has no decision (camunda:decisionRef)"),
    ("bizagi_relative_namespace.bpmn", 0, "ok: p2"),
    ("collaboration_only.bpmn", 1, "no BPMN process in the files given"),
    ("signavio_link_events.bpmn", 0, "ok: sid-link-process"),
    ("camunda_event_subprocess.bpmn", 0, "ok: Process_evsub"),
    ("bizagi_compensation.bpmn", 0, "ok: Id_subsidy_pay"),
    ("camunda_compensation_thrown.bpmn", 1, "Throw_comp: a compensate intermediate throw event is not supported"),
    ("trisotech_subprocess_in_lane.bpmn", 0, "ok: _a1b2c3d4-0000-4000-8000-000000000001"),
    ("adonis_black_box_pools.bpmn", 0, "ok: obj.proc_psb"),
    ("visual_paradigm_data_associations.bpmn", 0, "ok: vp_first_check"),
    ("jbpm_io_mappings.bpmn", 0, "ok: jr.health_check"),
    ("flowable_gateway.bpmn", 1, "sid-review: Flowable form property 'contract_ok' is not read by this engine"),
    ("bpmnio_not_executable.bpmn", 1, 'no executable process: every process is marked isExecutable="false"'),
])
def test_foreign_files_are_judged_without_a_traceback(tmp_path, capsys, name, code, message):
    assert main(["--db", f"sqlite:///{tmp_path / 'v.db'}", "validate", str(FOREIGN / name)]) == code
    out, err = capsys.readouterr()
    assert message in out + err and "Traceback" not in out + err


def test_the_corpus_is_all_listed_above():
    listed = {p[0] for p in test_foreign_files_are_judged_without_a_traceback.pytestmark[0].args[1]}
    assert listed == {p.name for p in FOREIGN.glob("*.bpmn")}


def test_validate_works_without_a_database(tmp_path, capsys):
    assert main(["--db", f"sqlite:///{tmp_path / 'none.db'}", "validate", str(BPMN)]) == 0
    out = capsys.readouterr().out
    assert "standard departments" in out and "ok: admission_review" in out


def test_an_internal_error_is_exit_code_2_without_a_traceback(tmp_path, capsys, monkeypatch):
    from engine import runtime
    monkeypatch.setattr(runtime, "compile_files", lambda *a, **k: 1 / 0)
    assert main(["--db", f"sqlite:///{tmp_path / 'v.db'}", "validate", str(BPMN)]) == 2
    assert "internal error: ZeroDivisionError" in capsys.readouterr().err
