"""The modeler's server side: live checks name the element, drafts are kept per designer, deploying needs a note and
drops the deployed drafts; only designers and administrators get in."""
from __future__ import annotations

from pathlib import Path

from conftest import login

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
INQUIRY = (BPMN / "formal_inquiry.bpmn").read_text(encoding="utf-8")


def _post(client, url, body):
    return client.post(url, json=body)


def test_checks_drafts_and_deploy(app, world):
    designer = login(app.test_client(), "designer")
    page = designer.get("/designer/modeler").data.decode()
    assert "流程建模" in page and 'id="canvas"' in page and "EDU" in page and "/designer/modeler/lib.js" in page
    broken = INQUIRY.replace('candidateGroups="supervisor"', 'candidateGroups="boss"', 1)
    problems = _post(designer, "/designer/modeler/check", {"files": {"formal_inquiry.bpmn": broken}}).get_json()["problems"]
    assert any(p["element"] == "sign_answer" and "boss" in p["message"] for p in problems)
    assert _post(designer, "/designer/modeler/check", {"files": {"formal_inquiry.bpmn": INQUIRY}}).get_json() == {"problems": []}
    assert _post(designer, "/designer/modeler/check", {"files": {"../etc.bpmn": INQUIRY}}).status_code == 422
    assert _post(designer, "/designer/modeler/check", {"files": "x"}).status_code == 400
    saved = _post(designer, "/designer/drafts", {"files": {"formal_inquiry.bpmn": broken}})
    assert saved.get_json() == {"saved": ["formal_inquiry.bpmn"]}
    assert designer.get("/designer/drafts/formal_inquiry.bpmn").data.decode() == broken
    assert "草稿：formal_inquiry.bpmn" in designer.get("/designer/modeler").data.decode()
    other = login(app.test_client(), "admin")
    assert other.get("/designer/drafts/formal_inquiry.bpmn").status_code == 404  # drafts are per designer
    no_note = _post(designer, "/designer/modeler/deploy", {"files": {"formal_inquiry.bpmn": INQUIRY}, "note": " "})
    assert no_note.status_code == 422 and "请填写部署说明" in no_note.get_json()["error"]
    bad = _post(designer, "/designer/modeler/deploy", {"files": {"formal_inquiry.bpmn": broken}, "note": "试"})
    assert bad.status_code == 422 and bad.get_json()["problems"]
    changed = INQUIRY.replace("撰写函询", "撰写正式函询")
    done = _post(designer, "/designer/modeler/deploy", {"files": {"formal_inquiry.bpmn": changed}, "note": "环节更名"})
    assert done.status_code == 200 and done.get_json()["deployed"][0]["version"] == 2
    assert designer.get("/designer/drafts/formal_inquiry.bpmn").status_code == 404
    reviewer = login(app.test_client(), "edu_reviewer")
    assert reviewer.get("/designer/modeler").status_code == 403
    assert _post(reviewer, "/designer/modeler/check", {"files": {"a.bpmn": INQUIRY}}).status_code == 403


def test_a_file_opened_from_a_version_is_checked_and_deployed_with_that_versions_other_files(app, world):
    from sqlalchemy import select

    from engine.models import ProcessDefinition

    with world.rt.db.read() as session:
        base = session.execute(select(ProcessDefinition.id).where(
            ProcessDefinition.process_key == "admission_review")).scalar_one()
    designer = login(app.test_client(), "designer")
    review = (BPMN / "admission_review.bpmn").read_text(encoding="utf-8")
    alone = _post(designer, "/designer/modeler/check", {"files": {"admission_review.bpmn": review}}).get_json()
    assert any("admission_points" in p["message"] for p in alone["problems"])
    assert _post(designer, "/designer/modeler/check", {"files": {"admission_review.bpmn": review}, "base": base}
                 ).get_json() == {"problems": []}
    points = (BPMN / "admission_points.dmn").read_text(encoding="utf-8").replace("最高50分", "最高45分")
    done = _post(designer, "/designer/modeler/deploy", {"files": {"admission_points.dmn": points}, "base": base,
                                                        "note": "分值调整"}).get_json()
    assert [p["table"] for p in done["proposed"]] == ["admission_points"] and "教育局" in done["proposed"][0]["waiting"]
    assert done["proposed"][0]["text"].startswith("《积分入学积分规则（共享规则）》第2版已提交会签，待")  # by name, 第2版
    assert _post(designer, "/designer/modeler/check", {"files": {"a.bpmn": review}, "base": 999999}).status_code == 404
    assert designer.post("/designer/modeler/check", json=["x"]).status_code == 400
