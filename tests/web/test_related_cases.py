"""A case and the cases that refer to it (an inquiry about it, the follow-up of its rating) link to each other: the
referring case's data names the case as a link, and the case's page lists the referring cases its reader may open."""
import re

from conftest import login


def test_an_inquiry_and_the_case_it_is_about_link_both_ways(app, world):
    about = world.start("admission_review", world.person().admission()).business_key
    psb = login(app.test_client(), "psb_reviewer")
    sent = psb.post("/applications/new/formal_inquiry", data={"target_department": "HUD", "case_ref": about})
    assert sent.status_code == 302
    inquiry = re.search(r"(INQ-\d{4}-\d{6})", psb.get(sent.headers["Location"]).data.decode()).group(1)

    auditor = login(app.test_client(), "auditor")
    page = auditor.get(f"/cases/{inquiry}").data.decode()
    related, rest = page.split('id="related"')[1].split("</div>", 1)
    assert f'<a href="/cases/{about}">{about}</a>' in rest  # its data (the timeline) names the case: a link
    assert f'本案所涉案件：<a href="/cases/{about}">{about}</a>' in related and "积分入学" in related
    related = auditor.get(f"/cases/{about}").data.decode().split('id="related"')[1].split("</div>")[0]
    assert "关联案件" in related and f'引用本案：<a href="/cases/{inquiry}">{inquiry}</a>' in related and "部门函询" in related
    # 公安局 sent the inquiry but has no part in the case it is about: the number shows, not a link it cannot follow
    page = psb.get(f"/cases/{inquiry}").data.decode()
    assert about in page and f'href="/cases/{about}"' not in page and 'id="related"' not in page
    # 教育局 handles the case but has no part in 公安局's inquiry to 住建局: it is not listed for them
    assert 'id="related"' not in login(app.test_client(), "edu_reviewer").get(f"/cases/{about}").data.decode()


def test_questions_listed_one_per_line_keep_their_lines(app, world):
    about = world.start("admission_review", world.person().admission()).business_key
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "PSB", "case_ref": about})
    answer = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="核实居住证",
                            questions="1. 居住证是否有效？\n2. 签注<是否>连续？", reply_days=5)
    task = next(row["id"] for row in answer.opened if row["element_id"] == "draft_answer")
    page = login(app.test_client(), "psb_reviewer").get(f"/tasks/{task}").data.decode()
    assert "1. 居住证是否有效？<br>2. 签注&lt;是否&gt;连续？" in page  # each question on its line, still escaped


def test_the_related_cases_cost_the_same_queries_however_many_there_are(app, world):
    """Who may open each related case is asked in the query itself (it was one to three queries per listed case)."""
    from sqlalchemy import event

    from web.context import runtime
    about = world.start("admission_review", world.person().admission()).business_key
    edu = login(app.test_client(), "edu_reviewer")
    with app.app_context():
        engine = runtime().db.engine
    counted = []
    listener = lambda *args, **kwargs: counted.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        statements = {}
        for total in (1, 30):
            for _ in range(total - (max(statements) if statements else 0)):
                world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "PSB", "case_ref": about})
            counted.clear()
            page = edu.get(f"/cases/{about}").data.decode()
            statements[total] = len(counted)
            assert page.count("引用本案") == total
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements[30] - statements[1] < 5, statements
