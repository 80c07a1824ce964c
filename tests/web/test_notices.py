"""The public notice board (公示): approved subsidies are listed with masked names, the amount and the period,
to anyone, page and API; an objection by the notice number reaches the case (checked again) and takes the
subsidy off the list; bad input is named, an address is limited, a notice that ended takes no objection."""
from __future__ import annotations

from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from engine.models import Case
from workflows.models import Application

EMPLOYMENT = dict(subsidy_type="employment", household_type="normal", income_per_capita=2000, unemployed_months=6,
                  first_check_ok=True, street_note="材料齐全")
OBJECTION = {"reason": "申请人仍在经营个体户", "objector_name": "王强", "objector_phone": "13700137000"}


def under_notice(world, name="李娜", account="6222021202001234567"):
    person = world.person(name, employed=False)
    out = world.start("subsidy_approval", {**person.subsidy(bank_account=account), "district": "西湖区"})
    out = world.complete("street_reviewer", out, "street_check", **EMPLOYMENT)
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=True, approval_note="同意")
    with world.rt.db.read() as session:
        app = session.execute(select(Application).where(Application.business_key == out.business_key)).scalar_one()
    assert app.status == "notice" and app.notice_id and app.amount == 3000
    return out, app.notice_id


def test_anyone_reads_the_board_and_objects_by_the_notice_number(app, world):
    out, notice_id = under_notice(world)
    anonymous = app.test_client()
    page = anonymous.get("/notices").data.decode()
    assert "补贴公示" in page and notice_id in page and "李*" in page and "3000" in page and "西湖区" in page
    assert "李娜" not in page and out.business_key not in page
    assert "/notices" in anonymous.get("/login").data.decode()
    response = anonymous.post(f"/notices/{notice_id}/objection", data=OBJECTION)
    assert response.status_code == 302
    assert "异议已登记" in anonymous.get("/notices").data.decode()
    assert notice_id not in anonymous.get("/notices").data.decode()  # off the list while it is checked again
    assert [t for _, t in world.inbox("HRSS")] == ["manual_verify"]
    data = world.data(out.case_id)
    assert data["objection"]["reason"] == "申请人仍在经营个体户" and data["objection_count"] == 1
    again = anonymous.post(f"/notices/{notice_id}/objection", data=OBJECTION, follow_redirects=True)
    assert "已不在公示期内" in again.data.decode()


def test_bad_objections_are_named_and_change_nothing(app, world):
    out, notice_id = under_notice(world)
    client = app.test_client()
    response = client.post(f"/notices/{notice_id}/objection", data={"reason": " ", "objector_name": "",
                                                                     "objector_phone": "12345"})
    text = response.data.decode()
    assert response.status_code == 400
    assert "请说明异议内容" in text and "请填写姓名" in text and "11位手机号码" in text
    assert notice_id in client.get("/notices").data.decode()
    with world.rt.db.read() as session:
        assert session.execute(select(Case.status).where(Case.id == out.case_id)).scalar_one() == "running"
    for _ in range(5):
        client.post(f"/notices/{notice_id}/objection", data={**OBJECTION, "objector_phone": "1"})
    limited = client.post(f"/notices/{notice_id}/objection", data=OBJECTION)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0 and "过于频繁" in limited.data.decode()
    assert notice_id in client.get("/notices").data.decode()  # the limited one was not recorded


def test_an_objection_with_hidden_characters_is_refused_and_its_phone_kept_in_plain_digits(app, world):
    """Anyone may object, without logging in: a name with a zero-width space (李\u200b娜), a reason with a text-direction
    override or control characters reached the case's page, and a phone typed in full-width digits was kept so (found
    by a hostile-input review)."""
    out, notice_id = under_notice(world)
    client = app.test_client()
    refused = client.post(f"/notices/{notice_id}/objection", data={
        "reason": "申请人\u202e户体个营经\x01", "objector_name": "王\u200b强", "objector_phone": "13700137000"})
    text = refused.data.decode()
    assert refused.status_code == 400 and text.count("含有控制字符、不可见字符或隐藏的文字方向符号") == 2
    assert notice_id in client.get("/notices").data.decode()  # nothing recorded
    taken = client.post(f"/notices/{notice_id}/objection", data={**OBJECTION, "objector_phone": "１３７-0013 ７０００"})
    assert taken.status_code == 302
    assert world.data(out.case_id)["objection"]["objector_phone"] == "13700137000"


def test_the_api_lists_notices_and_takes_objections_until_the_period_ends(world, client, issue):
    out, notice_id = under_notice(world)
    second, other_id = under_notice(world, name="欧阳明月", account="6222021202007654321")
    portal = issue("portal", "portal")
    items = client.get("/api/v1/notices", headers=portal).get_json()["items"]
    assert {i["notice_id"] for i in items} == {notice_id, other_id}
    assert {i["name"] for i in items} == {"李*", "欧阳**"} and all(i["amount"] == 3000 for i in items)
    assert client.post("/api/v1/notices/ABCDEF0123/objections", headers=portal, json=OBJECTION).status_code == 404
    r = client.post(f"/api/v1/notices/{notice_id}/objections", headers=portal, json=OBJECTION)
    assert r.status_code == 202 and r.get_json()["notice_id"] == notice_id
    assert [i["notice_id"] for i in client.get("/api/v1/notices", headers=portal).get_json()["items"]] == [other_id]
    until = datetime.fromisoformat(world.data(second.case_id)["notice_until"])
    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        assert client.get("/api/v1/notices", headers=portal).get_json()["items"] == []
        late = client.post(f"/api/v1/notices/{other_id}/objections", headers=portal, json=OBJECTION)
        assert late.status_code == 404


def test_a_notice_number_holding_a_nul_is_a_request_not_understood(app, world):
    """%00 in the notice number reached PostgreSQL, which refuses NUL in text: a 500 error page on a public form."""
    _, notice_id = under_notice(world)
    client = app.test_client()
    assert client.post(f"/notices/{notice_id}%00/objection", data=OBJECTION).status_code == 400
    assert notice_id in client.get("/notices").data.decode()  # nothing recorded
