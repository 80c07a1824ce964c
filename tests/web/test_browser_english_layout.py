"""English and Chinese side by side in a real browser: the case page's task table and the case search's box hold
the longer English words on an office screen (1400 px) as they hold the Chinese ones, and stay usable on a phone.
Leaves screenshots in test-artifacts/ (the Chinese ones show that Chinese renders)."""
from datetime import timedelta

from sqlalchemy import update

from conftest import ARTIFACTS, ui_login
from engine.wallclock import now
from engine.models import Task
from test_browser import PHONE, assert_readable_on_a_phone
from test_browser_english import OFFICE, in_english
from world import opened


def _overflow(page, selector: str) -> tuple[int, int]:
    return tuple(page.evaluate("s => { const e = document.querySelector(s); return [e.scrollWidth, e.clientWidth]; }",
                               selector))


def test_the_case_pages_task_table_fits_an_office_screen_in_both_languages(world, server, page):
    """Long English step and department names (Human Resources and Social Security Bureau), an overdue escalated
    step and the 催办 box beside it: the task table wraps them instead of scrolling sideways beside the timeline."""
    out = world.start("formal_inquiry", {"requester_department": "EDU", "target_department": "HRSS"})
    out = world.complete("edu_reviewer", out, "draft_inquiry", inquiry_subject="核实申请人的社保缴纳记录",
                         questions="请核实该申请人自二〇二三年起在本市缴纳社会保险的情况。", reply_days=5)
    with world.rt.db.write() as session:
        session.execute(update(Task).where(Task.id == opened(out)["draft_answer"])
                        .values(due_at=now() - timedelta(days=9), escalated_at=now() - timedelta(days=1)))
    ui_login(page, server, "edu_supervisor")  # EDU takes part: it may urge HRSS's step (the note's box shows)
    page.set_viewport_size(OFFICE)
    ARTIFACTS.mkdir(exist_ok=True)
    for language in ("zh", "en"):
        if language == "en":
            in_english(page)
        page.goto(f"{server}/cases/{out.business_key}")
        page.wait_for_selector("table.tasks form.urge textarea")
        page.screenshot(path=str(ARTIFACTS / f"case-tasks-{language}-1400.png"), full_page=True)
        wide, box = _overflow(page, ".table-scroll:has(> table.tasks)")
        assert wide <= box, f"the case page's task table scrolls sideways at 1400 px in {language}: {wide} > {box}"
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert_readable_on_a_phone(page, "table.tasks", f"case-tasks-{language}")
        urge = page.locator("table.tasks form.urge button").first
        urge.scroll_into_view_if_needed()  # inside the table's box, as a thumb would
        button = urge.bounding_box()
        assert 0 <= button["x"] and button["x"] + button["width"] <= PHONE["width"], "催办 can be reached on a phone"
        page.set_viewport_size(OFFICE)


CUT_PLACEHOLDERS = """() => { const pen = document.createElement('canvas').getContext('2d'), out = [];
    for (const box of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
        if (!box.offsetParent) continue;  // hidden
        const s = getComputedStyle(box);
        pen.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
        const room = box.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
        const text = pen.measureText(box.placeholder).width;
        if (text > room) out.push(`${box.name}: “${box.placeholder}” ${Math.round(text)} > ${Math.round(room)} px`); }
    return out; }"""


def test_search_placeholders_are_whole_on_an_office_screen_and_a_phone(world, server, page):
    """The inbox's search fields (step, business key, the applicant's full name or ID number) and the case search
    show their whole placeholder in both languages, on an office screen, a small laptop and a phone."""
    ui_login(page, server, "edu_supervisor")
    ARTIFACTS.mkdir(exist_ok=True)
    seen, cut = 0, {}
    for language in ("zh", "en"):
        if language == "en":
            in_english(page)
        for width in (OFFICE["width"], 1024, PHONE["width"]):
            page.set_viewport_size({"width": width, "height": 900})
            for path in ("/inbox", "/inbox?view=department", "/cases"):
                page.goto(f"{server}{path}")
                seen += page.locator("input[placeholder]:visible").count()
                if found := page.evaluate(CUT_PLACEHOLDERS):
                    cut[f"{path} {language} {width}"] = found
                assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            page.goto(f"{server}/inbox")
            page.screenshot(path=str(ARTIFACTS / f"inbox-filters-{language}-{width}.png"))
    assert seen, "no placeholder was measured"
    assert not cut, f"placeholders cut off: {cut}"


ARROW = 18  # px: the least room Chromium's drop-down arrow takes inside a select's padding box (about 20 px at 14 px)

CUT_SELECTS = """arrow => { const pen = document.createElement('canvas').getContext('2d'), out = [];
    for (const box of document.querySelectorAll('form.filters select')) {
        if (!box.offsetParent) continue;  // hidden
        const s = getComputedStyle(box), chosen = box.options[box.selectedIndex];
        pen.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
        const room = box.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - arrow;
        const text = pen.measureText(chosen.text).width;
        if (text > room) out.push(`${box.name}: “${chosen.text}” ${Math.round(text)} > ${Math.round(room)} px`); }
    return out; }"""


def test_the_inbox_filters_show_their_chosen_text_whole(world, server, page):
    """Each drop-down of the inbox's filter bar (process, deadline, order) shows the option chosen in it whole, the
    longest too, in both languages on an office screen and a small laptop (“All processe”, “Deadline fir” were cut)."""
    world.start("admission_review", world.person().admission())  # a process to choose
    ui_login(page, server, "edu_supervisor")
    ARTIFACTS.mkdir(exist_ok=True)
    seen, cut = 0, {}
    for language in ("zh", "en"):
        if language == "en":
            in_english(page)
        for width in (OFFICE["width"], 1024):
            page.set_viewport_size({"width": width, "height": 900})
            for view in ("mine", "department"):
                page.goto(f"{server}/inbox?view={view}")
                choices = page.evaluate("""() => [...document.querySelectorAll('form.filters select')].map(s =>
                    [s.name, [...s.options].map(o => o.value)])""")
                for name, values in choices:  # each option chosen in turn, the longest among them
                    for value in values:
                        page.select_option(f"form.filters select[name={name}]", value)
                        seen += 1
                        if found := page.evaluate(CUT_SELECTS, ARROW):
                            cut.setdefault(f"{view} {language} {width}", set()).update(found)
            page.screenshot(path=str(ARTIFACTS / f"inbox-selects-{language}-{width}.png"))
    assert seen, "no select was measured"
    assert not cut, f"drop-downs cut off: {cut}"


def test_the_english_alert_list_fits_a_small_laptop(demo, server, page):
    """The stagnation alerts in English: a step's and a department's long names (Human Resources and Social Security
    Bureau) wrap, so that the department and the time raised are in sight at 1024 px, not scrolled out of the card."""
    from test_browser_english import sideways
    ui_login(page, server, "auditor")
    in_english(page)
    found = {}
    for width in (OFFICE["width"], 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server}/dashboard/alerts")
        page.wait_for_selector("table.alerts td")
        if wide := sideways(page):
            found[width] = wide
    assert not found, f"the English alert list scrolls sideways: {found}"


def test_the_english_dashboards_tables_fit_a_small_laptop(demo, server, page):
    """The dashboard's figures in English (Human Resources and Social Security Bureau, School admission by points
    (joint review), Average working days): names and column heads wrap, so that no table hides columns or cuts a
    name at 1024 px."""
    from test_browser_english import sideways
    ui_login(page, server, "joint_head")
    in_english(page)
    found = {}
    for width in (OFFICE["width"], 1024):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/dashboard", "/dashboard/assessment"):
            page.goto(f"{server}{path}")
            if wide := sideways(page):
                found[f"{path} {width}"] = wide
    assert not found, f"English dashboard tables scroll sideways: {found}"
