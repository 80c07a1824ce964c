"""A counter visit in Chromium, in Chinese: an ID number with a wrong check digit is refused in Chinese, the
application is taken with two of five materials, the clerk prints the receipt (page and PDF) and the 一次性告知书,
records the missing materials when the applicant brings them, uploads a scan, and the case is decided with an
explicit choice. Screenshots of every page land in test-artifacts/."""
import io
import re
from pathlib import Path

from pypdf import PdfReader

from conftest import ui_login

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"counter-{name}.png"), full_page=True)


def test_a_counter_visit_from_intake_to_decision(world, server, page):
    person = world.person("陈静")
    ui_login(page, server, "edu_reviewer")
    page.goto(f"{server}/applications/new/admission_review")
    wrong = person.id_number[:-1] + ("0" if person.id_number[-1] != "0" else "1")
    page.fill("#f_applicant_name", person.name)
    page.fill("#f_applicant_id", wrong)
    page.fill("#f_phone", "13800138000")
    page.fill("#f_child_name", "陈小雨")
    page.fill("#f_child_id", person.child_id)
    page.fill("#f_address", person.address)
    page.select_option("#f_district", "西湖区")
    assert page.locator("input[name=materials]:checked").count() == 0, "no material is ticked before it is in hand"
    page.check("input[name=materials][value=residence_permit]")
    page.check("input[name=materials][value=household_register]")
    page.click("button[type=submit].primary")
    assert "身份证号校验码不符" in page.inner_text("#err_applicant_id")
    _shot(page, "1-intake-refused")

    page.fill("#f_applicant_id", person.id_number)
    page.click("button[type=submit].primary")
    page.wait_for_selector("#paper")
    key = re.search(r"/cases/(ADM-\d{4}-\d{6})/receipt", page.url).group(1)
    paper = page.inner_text("#paper")
    assert "收件回执" in paper and key in paper and "居住证" in paper and "15个工作日" in paper
    _shot(page, "2-receipt")
    pdf = page.request.get(f"{server}/cases/{key}/receipt.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    (ARTIFACTS / "counter-2-receipt.pdf").write_bytes(pdf.body())
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert key in text and "收件回执" in text

    page.click("#to-notice")
    page.wait_for_selector("#paper")
    notice = page.inner_text("#paper")
    assert "一次性告知书" in notice and "社保缴纳证明" in notice and "儿童预防接种证明" in notice
    assert re.search(r"请于\d{4}年\d{1,2}月\d{1,2}日前（10个工作日内）", notice)
    _shot(page, "3-notice")

    page.goto(f"{server}/cases/{key}")
    page.click("#record-correction")
    page.wait_for_selector("#correction")
    assert page.locator("#correction input[name=materials]:checked").count() == 0
    for code in ("social_insurance", "housing", "vaccination"):
        page.check(f"#correction input[name=materials][value={code}]")
    page.fill("#f_note", "申请人到窗口补交原件，已与原件核对")
    _shot(page, "4-correction")
    page.click("#correction button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "补正已登记" in page.inner_text(".flash.success")

    page.select_option("#attach select[name=kind]", "social_insurance")
    page.set_input_files("#attach input[type=file]", files=[{"name": "社保缴纳证明.pdf", "mimeType": "application/pdf",
                                                              "buffer": SCAN}])
    page.click("#attach button[type=submit]")
    page.wait_for_selector("#attachments")
    assert "社保缴纳证明.pdf" in page.inner_text("#attachments")
    _shot(page, "5-case-with-scan")

    page.goto(f"{server}/inbox?view=department")
    row = page.locator(f"tr[data-task]:has-text('{key}')").first
    row.locator("button:has-text('签收')").click()
    page.wait_for_selector(".flash.success")
    page.goto(f"{server}/cases/{key}")
    page.click("a:has-text('教育局审定')")
    page.wait_for_selector("#f_decision")
    page.select_option("#f_decision", "admit")
    page.fill("#f_school_assigned", "西湖区文三路小学")
    _shot(page, "6-decision")
    page.click("button:has-text('提交')")
    page.wait_for_selector("#confirming")  # an irreversible decision asks to be confirmed
    assert "确认提交：录取？" in page.inner_text("#confirming")
    page.click("#confirm-submit")
    page.wait_for_selector(".flash.success")
    page.goto(f"{server}/cases/{key}")
    assert "教育局审定" in page.inner_text(".timeline")
    _shot(page, "7-case-decided")
