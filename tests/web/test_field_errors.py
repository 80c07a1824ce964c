"""A field's error reads as a sentence naming the field (请填写“安排学校（录取须填）”, “联系电话”格式不正确; Fill in
“School …”), not as the label glued to a fragment (安排学校（录取须填）：为必填项)."""
from conftest import login
from world import opened


def _english(client):
    client.post("/language", data={"language": "en", "next": "/inbox"})
    return client


def test_a_missing_field_of_a_task_asks_for_it_by_name(app, world):
    task = opened(world.start("admission_review", world.person().admission()))["decide"]
    client = login(app.test_client(), "edu_reviewer")
    refused = client.post(f"/tasks/{task}", data={"decision": "admit", "decision_reasons": "积分达标"}).data.decode()
    assert "请填写“安排学校（录取须填）”" in refused and "：为必填项" not in refused
    refused = client.post(f"/tasks/{task}", data={"decision_reasons": "积分达标"}).data.decode()
    assert "请选择“审定结果”" in refused, "a list is chosen from, not filled in"
    refused = _english(client).post(f"/tasks/{task}", data={"decision": "admit"}).data.decode()
    assert "Fill in “School (required when admitted)”" in refused and ": is required" not in refused


def test_the_window_form_names_the_field_in_its_error(app, world):
    person = world.person()
    client = login(app.test_client(), "edu_reviewer")
    form = dict(applicant_name=person.name, applicant_id=person.id_number, phone="1380013", child_name="张小明",
                child_id=person.child_id, address=person.address, district="")
    page = client.post("/applications/new/admission_review", data=form).data.decode()
    assert "“联系电话”格式不正确" in page and "联系电话：格式不正确" not in page
    assert "请选择“居住区县”" in page, "a list is chosen from"
    page = _english(client).post("/applications/new/admission_review", data=form).data.decode()
    assert "“Phone” does not have the expected format" in page and "Choose “District of residence”" in page
