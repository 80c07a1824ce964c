"""Window intake: starting applications from the browser's forms, with every field checked."""
import re

from conftest import login


def test_edu_window_starts_an_admission_application(app, world):
    person = world.person()
    client = login(app.test_client(), "edu_reviewer")
    assert "积分入学申请" in client.get("/applications/new").data.decode()
    form = dict(applicant_name=person.name, applicant_id=person.id_number[:-1] + ("0" if person.id_number[-1] != "0" else "1"),
                phone="1380013", child_name="张小明", child_id=person.child_id, address=person.address, district="西湖区")
    bad = client.post("/applications/new/admission_review", data=form)
    page = bad.data.decode()
    assert bad.status_code == 422 and "联系电话：格式不正确" in page and "申请人身份证号：ID number check digit" in page
    assert f'value="{person.name}"' in page
    form.update(applicant_id=person.id_number, phone="13800138000",
                materials=["residence_permit", "social_insurance", "housing", "vaccination", "household_register"])
    ok = client.post("/applications/new/admission_review", data=form)
    assert ok.status_code == 302
    key = re.search(r"/cases/(ADM-\d{4}-\d{6})", ok.headers["Location"]).group(1)
    case_page = client.get(f"/cases/{key}").data.decode()
    assert "教育局审定" in case_page


def test_windows_take_only_their_applications(app, world):
    psb = login(app.test_client(), "psb_reviewer")
    assert psb.get("/applications/new/admission_review").status_code == 403
    assert psb.get("/applications/new/formal_inquiry").status_code == 200
    street = login(app.test_client(), "street_reviewer")
    assert street.get("/applications/new/subsidy_approval").status_code == 200
    assert street.get("/applications/new/nothing").status_code == 404
