"""Finding a case: staff search by business key or the applicant's exact name or ID number, among the cases they
may open; the department that answers for a case finds and opens it even while it waits on the applicant (the
clerk at the window when the applicant comes back with the missing papers); auditors find every case."""
import re

from conftest import login


def _found(client, **query) -> list[str]:
    page = client.get("/cases", query_string=query).data.decode()
    return re.findall(r'href="/cases/([A-Z]+-\d{4}-\d{6})"', page.split('id="found"')[1]) if 'id="found"' in page else []


def test_staff_find_the_cases_they_may_open_by_key_name_or_id_number(app, world):
    zhang = world.person("张伟")
    waiting = world.start("admission_review", zhang.admission(materials=["residence_permit"]))  # waits on the applicant
    li = world.person("李娜")
    decided = world.start("admission_review", li.admission())
    inquiry = world.start("formal_inquiry", {"requester_department": "HRSS", "target_department": "HUD"})

    clerk = login(app.test_client(), "edu_supervisor")  # not who took the application in
    page = clerk.get("/cases").data.decode()
    assert 'id="no-cases"' in page and "身份证号" in page, "nothing is listed before a search"
    assert _found(clerk, applicant=zhang.id_number.lower()) == [waiting.business_key]
    assert _found(clerk, applicant="张伟") == [waiting.business_key]
    assert _found(clerk, applicant="张") == [], "a name is matched whole, never by its parts"
    assert _found(clerk, key=decided.business_key.lower()) == [decided.business_key]
    assert set(_found(clerk, key=decided.business_key[:8])) == {waiting.business_key, decided.business_key}
    assert _found(clerk, key=inquiry.business_key) == [], "an inquiry between two other departments"
    assert _found(clerk, applicant=zhang.id_number, status="completed") == []
    assert "当前没有可查看的匹配案件" in clerk.get("/cases", query_string={"key": "ADM-1999"}).data.decode()

    opened = clerk.get(f"/cases/{waiting.business_key}").data.decode()
    assert 'id="record-correction"' in opened, "the department that answers for the case serves its applicant"

    psb = login(app.test_client(), "psb_reviewer")  # no step of these cases in their department
    assert _found(psb, applicant="张伟") == [] and _found(psb, key=decided.business_key) == []
    hrss = login(app.test_client(), "hrss_reviewer")
    assert _found(hrss, key=inquiry.business_key) == [inquiry.business_key]

    auditor = login(app.test_client(), "auditor")
    assert set(_found(auditor)) >= {waiting.business_key, decided.business_key, inquiry.business_key}
    audit_page = auditor.get("/audit/cases", query_string={"applicant": li.id_number}).data.decode()
    assert decided.business_key in audit_page and waiting.business_key not in audit_page


def test_the_case_page_links_only_the_steps_the_reader_may_open(app, world):
    out = world.start("admission_review", world.person(psb={"expires": "2025-01-31"}).admission())
    (task,) = [row["id"] for row in out.opened if row["element_id"] == "review_psb"]
    edu = login(app.test_client(), "edu_reviewer").get(f"/cases/{out.business_key}").data.decode()
    assert "居住证核验（人工）" in edu and f'href="/tasks/{task}"' not in edu, "another department's step: no link to a 403"
    psb = login(app.test_client(), "psb_reviewer").get(f"/cases/{out.business_key}").data.decode()
    assert f'href="/tasks/{task}"' in psb
    auditor = login(app.test_client(), "auditor").get(f"/cases/{out.business_key}").data.decode()
    assert f'href="/tasks/{task}"' in auditor


def test_the_latest_started_cases_come_first_whatever_their_row(app, world):
    from datetime import datetime, timezone

    from sqlalchemy import update

    from engine.models import Case
    recent = world.start("admission_review", world.person("王芳").admission()).business_key
    older = world.start("admission_review", world.person("赵磊").admission()).business_key  # taken over later, started 2025
    with world.rt.db.write() as session:
        session.execute(update(Case).where(Case.business_key == older)
                        .values(started_at=datetime(2025, 8, 1, 2, 0, tzinfo=timezone.utc)))
    page = login(app.test_client(), "auditor").get("/audit/cases").data.decode()
    assert page.index(recent) < page.index(older)


def test_each_search_field_has_a_visible_label_and_a_name_is_said_to_be_matched_in_full(app, world):
    """The fields were named by their placeholders only (gone once typed into), and a partial name found nothing
    without a word why: each field has a label, the name field says names match in full, and an empty result
    says what to try."""
    clerk = login(app.test_client(), "edu_supervisor")
    page = clerk.get("/cases").data.decode()
    form = page.split('id="case-search"')[1].split("</form>")[0]
    for name in ("key", "applicant", "process", "status"):
        field = re.search(rf'<(?:input|select) id="([^"]+)" name="{name}"', form)
        assert field and re.search(rf'<label for="{field.group(1)}">[^<]+</label>', form), name
    assert 'placeholder=' not in form
    hint = re.search(r'<input id="search-applicant"[^>]*aria-describedby="([^"]+)"', form).group(1)
    assert re.search(rf'id="{hint}">[^<]*全名[^<]*张伟[^<]*</', form)
    tips = clerk.get("/cases", query_string={"applicant": "张", "status": "completed"}).data.decode()
    tips = tips.split('id="no-cases"')[1].split("</div>")[0]
    assert "当前没有可查看的匹配案件" in tips and "身份证号" in tips and "流程和状态" in tips, tips
    clerk.post("/language", data={"language": "en", "next": "/cases"})
    english = clerk.get("/cases", query_string={"applicant": "张"}).data.decode()
    assert "Matched in full only" in english and "Type the applicant's name in full" in english
    assert "Only the cases you may open" in english
    auditor = login(app.test_client(), "auditor").get("/audit/cases", query_string={"applicant": "张"}).data.decode()
    assert "请输入申请人的全名" in auditor and "只在您有权查看的案件中查询" not in auditor, "an auditor searches every case"


def test_a_department_finds_the_cases_of_the_versions_it_answers_for_as_the_case_page_decides(app, world):
    """The department that answers for a case (owner_department) is that of the case's own process version: after a
    new version names another owner, the old version's cases are still found and opened by the old owner, and the
    new owner finds none of them, as the case page decides who may open them."""
    from engine import repository
    from engine.definitions import read_files
    from engine.routing import Actor
    from workflows.walkthrough import BPMN

    waiting = world.start("admission_review", world.person("张伟").admission(materials=["residence_permit"]))
    files = read_files([BPMN])
    files["admission_review.bpmn"] = files["admission_review.bpmn"].replace(
        b'name="owner_department" value="EDU"', b'name="owner_department" value="PSB"')
    with world.rt.db.write() as session:
        repository.deploy(session, world.rt, Actor.system("test"), files, note="主办部门调整")
    later = world.start("admission_review", world.person("李娜").admission(materials=["residence_permit"]))

    edu = login(app.test_client(), "edu_supervisor")
    assert _found(edu, applicant="张伟") == [waiting.business_key]
    assert 'id="record-correction"' in edu.get(f"/cases/{waiting.business_key}").data.decode()
    assert _found(edu, applicant="李娜") == []
    psb = login(app.test_client(), "psb_supervisor")
    assert _found(psb, applicant="张伟") == [] and edu.get(f"/cases/{later.business_key}").status_code in (403, 404)
    assert _found(psb, applicant="李娜") == [later.business_key]
    assert psb.get(f"/cases/{later.business_key}").status_code == 200
