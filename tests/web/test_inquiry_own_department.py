"""A step that may ask another department (部门函询) does not offer its own department to ask, and refuses it if
sent all the same, naming why; nothing is saved."""
import re

from conftest import login
from world import opened

EMPLOYMENT = dict(subsidy_type="employment", household_type="normal", income_per_capita=2000, unemployed_months=6,
                  first_check_ok=True, street_note="材料齐全")


def test_the_subsidy_check_asks_another_department_only(app, world):
    out = world.start("subsidy_approval", world.person(employed=True).subsidy())  # 人社局 checks it by hand
    out = world.complete("street_reviewer", out, "street_check", **EMPLOYMENT)
    task = opened(out)["manual_verify"]
    client = login(app.test_client(), "hrss_reviewer")
    page = client.get(f"/tasks/{task}").data.decode()
    offered = re.findall(r'<option value="(\w+)"', page.split('name="verify_inquiry_target"')[1].split("</select>")[0])
    assert "HRSS" not in offered and {"PSB", "HUD", "EDU", "HEALTH"} == set(offered)
    refused = client.post(f"/tasks/{task}", data={"verify_finding": "待核", "verify_need_inquiry": "on",
                                                  "verify_inquiry_target": "HRSS"})
    assert refused.status_code == 422
    assert "函询部门（需函询时填写）：不能选择本部门，函询须发往其他部门" in refused.data.decode()
    assert world.data(out.case_id, task).get("verify_inquiry_target") != "HRSS"  # nothing was saved
    asked = client.post(f"/tasks/{task}", data={"verify_finding": "待核", "verify_need_inquiry": "on",
                                                "verify_inquiry_target": "PSB"})
    assert asked.status_code == 302
