"""撤回申请 through the portal API (the applicant's own case, until decided) and at the window (staff of
the department that owns the case, with a confirmation)."""
from __future__ import annotations

import uuid

from conftest import login
from engine import tokens
from engine.routing import Actor
from world import opened


def portal_headers(world, person):
    with world.rt.db.write() as session:
        issued = tokens.issue(session, Actor.system("test"), f"portal-{uuid.uuid4().hex[:6]}", "portal")
    return {"Authorization": f"Bearer {issued.secret}", "X-Applicant-Id": person.id_number}


def test_the_applicant_withdraws_through_the_portal_until_the_decision(app, world):
    client = app.test_client()
    person = world.person()
    out = world.start("admission_review", person.admission())
    headers = portal_headers(world, person)
    other = portal_headers(world, world.person(name="李娜"))
    assert client.post(f"/api/v1/applications/{out.business_key}/withdrawal", headers=other,
                       json={"reason": "不想读了"}).status_code == 404  # not their case
    assert client.post(f"/api/v1/applications/{out.business_key}/withdrawal", headers=headers,
                       json={"reason": ""}).status_code == 422
    done = client.post(f"/api/v1/applications/{out.business_key}/withdrawal", headers=headers,
                       json={"reason": "孩子已在户籍地入学"})
    assert done.status_code == 202 and done.json["received"] == "withdrawal"
    status = client.get(f"/api/v1/applications/{out.business_key}", headers=headers).json
    assert status["status"] == "completed" and status["next_steps"] == []

    decided = world.start("admission_review", person.admission())
    world.complete("edu_reviewer", decided, "decide", decision="admit", school_assigned="文三街小学")
    late = client.post(f"/api/v1/applications/{decided.business_key}/withdrawal", headers=headers,
                       json={"reason": "改主意了"})
    assert late.status_code == 409 and "already decided" in late.json["detail"]


def test_the_window_records_a_withdrawal_brought_in_person(app, world):
    out = world.start("subsidy_approval", world.person().subsidy())
    street = login(app.test_client(), "street_reviewer")
    page = street.get(f"/cases/{out.business_key}").data.decode()
    assert "申请人撤回申请" in page
    refused = street.post(f"/cases/{out.business_key}/withdraw-application", data={"reason": "已就业"},
                          follow_redirects=True).data.decode()
    assert "请勾选确认" in refused
    done = street.post(f"/cases/{out.business_key}/withdraw-application",
                       data={"reason": "已就业，不再申请", "confirm": "1"}, follow_redirects=True).data.decode()
    assert f"已按申请人要求撤回{out.business_key}" in done and 'id="withdraw-application"' not in done
    assert "已就业，不再申请" in done  # the reason, in the timeline


def test_only_the_owning_department_records_a_withdrawal_at_the_window(app, world):
    out = world.start("subsidy_approval", world.person().subsidy())
    assert opened(out)
    fin = login(app.test_client(), "fin_reviewer")
    assert fin.post(f"/cases/{out.business_key}/withdraw-application",
                    data={"reason": "x", "confirm": "1"}).status_code == 404  # no part in it: as for no case


def test_one_of_the_case_outside_the_window_reads_why_on_the_case_page(app, world):
    """撤回申请 by one who may open the case but is not of its owning department (an auditor: a crafted form) was a
    bare 403 page; now the case page, 403, says who records it. One who may not open the case learns nothing of it
    (404, as for no case). The case runs on."""
    import re

    out = world.start("subsidy_approval", world.person().subsidy())
    form = {"reason": "申请人来电撤回", "confirm": "1"}
    refused = login(app.test_client(), "auditor").post(f"/cases/{out.business_key}/withdraw-application", data=form)
    page = refused.data.decode()
    assert refused.status_code == 403 and "Traceback" not in page
    said = re.search(r'class="flash error"[^>]*>(.*?)</', page, re.S).group(1)
    assert "的工作人员可以在窗口登记撤回申请" in said, said
    assert out.business_key in page and 'id="withdraw-application"' not in page
    outsider = login(app.test_client(), "hud_reviewer")
    assert outsider.post(f"/cases/{out.business_key}/withdraw-application", data=form).status_code == 404
    with world.rt.db.read() as session:
        from engine.models import Case
        assert session.get(Case, out.case_id).status == "running"


def test_a_refused_withdrawal_keeps_the_reason_typed(app, world):
    """A refused 撤回申请 at the window lost the reason typed (a redirect to the case page). Now the case page again holds
    it: in the form, open, with what is wrong said there, while the page offers it (unconfirmed, a hidden character in
    the reason: 422); read-only under why, above, where the form is gone (one outside the owning department, 403).
    The case runs on."""
    import re

    from engine.models import Case

    out = world.start("subsidy_approval", world.person().subsidy())
    street = login(app.test_client(), "street_reviewer")
    for data, wrong in (({"reason": "申请人已就业，不再申请"}, "请勾选确认"),
                        ({"reason": "申请人已就业，\u202e不再申请", "confirm": "1"}, "不可见")):
        refused = street.post(f"/cases/{out.business_key}/withdraw-application", data=data)
        form = re.search(r'<details class="card send-back" id="withdraw-application" open>.*?</details>',
                         refused.data.decode(), re.S)
        assert refused.status_code == 422 and form, refused.data.decode()[:3000]
        said = re.search(r'id="side-refused">(.*?)</p>', form.group(0)).group(1)
        assert wrong in said, said
        assert f'name="reason" rows="2" required maxlength="500">{data["reason"]}</textarea>' in form.group(0)
    auditor = login(app.test_client(), "auditor")
    page = auditor.post(f"/cases/{out.business_key}/withdraw-application",
                        data={"reason": "申请人来电撤回", "confirm": "1"}).data.decode()
    assert 'id="withdraw-application"' not in page and "的工作人员可以在窗口登记撤回申请" in page
    assert "申请人来电撤回</textarea>" in re.search(r'<section id="typed-back">.*?</section>', page, re.S).group(0)
    with world.rt.db.read() as session:
        assert session.get(Case, out.case_id).status == "running"
