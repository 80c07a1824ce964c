"""补正 on the case page: while the application waits for missing materials the page says the clock stands;
after the resubmission it lists the period with the working days not counted."""
from __future__ import annotations

from conftest import login


def test_the_case_page_shows_the_stopped_clock(app, world):
    person = world.person()
    out = world.start("admission_review", person.admission(phone="", materials=["residence_permit"]))
    client = login(app.test_client(), "auditor")
    page = client.get(f"/cases/{out.business_key}").data.decode()
    assert 'id="clock-stops"' in page and "目前计时中止" in page and "补正计时中止" in page
    world.message(out.business_key, "materials_resubmitted", phone="13800000000",
                  materials=["social_insurance", "housing", "vaccination", "household_register"])
    page = client.get(f"/cases/{out.business_key}").data.decode()
    assert "不计入办理时限" in page and "目前计时中止" not in page and "补正后恢复计时" in page
