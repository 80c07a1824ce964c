"""抄送 in the pages: the holder copies the case to a department; its members see it under 抄送我的 and open
the case read-only (no task of theirs in it); reading is recorded."""
from __future__ import annotations

from conftest import login
from world import opened


def test_a_holder_copies_the_case_and_the_department_reads_it(app, world):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    draft = opened(out)["draft_inquiry"]
    hud = login(app.test_client(), "hud_reviewer")
    assert hud.get(f"/cases/{out.business_key}").status_code == 403
    edu = login(app.test_client(), "edu_reviewer")
    assert 'id="cc"' in edu.get(f"/tasks/{draft}").data.decode()
    bad = edu.post(f"/tasks/{draft}/cc", data={"to": "NOWHERE"}, follow_redirects=True).data.decode()
    assert "to: NOWHERE" in bad
    done = edu.post(f"/tasks/{draft}/cc", data={"to": "HUD，jointoffice", "note": "涉及住房核查口径"},
                    follow_redirects=True).data.decode()
    assert "to: jointoffice" in done  # one unknown name: nothing is copied
    done = edu.post(f"/tasks/{draft}/cc", data={"to": "HUD", "note": "涉及住房核查口径"}, follow_redirects=True).data.decode()
    assert f"已将 {out.business_key} 抄送给 3 人" in done
    listed = hud.get("/cc").data.decode()
    assert out.business_key in listed and "涉及住房核查口径" in listed and "未读" in listed
    page = hud.get(f"/cases/{out.business_key}")
    assert page.status_code == 200 and 'class="task-form"' not in page.data.decode()
    assert "未读" not in hud.get("/cc").data.decode()
    assert hud.get(f"/tasks/{draft}").status_code == 403  # read-only: no task page of another department
