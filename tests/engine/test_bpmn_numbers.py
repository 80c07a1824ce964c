"""Numbers a process designer writes in BPMN properties (retention_years, case_target_workdays) and in form
constraints (minlength, maxlength) are decimal numbers: a superscript digit (³, ¹⁰⁰), which str.isdigit() passes and
int() refuses, made the validator an internal error, and a maxlength of ¹⁰⁰ was deployed, after which every
submission of that step's form was a server error. Each is now a problem named by the validator; nothing deploys."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import repository
from engine.errors import EngineError
from tests.factories import SYSTEM

INQUIRY = (Path(__file__).resolve().parents[2] / "bpmn" / "formal_inquiry.bpmn").read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new", [('name="retention_years" value="5"', 'name="retention_years" value="³"'),
                                      ('name="maxlength" config="100"', 'name="maxlength" config="¹⁰⁰"')])
def test_a_superscript_number_is_a_problem_not_an_internal_error(rt, old, new):
    assert old in INQUIRY
    with pytest.raises(EngineError) as refused, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"formal_inquiry.bpmn": INQUIRY.replace(old, new, 1).encode()})
    assert new.split('"')[-2] in str(refused.value) or any(new.split('"')[-2] in str(p) for p in
                                                            getattr(refused.value, "problems", []))


@pytest.mark.parametrize("priority", ["²", "3000000000", "-3000000000", "--5"])
def test_a_priority_no_task_row_can_hold_is_a_problem(rt, priority):
    """A step's priority of ² made deploy an internal error; one past 32 bits deployed, and on PostgreSQL (an integer
    column) every case reaching the step then failed to store it."""
    text = INQUIRY.replace('<bpmn:userTask id="draft_inquiry" ', f'<bpmn:userTask id="draft_inquiry" '
                                                                 f'camunda:priority="{priority}" ', 1)
    assert text != INQUIRY
    with pytest.raises(EngineError) as refused, rt.db.write() as session:
        repository.deploy(session, rt, SYSTEM, {"formal_inquiry.bpmn": text.encode()})
    assert "priority" in str(refused.value) or any("priority" in str(p) for p in getattr(refused.value, "problems", []))
