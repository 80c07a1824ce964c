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
    assert bad.status_code == 422 and "“联系电话”格式不正确" in page and "申请人身份证号：身份证号校验码不符" in page
    assert f'value="{person.name}"' in page
    form.update(applicant_id=person.id_number, phone="13800138000",
                materials=["residence_permit", "social_insurance", "housing", "vaccination", "household_register"])
    hidden = client.post("/applications/new/admission_review", data={
        **form, "applicant_name": "张\x01三\x1b[31m", "child_name": "张\u202e小", "address": "西湖区\x07文三路"})
    page = hidden.data.decode()
    assert hidden.status_code == 422 and "申请人姓名：含有控制字符、不可见字符或隐藏的文字方向符号" in page
    assert "儿童姓名：含有控制字符、不可见字符或隐藏的文字方向符号" in page and "现居住地址：含有控制字符" in page
    nul = client.post("/applications/new/admission_review", data={**form, "applicant_name": "张\x00三"})
    assert nul.status_code == 400 and "“applicant_name”含有空字符" in nul.data.decode()  # before the page (web/nul.py)
    with world.rt.db.read() as session:
        from engine.models import Case
        assert session.query(Case).count() == 0, "nothing was started"
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


def test_the_street_window_takes_a_subsidy_by_its_type_and_the_registry_fills_in_what_it_knows(app, world):
    person = world.person("李娜", employed=False)
    client = login(app.test_client(), "street_reviewer")
    page = client.get("/applications/new/subsidy_approval").data.decode()
    assert "申请补贴类型" in page and "住房补贴" in page and "月租金（元，住房补贴）" in page
    form = dict(subsidy_type="housing", applicant_name=person.name, applicant_id=person.id_number, phone="13900139000",
                bank_account="6222021202001234567", address=person.address, district="西湖区",
                household_type="low_income", income_per_capita="1800")
    bad = client.post("/applications/new/subsidy_approval", data=form)
    assert bad.status_code == 422 and "月租金（元，住房补贴）" in bad.data.decode()
    ok = client.post("/applications/new/subsidy_approval", data={**form, "monthly_rent": "1500"})
    assert ok.status_code == 302
    key = re.search(r"/cases/(SUB-\d{4}-\d{6})", ok.headers["Location"]).group(1)
    task = re.search(r'href="/tasks/([0-9a-f-]{36})"', client.get(f"/cases/{key}").data.decode()).group(1)
    check = client.get(f"/tasks/{task}").data.decode()
    assert "已从登记系统调取" in check and "人社局社保记录" in check and 'value="1500"' in check
    assert "1500.0" not in check and "1800.0" not in check, "whole amounts read without .0"
