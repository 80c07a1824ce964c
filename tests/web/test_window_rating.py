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
    assert "评价未保存：得分：须为1至5的整数" in bad and 'id="rate"' in bad  # refused, still unrated
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


def _finished_subsidy(demo) -> Case:
    with demo.rt.db.read() as session:
        return session.execute(select(Case).where(Case.process_key == "subsidy_approval", Case.status == "completed")
                               .order_by(Case.id.desc())).scalars().first()


def test_one_of_the_case_outside_the_window_reads_why_where_the_rating_form_is(app, demo):
    """好差评 by one who may open the case but is not of its owning department (edu_reviewer on a subsidy case the
    street office answers for: a stale page or a crafted form) was a bare 403 page; now the case page, 403, says who
    records it (the engine's rating_window) where the rating form is, with the comment typed there to copy. One who
    may not open the case: 404, as for no case. Nothing was recorded."""
    import re

    case = _finished_subsidy(demo)
    form = {"score": "5", "comment": "办事很快"}
    refused = login(app.test_client(), "edu_reviewer").post(f"/cases/{case.business_key}/rating", data=form)
    page = refused.data.decode()
    assert refused.status_code == 403 and "Traceback" not in page
    said = re.search(r'id="side-refused">(.*?)</p>', page, re.S).group(1)
    assert said.startswith("只有") and "的工作人员可以在窗口录入申请人评价" in said and "STREET" not in said, said
    assert page.index('id="side-refused"') < page.index('id="typed-back"') < page.index('id="diagram"')
    assert "办事很快" in re.search(r'<section id="typed-back">.*?</section>', page, re.S).group(0)
    assert 'id="rate"' not in page and 'id="refused"' not in page  # no form to fill; said in its place, not above
    outsider = login(app.test_client(), "hud_reviewer")
    assert outsider.post(f"/cases/{case.business_key}/rating", data=form).status_code == 404
    with demo.rt.db.read() as session:
        assert session.get(CaseRating, case.id) is None


def test_a_refused_rating_keeps_what_was_typed_in_the_form(app, demo):
    """The window's clerk refused (no grade chosen: a browser that ignores `required`) read why above a blank form;
    now the form holds the comment, and the grade chosen when one was, with what is wrong said in it (422)."""
    import re

    case = _finished_subsidy(demo)
    clerk = login(app.test_client(), "street_reviewer")
    for data in ({"comment": "排队太久"}, {"score": "9", "comment": "排队太久"}, {"score": "²", "comment": "排队太久"}):
        refused = clerk.post(f"/cases/{case.business_key}/rating", data=data)
        form = re.search(r'<form [^>]*id="rate">.*?</form>', refused.data.decode(), re.S).group(0)
        assert refused.status_code == 422 and 'id="side-refused"' in form and "评价未保存" in form
        assert 'value="排队太久"' in form
    chosen = clerk.post(f"/cases/{case.business_key}/rating", data={"score": "2", "comment": "x" * 501})
    form = re.search(r'<form [^>]*id="rate">.*?</form>', chosen.data.decode(), re.S).group(0)
    assert chosen.status_code == 422 and 'value="2" required checked' in form and "x" * 501 in form
    with demo.rt.db.read() as session:
        assert session.get(CaseRating, case.id) is None
