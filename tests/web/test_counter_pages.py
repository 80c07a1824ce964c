"""At the counter: the receipt (受理回执 / 收件回执) and the 一次性告知书 as pages and PDFs, the corrections an
applicant brings in person (补正登记), and scanned materials kept as attachments (checked, stored by hash, shown to
those who may read the case file, every opening recorded)."""
import io
import json
import re

from pypdf import PdfReader
from sqlalchemy import select

from conftest import login
from engine import attachments
from engine.models import AuditEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _events(world, key, prefix):
    with world.rt.db.read() as session:
        return [(e.event, e.actor, json.loads(e.details)) for e in session.execute(
            select(AuditEntry).where(AuditEntry.business_key == key, AuditEntry.event.like(prefix + "%"))
            .order_by(AuditEntry.seq)).scalars()]


def _intake(client, person, materials):
    form = dict(applicant_name=person.name, applicant_id=person.id_number, phone="13800138000", child_name="张小明",
                child_id=person.child_id, address=person.address, district="西湖区", materials=materials)
    started = client.post("/applications/new/admission_review", data=form)
    assert started.status_code == 302, started.data[:300]
    assert started.headers["Location"].endswith("/receipt"), "the clerk goes straight to the receipt"
    return re.search(r"/cases/(ADM-\d{4}-\d{6})/receipt", started.headers["Location"]).group(1)


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_an_incomplete_application_gets_a_receipt_and_a_notice_of_every_missing_item(app, world):
    person = world.person("张伟")
    client = login(app.test_client(), "edu_reviewer")
    form = client.get("/applications/new/admission_review").data.decode()
    assert 'name="materials"' in form and "checked" not in form, "no material is ticked before the clerk has it"
    key = _intake(client, person, ["residence_permit", "household_register"])

    page = client.get(f"/cases/{key}/receipt").data.decode()
    assert "收件回执" in page and key in page and "教育局" in page
    assert "居住证" in page and "户口簿" in page and "社保缴纳证明" not in page.split("已收材料")[1].split("</ol>")[0]
    assert "15个工作日，自补正齐全、正式受理之日起计算" in page and "一次性告知书" in page
    assert "预计办结日期" not in page, "no date is promised before the application is complete"
    assert person.id_number not in page and person.id_number[-4:] in page, "the ID number is masked on paper"

    notice = client.get(f"/cases/{key}/notice").data.decode()
    assert "一次性告知书" in notice
    for item in ("社保缴纳证明", "房产证明或租赁备案证明", "儿童预防接种证明"):
        assert item in notice
    deadline = re.search(r"请于(\d{4}年\d{1,2}月\d{1,2}日)前（10个工作日内）", notice)
    assert deadline, "the deadline is the process's own: 10 working days"
    assert "不予受理" in notice and "不再另行要求补正其他材料" in notice

    text = _pdf_text(client.get(f"/cases/{key}/notice.pdf"))
    assert key in text and "一次性告知书" in text and "儿童预防接种证明" in text and deadline.group(1) in text
    text = _pdf_text(client.get(f"/cases/{key}/receipt.pdf"))
    assert key in text and "收件回执" in text and "居住证" in text
    printed = [(d["document"], d["format"]) for _e, _a, d in _events(world, key, "document_printed")]
    assert printed == [("receipt", "page"), ("one_time_notice", "page"), ("one_time_notice", "pdf"), ("receipt", "pdf")]
    audit = login(app.test_client(), "auditor").get(f"/audit?key={key}").data.decode()
    assert "文书：一次性告知书" in audit and "格式：PDF" in audit


def test_a_correction_brought_in_person_is_recorded_and_the_application_checked_again(app, world):
    person = world.person("李娜")
    client = login(app.test_client(), "edu_reviewer")
    key = _intake(client, person, ["residence_permit", "household_register"])
    case_page = client.get(f"/cases/{key}").data.decode()
    assert 'id="record-correction"' in case_page and 'id="print-notice"' in case_page

    form = client.get(f"/cases/{key}/correction").data.decode()
    assert "社保缴纳证明" in form and "居住证</label>" not in form, "only what is still missing is offered"
    assert "checked" not in form
    nothing = client.post(f"/cases/{key}/correction", data={})
    assert nothing.status_code == 422 and "请登记申请人补交的材料、更正的内容或补正说明" in nothing.data.decode()
    bad = client.post(f"/cases/{key}/correction", data={"materials": ["housing", "passport"], "phone": "123"})
    page = bad.data.decode()
    assert bad.status_code == 422 and "“联系电话（更正）”格式不正确" in page and "不是需补正的材料：passport" in page
    assert 'value="housing" checked' in page, "what was ticked stays ticked after an error"
    assert _events(world, key, "message_received") == [], "a refused correction changes nothing"

    done = client.post(f"/cases/{key}/correction", data={"materials": ["social_insurance", "housing", "vaccination"],
                                                         "note": "申请人到窗口补交原件，已核对"})
    assert done.status_code == 302
    page = client.get(f"/cases/{key}").data.decode()
    assert "补正已登记" in page and 'id="record-correction"' not in page and "教育局审定" in page
    (received,) = [e for e in _events(world, key, "message_received")]
    assert received[1] == "edu_reviewer" and received[2]["data"]["materials"] == ["housing", "social_insurance",
                                                                                  "vaccination"]
    again = client.get(f"/cases/{key}/correction", follow_redirects=True).data.decode()
    assert "当前不在等待补正" in again
    receipt = client.get(f"/cases/{key}/receipt").data.decode()
    assert "受理回执" in receipt and "收件回执" not in receipt and "社保缴纳证明" in receipt
    assert "<dt>补正说明</dt><dd>申请人到窗口补交原件，已核对</dd>" in page, "the clerk's note is in the history"
    client.post("/language", data={"language": "en", "next": f"/cases/{key}/receipt"})
    english = client.get(f"/cases/{key}/receipt").data.decode()
    assert "受理回执" in english and "教育局（盖章）" in english and "Education Bureau" not in english.split('id="paper"')[1], \
        "an official paper is in Chinese whatever the clerk's screen language"


def test_scanned_materials_are_kept_by_hash_shown_to_the_case_file_readers_and_every_opening_recorded(app, world):
    person = world.person("王芳")
    clerk = login(app.test_client(), "edu_reviewer")
    key = _intake(clerk, person, ["residence_permit", "social_insurance", "housing", "vaccination",
                                  "household_register"])
    assert 'id="no-attachments"' in clerk.get(f"/cases/{key}").data.decode()
    up = clerk.post(f"/cases/{key}/attachments", data={"kind": "residence_permit",
                                                        "file": (io.BytesIO(PDF), "居住证 扫描.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    page = up.data.decode()
    assert "已上传：居住证 扫描.pdf" in page and 'id="attachments"' in page and "居住证 扫描.pdf" in page
    link = re.search(rf'href="(/cases/{key}/attachments/(\d+)\?view=1)"', page)
    opened = clerk.get(link.group(1))
    assert opened.data == PDF and opened.mimetype == "application/pdf"
    assert opened.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in opened.headers["Content-Security-Policy"]
    added, viewed = _events(world, key, "attachment_")
    assert added[0] == "attachment_added" and viewed[:2] == ("attachment_viewed", "edu_reviewer")
    assert viewed[2]["sha256"] == added[2]["sha256"] == attachments.hashlib.sha256(PDF).hexdigest()

    fake = clerk.post(f"/cases/{key}/attachments", data={"kind": "housing", "file": (io.BytesIO(b"MZ\x90 exe"), "房产证.pdf")},
                      content_type="multipart/form-data", follow_redirects=True).data.decode()
    assert "房产证.pdf不是 PDF、JPEG 或 PNG 文件" in fake
    none = clerk.post(f"/cases/{key}/attachments", data={"kind": "housing"}, content_type="multipart/form-data",
                      follow_redirects=True).data.decode()
    assert "请选择要上传的扫描件" in none
    assert len(_events(world, key, "attachment_added")) == 1, "refused files leave nothing behind"
    big = PDF + b"0" * (6 * 1024 * 1024)  # over the app's usual 4 MB request limit, within 10 MB a file
    page = clerk.post(f"/cases/{key}/attachments", data={"kind": "housing", "file": (io.BytesIO(big), "房产证.pdf")},
                      content_type="multipart/form-data", follow_redirects=True).data.decode()
    assert "已上传：房产证.pdf" in page
    huge = PDF + b"0" * attachments.MAX_BYTES
    page = clerk.post(f"/cases/{key}/attachments", data={"kind": "housing", "file": (io.BytesIO(huge), "大文件.pdf")},
                      content_type="multipart/form-data", follow_redirects=True).data.decode()
    assert "大文件.pdf超过10 MB" in page
    many = [(io.BytesIO(PDF), f"{n}.pdf") for n in range(6)]
    page = clerk.post(f"/cases/{key}/attachments", data={"kind": "housing", "file": many},
                      content_type="multipart/form-data", follow_redirects=True).data.decode()
    assert "每次最多上传5个文件" in page
    assert len(_events(world, key, "attachment_added")) == 2

    outsider = login(app.test_client(), "psb_reviewer")  # no step of this case in their department
    assert outsider.get(link.group(1)).status_code == 404  # what they may not see answers as what is not there
    assert outsider.post(f"/cases/{key}/attachments", data={"kind": "housing", "file": (io.BytesIO(PDF), "x.pdf")},
                         content_type="multipart/form-data").status_code == 404
    assert outsider.get(f"/cases/{key}/receipt").status_code == 404
    auditor = login(app.test_client(), "auditor")
    assert auditor.get(link.group(1)).data == PDF, "the auditor reads the file too, and it is recorded"
    assert _events(world, key, "attachment_viewed")[-1][1] == "auditor"
    assert clerk.get(f"/cases/{key}/attachments/{int(link.group(2)) + 999}").status_code == 404


def test_a_complete_subsidy_gets_its_receipt_and_an_inquiry_none(app, world):
    person = world.person("赵敏", employed=False)
    street = login(app.test_client(), "street_reviewer")
    form = dict(subsidy_type="employment", applicant_name=person.name, applicant_id=person.id_number,
                phone="139 0013 9000", bank_account="6222 0212 0200 1234 567", address=person.address, district="西湖区",
                household_type="normal", income_per_capita="2,000")  # typed as the card and the paper print them
    started = street.post("/applications/new/subsidy_approval", data=form)
    key = re.search(r"/cases/(SUB-[\d-]+)/receipt", started.headers["Location"]).group(1)
    page = street.get(f"/cases/{key}/receipt").data.decode()
    assert "受理回执" in page and "补贴申请（就业补贴）" in page and "街道办" in page and "20个工作日" in page
    assert street.get(f"/cases/{key}/notice", follow_redirects=True).data.decode().count("没有可打印的一次性告知书") == 1
    inquiry = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    edu = login(app.test_client(), "edu_reviewer")
    assert edu.get(f"/cases/{inquiry.business_key}/receipt").status_code == 404


def test_the_correction_form_speaks_the_readers_language(app, world):
    client = login(app.test_client(), "edu_reviewer")
    key = _intake(client, world.person("王芳"), ["residence_permit", "household_register"])
    chinese = client.get(f"/cases/{key}/correction").data.decode()
    for label in ("补交的材料", "联系电话（更正）", "现居住地址（更正）", "儿童身份证号（更正）", "补正说明", "社保缴纳证明"):
        assert label in chinese
    client.post("/language", data={"language": "en", "next": f"/cases/{key}/correction"})
    english = client.get(f"/cases/{key}/correction").data.decode()
    form = english.split('id="correction"')[1].split("</form>")[0]
    for label in ("Materials brought", "Phone (corrected)", "Current address (corrected)", "Child's ID number (corrected)",
                  "Correction note", "Social insurance payment record"):
        assert label.replace("'", "&#39;") in form, label
    assert not re.search(r"[\u4e00-\u9fff]", form), "no Chinese label is left in the English form"
    bad = client.post(f"/cases/{key}/correction", data={"phone": "123"}).data.decode()
    assert "“Phone (corrected)”" in bad, "the error names the field as the form labels it"
