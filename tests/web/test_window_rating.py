"""At the window, the responsible department records the applicant's rating of a finished case."""
from __future__ import annotations

from conftest import login
from sqlalchemy import select

from engine.models import Case, CaseRating, Task


def test_the_window_records_a_rating_and_a_bad_one_reaches_the_supervisors(app, demo):
    with demo.rt.db.read() as session:
        case = session.execute(select(Case).where(Case.process_key == "subsidy_approval", Case.status == "completed")
                               .order_by(Case.id.desc())).scalars().first()
    clerk = login(app.test_client(), "street_reviewer")
    page = clerk.get(f"/cases/{case.business_key}").data.decode()
    assert 'id="rate"' in page and "窗口录入申请人评价" in page
    assert login(app.test_client(), "edu_reviewer").post(f"/cases/{case.business_key}/rating",
                                                         data={"score": "5"}).status_code == 403
    bad = clerk.post(f"/cases/{case.business_key}/rating", data={"score": "9"}, follow_redirects=True).data.decode()
    assert "评价未保存：得分：须为 1 至 5 的整数" in bad and 'id="rate"' in bad  # refused, still unrated
    done = clerk.post(f"/cases/{case.business_key}/rating", data={"score": "1", "comment": "排队太久"},
                      follow_redirects=True).data.decode()
    assert "评价已录入" in done and "已为科长发起差评回访" in done and 'id="rating"' in done
    with demo.rt.db.read() as session:
        rating = session.get(CaseRating, case.id)
        follow_up = session.execute(select(Task).join(Case, Case.id == Task.case_id)
                                    .where(Case.business_key == rating.follow_up)).scalar_one()
    assert rating.channel == "window" and follow_up.department_code == "STREET" and follow_up.role == "supervisor"
    chief = login(app.test_client(), "street_supervisor").get("/inbox?view=department").data.decode()
    assert "差评回访整改" in chief
