"""In English the inbox, the task page with its form, the case page and the team page name processes, steps, fields
and options as the designer translated them (the case's history too) in the BPMN (name:en, label:en, options:en); in Chinese as the BPMN
names them."""
from conftest import login
from world import opened


def _english(app, username):
    client = login(app.test_client(), username)
    client.post("/language", data={"language": "en", "next": "/inbox"})
    return client


def test_english_names_come_from_the_bpmn(app, world):
    out = world.start("admission_review", world.person().admission())
    decide = opened(out)["decide"]
    en = _english(app, "edu_reviewer")
    inbox = en.get("/inbox?view=department").data.decode()
    assert "Decision by the Education Bureau" in inbox and "教育局审定" not in inbox
    assert "School admission by points (joint review)" in inbox
    task = en.get(f"/tasks/{decide}").data.decode()
    assert "<h1>Decision by the Education Bureau</h1>" in task
    assert "Reasons (required when refused or waiting-listed)" in task and ">Waiting list</option>" in task
    assert 'value="waitlist"' in task, "the values stay the same"
    case = en.get(f"/cases/{out.business_key}").data.decode()
    assert "School admission by points (joint review)" in case and "Decision by the Education Bureau" in case
    timeline = case.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert "· Decision by the Education Bureau" in timeline and "教育局审定" not in timeline  # the history too
    team = _english(app, "edu_supervisor").get("/team").data.decode()
    assert "Decision by the Education Bureau" in team

    zh = login(app.test_client(), "edu_head")  # the others chose English; it is remembered per user
    page = zh.get(f"/tasks/{decide}").data.decode()
    assert "<h1>教育局审定</h1>" in page and ">列入候补</option>" in page and "Decision by" not in page


def test_in_english_a_case_reads_its_data_outcome_and_automatic_steps_as_the_bpmn_translates_them(app, world):
    out = world.start("subsidy_approval", world.person(employed=False).subsidy())
    out = world.complete("street_reviewer", out, "street_check", subsidy_type="employment", household_type="normal",
                         income_per_capita=2000, unemployed_months=6, first_check_ok=True, street_note="材料齐全")
    out = world.complete("hrss_supervisor", out, "approve_chief", approved=False, approval_note="收入材料存疑")
    page = _english(app, "street_reviewer").get(f"/cases/{out.business_key}").data.decode()
    outcome = page.split('id="outcome"')[1].split("</section>")[0]
    assert "<dt>Reason for refusing the subsidy</dt><dd>收入材料存疑</dd>" in outcome, outcome
    assert "不予补贴" not in outcome
    data = page.split('<dl class="data">')[2].split("</dl>")[0]
    assert "<dt>Applicant</dt>" in data and "<dt>Bank account for payment</dt>" in data, data
    assert "申请人" not in data, data
    timeline = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert "Eligibility and amount" in timeline and "资格与金额判定" not in timeline

    client = login(app.test_client(), "street_reviewer")
    client.post("/language", data={"language": "zh_Hans_CN", "next": "/inbox"})  # the choice is kept per user
    zh = client.get(f"/cases/{out.business_key}").data.decode()
    assert "<dt>不予补贴理由</dt><dd>收入材料存疑</dd>" in zh and "<dt>申请人</dt>" in zh and "Reason for" not in zh


def test_in_english_the_windows_forms_read_in_english(app, world):
    en = _english(app, "edu_reviewer")
    assert "Application for school admission by points" in en.get("/applications/new").data.decode()
    form = en.get("/applications/new/admission_review").data.decode()
    for text in ("Applicant&#39;s name", "District of residence", ">Xihu</option>", "Residence permit"):
        assert text in form, text
    assert "申请人姓名" not in form and "居住证" not in form
    refused = en.post("/applications/new/admission_review", data={"applicant_id": "123"}).data.decode()
    assert "Applicant&#39;s ID number" in refused and "申请人" not in refused
    inquiry = en.get("/applications/new/formal_inquiry").data.decode()
    assert ">Housing Bureau</option>" in inquiry and ">Next: write the letter</button>" in inquiry


def test_in_english_the_designer_lists_processes_by_their_english_names(app, world):
    page = _english(app, "designer").get("/designer").data.decode()
    assert "School admission by points (joint review)" in page and "积分入学联审" not in page
    assert "<th>Version</th>" in page


def test_in_english_the_audit_log_names_steps_by_their_english_names(app, world):
    """An entry records the step's name as it was (教育局审定); in English the log names it as the BPMN translates it."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from engine import audit
    from engine.models import Case
    out = world.start("admission_review", world.person().admission())
    assert "decide" in opened(out)
    with world.rt.db.write() as session:  # a read of personal data records the step's name alone, no element
        case_id = session.execute(select(Case.id).where(Case.business_key == out.business_key)).scalar_one()
        audit.append(session, [audit.Event("data_read", "edu_reviewer", {"fields": ["applicant_id"], "task": "教育局审定"},
                                           "EDU", case_id, out.business_key)], datetime.now(timezone.utc))
    page = _english(app, "auditor").get(f"/audit?key={out.business_key}").data.decode()
    assert page.count("Step: Decision by the Education Bureau") >= 2 and "教育局审定" not in page


def test_in_english_the_admins_department_choices_read_in_english(app, world):
    """The new-user form, a user's page, the token form and the new unit's department list name each department
    in the reader's language, as the rest of the app does."""
    en = _english(app, "admin")
    admin = en.get("/admin").data.decode()
    user = en.get("/admin/users/edu_reviewer").data.decode()
    token = admin.split('id="token_department"')[1].split("</select>")[0]
    assert ">Education Bureau</option>" in token and "教育局" not in token, token
    new_user = admin.split('name="department" value="EDU"')[1].split("</label>")[0]
    assert "Education Bureau" in new_user and "教育局" not in new_user, new_user
    parent = admin.split('id="unit_parent"')[1].split("</select>")[0]
    assert "Education Bureau" in parent and "教育局" not in parent, parent
    own = user.split('name="department" value="EDU"')[1].split("</label>")[0]
    assert "Education Bureau" in own and "教育局" not in own, own

    zh = login(app.test_client(), "admin")
    zh.post("/language", data={"language": "zh_Hans_CN", "next": "/admin"})
    zh = zh.get("/admin").data.decode()
    token = zh.split('id="token_department"')[1].split("</select>")[0]
    assert ">教育局</option>" in token and "Education Bureau" not in token


def test_in_english_the_windows_material_list_reads_as_the_bpmn_translates_it(app, world):
    """The case page's scanned-materials form names each material as the process's data dictionary translates it
    (居住证 stood in the English list)."""
    out = world.start("admission_review", world.person().admission())
    page = _english(app, "edu_reviewer").get(f"/cases/{out.business_key}").data.decode()
    kinds = page.split('<select name="kind">')[1].split("</select>")[0]
    assert ">Residence permit</option>" in kinds and ">Other material</option>" in kinds, kinds
    assert "居住证" not in kinds, kinds
    zh = login(app.test_client(), "edu_reviewer")
    zh.post("/language", data={"language": "zh_Hans_CN", "next": "/inbox"})
    zh = zh.get(f"/cases/{out.business_key}").data.decode()
    assert ">居住证</option>" in zh.split('<select name="kind">')[1].split("</select>")[0]
