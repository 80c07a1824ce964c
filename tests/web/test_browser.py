"""Real-browser tests: Debian's Chromium driven by Playwright against the app over HTTP (CSRF on)."""
from conftest import ARTIFACTS, ui_login

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1360, "height": 900}  # the tests' own window


def tallest_cell(page, tables: str) -> float:
    """How many lines the highest short cell (not prose) of these tables' bodies takes. Waits for the page's load
    first: a stylesheet still on its way leaves the line height 'normal' (NaN lines) or the cells unstyled."""
    page.wait_for_load_state("load")
    return page.evaluate("""s => Math.max(...[...document.querySelectorAll(s)].flatMap(t => [...t.querySelectorAll('tbody td:not(.prose)')])
        .map(td => { const r = document.createRange(); r.selectNodeContents(td);
                     return r.getBoundingClientRect().height / parseFloat(getComputedStyle(td).lineHeight); }))""", tables)


def assert_readable_on_a_phone(page, tables: str, name: str) -> None:
    """At 390 px the page itself does not scroll sideways; the wide tables scroll inside their own box, their
    short cells each on one line (not a character a line). Leaves a screenshot in test-artifacts/."""
    page.wait_for_load_state("load")  # measured with the stylesheet applied
    page.set_viewport_size(PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1
        && !e.closest('.table-scroll')).slice(0, 4).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
                         PHONE["width"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"the page scrolls sideways: {wide}"
    tallest = tallest_cell(page, tables)
    assert 0 < tallest < 1.5, f"a cell wraps on a phone ({tallest:.1f} lines high)"
    assert page.evaluate("""s => [...document.querySelectorAll(s)].some(t => t.parentElement.scrollWidth > t.parentElement.clientWidth
        && getComputedStyle(t.parentElement).overflowX === 'auto')""", tables), "no table scrolls inside its box"


def test_reviewer_claims_fixes_a_validation_error_and_the_next_department_sees_its_step(world, server, page, new_page):
    world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    ui_login(page, server, "edu_reviewer")
    page.click("text=本部门待签收")
    row = page.locator("tr[data-task]").first
    assert "撰写函询" in row.inner_text()
    assert_readable_on_a_phone(page, "table.inbox", "queue")
    button = row.locator("button:has-text('签收')").bounding_box()
    assert button["x"] + button["width"] <= PHONE["width"], "签收 is in sight on a phone without scrolling the table"
    row.locator("button:has-text('签收')").click()  # scrolled to inside the table's box, as a thumb would
    page.wait_for_selector(".flash.success")
    assert "撰写函询" in page.inner_text("h1"), "签收 opens the step, to do it at once (办理)"
    page.click("#back-to-list")
    page.wait_for_url("**/inbox?view=department")
    page.goto(f"{server}/inbox")
    assert_readable_on_a_phone(page, "table.inbox", "inbox")
    page.set_viewport_size(DESK)
    page.click("a.step:has-text('撰写函询')")
    page.fill("#f_inquiry_subject", "申请人社保缴费核实")
    page.fill("#f_questions", "")
    page.fill("#f_reply_days", "30")
    page.click("button:has-text('提交')")
    assert "请填写“函询问题（逐条列明）”" in page.inner_text("#err_questions")
    assert "不得大于20" in page.inner_text("#err_reply_days")
    assert page.input_value("#f_inquiry_subject") == "申请人社保缴费核实"
    page.fill("#f_questions", "请核实申请人2023年以来的社保缴费月数。")
    page.fill("#f_reply_days", "5")
    page.click("button:has-text('提交')")
    page.wait_for_selector(".flash.success")
    assert "已办结" in page.inner_text(".flash.success")

    other = new_page()
    ui_login(other, server, "hrss_reviewer")
    other.goto(f"{server}/inbox?view=department")
    assert "拟写答复" in other.inner_text("table.inbox")
    assert "剩余" in other.inner_text(".sla")


def test_case_page_draws_the_diagram_with_bpmn_js(world, server, page):
    out = world.start("admission_review", world.person().admission())
    ui_login(page, server, "edu_reviewer")
    page.goto(f"{server}/cases/{out.business_key}")
    page.wait_for_selector("#diagram[data-ready='true']", timeout=20000)
    assert page.locator(".djs-element.jr-current").count() >= 1
    assert float(page.get_attribute("#diagram", "data-scale")) >= 0.75, "a large process opens at a readable scale"
    frame, step = page.locator("#diagram").bounding_box(), page.locator(".djs-element.jr-current").first.bounding_box()
    assert frame["x"] <= step["x"] and step["x"] + step["width"] <= frame["x"] + frame["width"], "on the waiting step"
    assert frame["y"] <= step["y"] and step["y"] + step["height"] <= frame["y"] + frame["height"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-diagram-focused.png"))
    assert "案件受理" in page.inner_text(".timeline")
    assert_readable_on_a_phone(page, "table.tasks", "case")


def test_language_switch(world, server, page):
    ui_login(page, server, "edu_reviewer")
    assert "我的待办" in page.inner_text("header")
    page.click("button:has-text('English')")
    page.wait_for_selector("text=My tasks")
    assert "Department queue" in page.inner_text("header")
    page.click("button:has-text('中文')")
    page.wait_for_selector("text=我的待办")


def test_supervisor_bulk_reassigns_in_the_browser(world, server, page):
    for _ in range(2):
        world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    ui_login(page, server, "edu_supervisor")
    page.click("header >> text=本科室")
    page.wait_for_url("**/team")
    page.wait_for_load_state("load")  # team.js has run: its listeners are on the boxes
    boxes = page.locator("input[name=task_id]")
    assert boxes.count() == 2
    boxes.nth(0).check()
    assert page.evaluate("document.getElementById('select-all').indeterminate") is True
    page.check("#select-all")  # 全选
    assert boxes.nth(0).is_checked() and boxes.nth(1).is_checked()
    page.uncheck("#select-all")
    assert not boxes.nth(0).is_checked() and not boxes.nth(1).is_checked()
    page.check("#select-all")
    page.select_option("#to_user", "edu_reviewer")
    page.fill("#reason", "王科员出差，临时改派")
    page.click("button:has-text('改派')")
    page.wait_for_selector(".flash.success")
    assert "已将2项任务改派给edu_reviewer" in page.inner_text(".flash.success")
    assert page.inner_text("td.load[data-user='edu_reviewer']") == "2"
    assert_readable_on_a_phone(page, "table.members, table.inbox", "team")


def test_auditor_reads_a_case_timeline_and_verifies_the_log(world, server, page):
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="核实申请人的劳动合同与社保缴纳记录" * 3,
                   questions="请核实该申请人自二〇二三年起在本市连续缴纳社会保险的情况及其劳动合同是否真实有效。" * 6, reply_days=5)
    ui_login(page, server, "auditor")
    page.click("header >> text=案件检索")
    page.fill("input[name=key]", out.business_key)
    page.click("button:has-text('检索')")
    page.click(f"text={out.business_key}")
    assert "案件受理" in page.inner_text(".timeline") and "任务到达" in page.inner_text(".timeline")
    page.click("header >> text=审计日志")
    page.click("#verify")
    assert "审计日志完整" in page.inner_text("#verdict")
    page.set_viewport_size({"width": 1366, "height": 800})  # an office laptop: time, department and event on one line
    tallest = tallest_cell(page, "table.audit-log")
    assert 0 < tallest < 1.5, f"a cell of the audit log wraps ({tallest:.1f} lines high)"
    assert_readable_on_a_phone(page, "table.audit-log", "audit-log")


def test_designer_sees_errors_on_the_diagram_then_deploys_a_fixed_file(world, server, page, tmp_path):
    from test_designer import BROKEN, INQUIRY
    broken, fixed = tmp_path / "broken" / "formal_inquiry.bpmn", tmp_path / "fixed" / "formal_inquiry.bpmn"
    broken.parent.mkdir()
    fixed.parent.mkdir()
    broken.write_bytes(BROKEN)
    fixed.write_bytes(INQUIRY.replace("撰写函询".encode(), "撰写正式函询".encode()))
    ui_login(page, server, "designer")
    page.click("header >> text=流程管理")
    page.set_input_files("#files", str(broken))
    page.click("button:has-text('校验')")
    assert "未发布" in page.inner_text("h2.bad")
    page.wait_for_selector(".bpmn-file[data-ready='true']", timeout=20000)
    assert page.locator(".djs-element.jr-problem").count() >= 1
    page.goto(f"{server}/designer")
    page.set_input_files("#files", str(fixed))
    page.click("button:has-text('校验')")
    page.fill("#note", "环节更名")
    page.click("#deploy")
    page.wait_for_selector(".flash.success")
    assert "已发布第2版" in page.inner_text(".flash.success")


def test_an_admission_case_from_intake_through_the_departments_to_a_decision(world, server, new_page):
    person = world.person(psb={"expires": "2025-01-31"})  # PSB's registry disagrees: its reviewer must check
    edu = new_page()
    ui_login(edu, server, "edu_reviewer")
    edu.click("header >> text=受理申请")
    edu.click("text=积分入学申请")
    for fid, value in dict(applicant_name=person.name, applicant_id=person.id_number, phone="13800138000",
                           child_name=person.child_name, child_id=person.child_id, address=person.address).items():
        edu.fill(f"#f_{fid}", value)
    edu.select_option("#f_district", "西湖区")
    for material in edu.locator("input[name=materials]").all():  # every material handed in (they start unticked)
        material.check()
    edu.click("button:has-text('受理')")
    edu.wait_for_selector(".flash.success")
    key = edu.url.split("/cases/")[1].split("/")[0]  # the window lands on the case's receipt (受理回执)

    psb = new_page()
    ui_login(psb, server, "psb_reviewer")
    psb.goto(f"{server}/inbox?view=department")
    psb.locator("tr[data-task]", has_text=key).locator("button:has-text('签收')").click()  # opens the step: 签收, then 办理
    psb.wait_for_selector("h1:has-text('居住证核验')")
    psb.check("#f_psb_ok_true")  # the verdict is one of two answers, 通过 or 不通过
    psb.fill("#f_residence_years", "8")
    psb.fill("#f_psb_finding", "已换领新证，有效期至2031年")
    psb.click("button:has-text('提交')")
    psb.wait_for_selector(".flash.success")

    edu.goto(f"{server}/inbox?view=department")
    edu.locator("tr[data-task]", has_text=key).locator("button:has-text('签收')").click()
    edu.wait_for_selector("h1:has-text('教育局审定')")
    edu.select_option("#f_decision", "admit")
    edu.fill("#f_school_assigned", "文三街小学")
    edu.click("button:has-text('提交')")
    edu.wait_for_selector("#confirming")  # the form checked, the decision asked by its name
    assert "确认提交：录取？" in edu.inner_text("#confirming")
    edu.click("#confirm-submit")
    edu.wait_for_selector(".flash.success")
    edu.goto(f"{server}/cases/{key}")
    timeline = edu.inner_text(".timeline")
    assert timeline.count("办结环节") == 2 and "psb_reviewer" in timeline and "edu_reviewer" in timeline


def test_admin_issues_an_api_token_that_a_department_system_then_uses(world, server, page):
    import requests

    ui_login(page, server, "admin")
    page.goto(f"{server}/admin#tokens")
    page.fill("#token_name", "hud-system")
    page.select_option("#token_role", "reviewer")
    page.select_option("#token_department", "HUD")
    page.fill("#token_days", "365")
    page.click("button:has-text('签发')")
    assert "只显示这一次" in page.inner_text("[data-secret]")
    secret = page.inner_text("code.secret").strip()
    auth = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{server}/api/v1/tasks", headers=auth, timeout=10).status_code == 200
    page.goto(f"{server}/admin")
    assert secret not in page.content()
    row = page.locator("tr[data-token='hud-system']")
    assert "住建局" in row.inner_text() and "有效" in row.inner_text()
    row.locator("button:has-text('吊销')").click()
    page.wait_for_selector(".flash.success")
    assert "已吊销" in page.locator("tr[data-token='hud-system']").inner_text()
    assert requests.get(f"{server}/api/v1/tasks", headers=auth, timeout=10).status_code == 401
