"""Decisions and diagrams in Chromium (zh-CN and English): an irreversible step asks to confirm the decision it
names, a decision is two named answers, the diagram's full-screen button fills the screen and says what it does,
the designer reads a broken file and a comparison in words, and the English layout keeps keys and buttons whole.
Screenshots land in test-artifacts/ (look at them: the Chinese must render)."""
from sqlalchemy import select

from conftest import ARTIFACTS, ui_login
from engine.models import ProcessDefinition
from test_designer import INQUIRY
from world import opened


def _shot(page, world, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"decisions-{name}-{world.rt.db.engine.dialect.name}.png"), full_page=full_page)


def test_an_irreversible_decision_asks_to_be_confirmed_by_its_name(world, server, page):
    out = world.start("admission_review", world.person().admission())
    ui_login(page, server, "edu_reviewer")
    page.goto(f"{server}/tasks/{opened(out)['decide']}")
    assert "此步骤提交后不可撤回" in page.inner_text("#irreversible")
    page.select_option("#f_decision", "reject")
    page.click("#complete")  # no reason given: the form is checked before anything is asked
    page.wait_for_selector(".field-error")
    assert "请填写“理由（不予录取、列入候补须列明）”" in page.inner_text("#err_decision_reasons")
    assert page.locator("#confirming").count() == 0
    page.fill("#f_decision_reasons", "居住证地址与实际居住地不符")
    _shot(page, world, "1-decide")
    page.click("#complete")
    page.wait_for_selector("#confirming")
    assert "确认提交：不予录取？" in page.inner_text("#confirming") and "尚未保存" in page.inner_text("#confirming")
    assert page.input_value("#f_decision_reasons") == "居住证地址与实际居住地不符"  # kept, not sent yet
    _shot(page, world, "1b-confirm")
    page.select_option("#f_decision", "waitlist")  # changed the mind after being asked: asked again
    page.fill("#f_decision_reasons", "学位已满，列入候补")
    page.click("#confirm-submit")
    page.wait_for_selector("#confirming")
    assert "确认提交：列入候补？" in page.inner_text("#confirming")
    page.click("#confirm-submit")
    page.wait_for_selector(".flash.success")
    assert "已办结" in page.inner_text(".flash.success")


def test_a_decision_is_chosen_between_two_named_answers(world, server, page):
    out = world.start("subsidy_approval", world.person(employed=False).subsidy())
    out = world.complete("street_reviewer", out, "street_check", subsidy_type="employment", household_type="normal",
                         income_per_capita=2000, unemployed_months=6, first_check_ok=True, street_note="材料齐全")
    ui_login(page, server, "hrss_supervisor")
    page.goto(f"{server}/tasks/{opened(out)['approve_chief']}")
    answers = page.locator("#f_approved label")
    assert [answers.nth(i).inner_text().strip() for i in range(answers.count())] == ["同意", "不同意（不予补贴）"]
    assert not page.is_checked("#f_approved_true") and not page.is_checked("#f_approved_false")
    page.fill("#f_approval_note", "同意发放")
    page.click("#complete")  # nothing chosen: no confirmation, the page names the decision that is missing
    page.wait_for_selector(".field-error")
    assert "请选择“审批结论”" in page.inner_text("#err_approved")
    _shot(page, world, "2-decision-missing")
    page.check("#f_approved_false")
    page.fill("#f_approval_note", "家庭收入材料存疑")
    page.click("#complete")
    page.wait_for_selector("#confirming")
    assert "确认提交：不同意（不予补贴）？" in page.inner_text("#confirming")
    page.click("#confirm-submit")
    page.wait_for_selector(".flash.success")
    page.goto(f"{server}/cases/{out.business_key}")
    assert "不予补贴" in page.inner_text("#outcome") and "家庭收入材料存疑" in page.inner_text("#outcome")
    _shot(page, world, "3-case-outcome")


def test_the_diagram_goes_full_screen_and_says_so(world, server, page):
    out = world.start("admission_review", world.person().admission())
    ui_login(page, server, "edu_reviewer")
    page.goto(f"{server}/cases/{out.business_key}")
    page.wait_for_selector("#diagram[data-ready='true']", timeout=20000)
    titles = page.eval_on_selector_all("#diagram .zoom button", "bs => bs.map(b => b.title)")
    assert titles == ["放大", "缩小", "显示完整流程图", "全屏显示"]
    button = page.locator("#diagram .zoom button.full-screen")
    button.hover()
    button.click()
    page.wait_for_selector("#diagram[data-full='true']")
    box, view = page.locator("#diagram").bounding_box(), page.viewport_size
    assert box["width"] >= view["width"] - 2 and box["height"] >= view["height"] - 2
    assert button.get_attribute("title") == "退出全屏（Esc）"
    assert page.locator("#diagram .djs-element.jr-current").count() >= 1  # the drawing is there, marks and all
    _shot(page, world, "4-full-screen", full_page=False)  # what the screen shows
    button.click()
    page.wait_for_selector("#diagram[data-full='false']")
    assert page.locator("#diagram").bounding_box()["height"] < view["height"] - 100
    assert button.get_attribute("title") == "全屏显示"


def test_the_designer_reads_a_broken_file_and_a_comparison_in_words(world, server, page):
    ui_login(page, server, "designer")
    page.goto(f"{server}/designer")
    page.set_input_files("#files", files=[{"name": "formal_inquiry.bpmn", "mimeType": "application/xml",
                                           "buffer": INQUIRY[:4000]}])
    page.click(".upload button[type=submit]")
    page.wait_for_selector(".undrawable")
    text = page.inner_text(".undrawable")
    assert "改正以下问题后才能绘制此文件的流程图" in text and "XML" in text
    assert "unparsable" not in page.inner_text("main") and "Error" not in page.inner_text("main")
    _shot(page, world, "5-broken-upload")
    page.goto(f"{server}/designer")
    changed = INQUIRY.decode().replace("撰写函询", "撰写正式函询").encode()
    page.set_input_files("#files", files=[{"name": "formal_inquiry.bpmn", "mimeType": "application/xml", "buffer": changed}])
    page.click(".upload button[type=submit]")
    page.fill("#note", "环节更名")
    page.click("#deploy")
    page.wait_for_selector(".flash.success")
    with world.rt.db.read() as session:
        old, new = session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == "formal_inquiry")
                                   .order_by(ProcessDefinition.version)).scalars().all()
    page.goto(f"{server}/designer/compare?a={old}&b={new}")
    change = page.locator("details[data-element='draft_inquiry']")
    assert "修改 用户任务 撰写正式函询" in change.locator("summary").inner_text()
    before, after = change.locator("tr.c-changed td").nth(0), change.locator("tr.c-changed td").nth(1)
    assert "撰写函询" in before.inner_text() and "撰写正式函询" in after.inner_text()
    assert abs(before.bounding_box()["y"] - after.bounding_box()["y"]) < 1  # side by side
    width = page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert width, "long lines wrap: the page does not scroll sideways"
    _shot(page, world, "6-compare")


def test_the_english_layout_keeps_business_keys_and_buttons_whole(world, server, page):
    for i in range(3):
        out = world.start("admission_review", world.person(f"张伟{i}").admission())
    ui_login(page, server, "edu_supervisor")
    page.click("button:has-text('English')")
    page.wait_for_selector("text=My tasks")
    for width in (1024, 1360):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{server}/inbox?view=department")
        key = page.locator(f"a:has-text('{out.business_key}')").first
        line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
        assert key.bounding_box()["height"] <= line + 1, f"{out.business_key} wraps at {width}px"
        # the Filter button stays beside the last drop-down, never alone on a line: the bar may take two lines in
        # English (each drop-down shows its longest choice whole, the search fields their whole placeholder)
        button = page.locator(".filters button[type=submit]").bounding_box()
        beside = page.locator(".filters select").last.bounding_box()
        assert abs(button["y"] + button["height"] / 2 - (beside["y"] + beside["height"] / 2)) < 4, f"Filter wraps at {width}px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"the inbox scrolls sideways at {width}px"
        for name in ("Log out", "Claim"):
            box = page.locator(f"button:has-text('{name}')").first.bounding_box()
            assert box["height"] <= line + 20, f"{name} wraps at {width}px"
        _shot(page, world, f"7-english-inbox-{width}")
    page.goto(f"{server}/cases/{out.business_key}")
    assert page.locator("h1").first.bounding_box()["height"] < 60
