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
])
def test_foreign_files_are_judged_without_a_traceback(tmp_path, capsys, name, code, message):
    assert main(["--db", f"sqlite:///{tmp_path / 'v.db'}", "validate", str(FOREIGN / name)]) == code
    out, err = capsys.readouterr()
    assert message in out + err and "Traceback" not in out + err


def test_validate_works_without_a_database(tmp_path, capsys):
    assert main(["--db", f"sqlite:///{tmp_path / 'none.db'}", "validate", str(BPMN)]) == 0
    out = capsys.readouterr().out
    assert "standard departments" in out and "ok: admission_review" in out


def test_an_internal_error_is_exit_code_2_without_a_traceback(tmp_path, capsys, monkeypatch):
    from engine import runtime
    monkeypatch.setattr(runtime, "compile_files", lambda *a, **k: 1 / 0)
    assert main(["--db", f"sqlite:///{tmp_path / 'v.db'}", "validate", str(BPMN)]) == 2
    assert "internal error: ZeroDivisionError" in capsys.readouterr().err
