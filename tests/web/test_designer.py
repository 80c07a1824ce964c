"""Designer pages: upload and check files (problems listed and marked on the diagram), deploy,
view and download versions, compare two versions."""
import io
import re
from pathlib import Path

from sqlalchemy import select

from conftest import login
from engine.models import ProcessDefinition

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
INQUIRY = (BPMN / "formal_inquiry.bpmn").read_bytes()
BROKEN = INQUIRY.replace(b'candidateGroups="supervisor"', b'candidateGroups="boss"').replace(
    b'<bpmn:conditionExpression>sign_decision == \'revise\'</bpmn:conditionExpression>',
    b'<bpmn:conditionExpression>sign_decision ==</bpmn:conditionExpression>')


def upload(client, name, content):
    return client.post("/designer/validate", data={"files": [(io.BytesIO(content), name)]},
                       content_type="multipart/form-data")


def test_broken_upload_lists_every_problem_and_deploys_nothing(app, world):
    client = login(app.test_client(), "designer")
    response = upload(client, "formal_inquiry.bpmn", BROKEN)
    page = response.data.decode()
    assert response.status_code == 422
    assert "<code>sign_answer</code> 候选组“boss”不是角色" in page
    assert "<code>flow_sign_revise</code> 条件" in page and 'id="deploy"' not in page
    assert '&#34;sign_answer&#34;' in page or "sign_answer" in re.search(r'data-marks="([^"]*)"', page).group(1)


def test_valid_upload_deploys_a_new_version_that_can_be_viewed_compared_and_downloaded(app, world):
    client = login(app.test_client(), "designer")
    changed = INQUIRY.replace("撰写函询".encode(), "撰写正式函询".encode())
    page = upload(client, "formal_inquiry.bpmn", changed).data.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    done = client.post("/designer/deploy", data={"token": token, "note": "环节更名"}, follow_redirects=True).data.decode()
    assert "已发布第2版" in done
    with world.rt.db.read() as session:
        old, new = session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == "formal_inquiry")
                                   .order_by(ProcessDefinition.version)).scalars().all()
    assert f"/designer/versions/{new}" in client.get("/designer").data.decode()
    diff = client.get(f"/designer/compare?a={old}&b={new}").data.decode()
    assert "撰写正式函询" in diff
    file = client.get(f"/designer/versions/{new}/files/formal_inquiry.bpmn")
    assert file.status_code == 200 and "撰写正式函询".encode() in file.data
    assert client.post("/designer/deploy", data={"token": "0" * 32}).status_code == 404
    page = upload(client, "formal_inquiry.bpmn", changed).data.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    unnoted = client.post("/designer/deploy", data={"token": token, "note": " "}, follow_redirects=True).data.decode()
    assert "请填写部署说明" in unnoted


def test_only_designers_and_admins_see_the_designer(app, world):
    assert login(app.test_client(), "edu_supervisor").get("/designer").status_code == 403
    assert login(app.test_client(), "admin").get("/designer").status_code == 200


FOREIGN = Path(__file__).resolve().parents[1] / "engine" / "foreign"


def test_every_file_of_the_foreign_corpus_is_checked_without_a_500_and_without_python_reprs(app, world):
    client = login(app.test_client(), "designer")
    for path in sorted(FOREIGN.glob("*.bpmn")):
        response = upload(client, path.name, path.read_bytes())
        page = response.data.decode()
        assert response.status_code in (200, 422), path.name
        assert not re.search(r"Traceback|0x[0-9a-f]{6,}|\w+Error\(|b&#39;&lt;", page), path.name
        assert ('id="deploy"' in page) == (response.status_code == 200), path.name


def test_checked_uploads_wait_in_the_database_for_their_designer_only(app, world):
    from engine import uploads
    client = login(app.test_client(), "designer")
    page = upload(client, "formal_inquiry.bpmn", INQUIRY).data.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    assert not (Path(app.instance_path) / "uploads").exists()
    assert client.get(f"/designer/uploads/{token}/formal_inquiry.bpmn").status_code == 200
    other = login(app.test_client(), "admin")
    assert other.get(f"/designer/uploads/{token}/formal_inquiry.bpmn").status_code == 404
    assert other.post("/designer/deploy", data={"token": token, "note": "x"}).status_code == 404
    client.post("/designer/deploy", data={"token": token, "note": "复核"})
    with world.rt.db.read() as session:
        assert uploads.waiting(session) == 0


def _all_files(**changed: bytes) -> list:
    return [(io.BytesIO(changed.get(p.name, p.read_bytes())), p.name) for p in sorted(BPMN.iterdir())]


def test_a_changed_shared_rule_deployed_from_the_designer_page_awaits_co_sign(app, world):
    client = login(app.test_client(), "designer")
    points = (BPMN / "admission_points.dmn").read_bytes().replace("最高50分".encode(), "最高45分".encode())
    page = client.post("/designer/validate", data={"files": _all_files(**{"admission_points.dmn": points})},
                       content_type="multipart/form-data").data.decode()
    assert 'name="effective"' in page and 'data-shared="admission_points"' in page
    assert "将提交各适用部门（教育局、公安局、人社局、住建局）会签" in page and "会签完成前现行第1版继续有效" in page
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    bad = client.post("/designer/deploy", data={"token": token, "note": "口径调整", "effective": "2027-02-30"},
                      follow_redirects=True).data.decode()
    assert "生效日期2027-02-30不是有效日期" in bad
    done = client.post("/designer/deploy", data={"token": token, "note": "口径调整", "effective": "2027-01-01"},
                       follow_redirects=True).data.decode()
    assert "《积分入学积分规则（共享规则）》第2版已提交会签" in done and "admission_points 第2版" not in done and "全部签署前现行第1版继续有效" in done
    assert "教育局" in done and "RULE-" in done
    again = points.replace("最高45分".encode(), "最高40分".encode())
    page = client.post("/designer/validate", data={"files": _all_files(**{"admission_points.dmn": again})},
                       content_type="multipart/form-data").data.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    refused = client.post("/designer/deploy", data={"token": token, "note": "再调整"}, follow_redirects=True).data.decode()
    assert "未部署任何内容：admission_points.dmn：《积分入学积分规则（共享规则）》第2版尚在会签中（RULE-" in refused
