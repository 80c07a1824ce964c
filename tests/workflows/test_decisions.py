"""Decision records: each DMN evaluation lands in the case's history with the table, its version and hash, the
inputs, the matched rows and the outputs (a changed shared table: tests/workflows/test_rule_confirmation.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import decisions, repository
from engine.definitions import read_files
from engine.errors import DeployError
from engine.models import DeploymentFile
from engine.routing import Actor
from workflows.walkthrough import BPMN

from world import World, opened


@pytest.fixture
def world(db_url):
    return World(db_url)


def _records(world, case_id, basis=None):
    with world.rt.db.read() as session:
        return decisions.of_case(session, case_id, basis)


def test_an_admission_records_its_points_and_its_recommendation(world):
    out = world.start("admission_review", world.person().admission())
    assert opened(out).keys() == {"decide"}
    points, recommendation = _records(world, out.case_id)
    assert (points.details["decision"], points.details["file"], points.version, points.current_version) == (
        "admission_points", "admission_points.dmn", 1, 1)
    assert points.details["name"] == "积分入学积分规则（共享规则）" and points.details["hit_policy"] == "COLLECT"
    with world.rt.db.read() as session:
        text = session.execute(select(DeploymentFile.content).where(
            DeploymentFile.filename == "admission_points.dmn")).scalars().first()
    assert points.details["hash"] == decisions.digest(text)
    inputs = {i["label"]: i["value"] for i in points.details["inputs"]}
    assert inputs["居住证持有年限（年）"] == 8 and inputs["社保实际缴费月数（不含补缴）"] == 48
    assert points.rows[0] == 1 and len(points.rows) == 5  # the base row and one row per item that scored
    assert {"row": 2, "id": "admission_points_r2", "note": "每满一年10分，最高50分"} in points.details["rules"]
    outputs = {o["name"]: o["value"] for o in points.details["outputs"]}
    assert sum(outputs["points"]) == 128 and outputs["points_item"][1] == "居住证年限"
    assert recommendation.details["decision"] == "admission_decision" and recommendation.basis is None  # a recommendation to the decider
    assert {o["name"]: o["value"] for o in recommendation.details["outputs"]}["recommendation"] == "admit"
    assert {i["label"]: i["value"] for i in recommendation.details["inputs"]}["总积分"] == 128


def test_the_fraud_screening_is_recorded_but_not_the_applicants_basis(world):
    out = world.start("subsidy_approval", world.person().subsidy())
    out = world.complete("street_reviewer", out, "street_check", subsidy_type="employment", household_type="normal",
                         income_per_capita=2000, unemployed_months=6, first_check_ok=True, street_note="材料齐全")
    everything = {r.details["decision"] for r in _records(world, out.case_id)}
    public = {r.details["decision"] for r in _records(world, out.case_id, "applicant")}
    assert "subsidy_eligibility" in public and "fraud_risk" not in public
    assert everything >= public


def test_an_unknown_basis_is_refused_at_deploy(world):
    files = read_files([BPMN])
    files["admission_review.bpmn"] = files["admission_review.bpmn"].replace(
        b'name="decision_basis" value="applicant"', b'name="decision_basis" value="public"', 1)
    with pytest.raises(DeployError) as caught, world.rt.db.write() as session:
        repository.deploy(session, world.rt, Actor.system("test"), files)
    assert any("decision_basis 'public' must be one of: applicant" in str(p) for p in caught.value.problems)
