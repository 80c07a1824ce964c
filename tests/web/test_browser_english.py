"""The English side in a real browser: English names of processes, steps and departments are longer than the
Chinese ones, and the pages must hold them (leaves screenshots in test-artifacts/)."""
from conftest import ARTIFACTS, ui_login
from test_browser import PHONE, assert_readable_on_a_phone

OFFICE = {"width": 1400, "height": 900}  # an office screen


def in_english(page) -> None:
    """Switch the UI to English with the header's switch, as a person does."""
    page.click("header button:has-text('English')")
    page.wait_for_selector("html[lang=en]")


def sideways(page) -> list[str]:
    """What scrolls sideways: the page itself, or a table's box (hiding the columns at its right, 签收 among them)."""
    return page.evaluate("""() => {
        const d = document.documentElement, out = [];
        if (d.scrollWidth > d.clientWidth) out.push(`the page: ${d.scrollWidth} > ${d.clientWidth}`);
        for (const box of document.querySelectorAll('.table-scroll'))
            if (box.scrollWidth > box.clientWidth) out.push(`a table: ${box.scrollWidth} > ${box.clientWidth}`);
        return out; }""")


def test_the_english_inbox_fits_an_office_screen_and_stays_usable_on_a_phone(demo, server, page):
    ui_login(page, server, "edu_supervisor")
    in_english(page)
    page.set_viewport_size(OFFICE)
    for view in ("department", "mine"):
        page.goto(f"{server}/inbox?view={view}")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"inbox-en-{view}-1400.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
            f"the English inbox ({view}) scrolls sideways at 1400 px"
        assert not sideways(page), f"the English inbox ({view}) at 1400 px: {sideways(page)}"
    page.goto(f"{server}/team")  # the team's open tasks: the same steps, their names wrap there too
    assert not sideways(page), f"the English team page at 1400 px: {sideways(page)}"
    page.goto(f"{server}/dashboard/assessment")  # a long description beside the head's buttons
    tops = {round(box["y"]) for box in (b.bounding_box() for b in page.locator(".page-head .button, .page-head button").all())}
    assert len(tops) == 1, "Excel, CSV, Print and Dashboard stand on one line"
    page.goto(f"{server}/inbox?view=department")
    page.click("tr[data-task] a.step:has-text('Decision by the Education Bureau')")  # the case data beside the form
    page.wait_for_selector("dl.data dt")
    page.wait_for_load_state("load")  # the stylesheet applied: measured in lines of its line height
    lines = page.evaluate("""() => Math.max(...[...document.querySelectorAll('dl.data dt')]
        .map(dt => { const r = document.createRange(); r.selectNodeContents(dt);
                     return r.getBoundingClientRect().height / parseFloat(getComputedStyle(dt).lineHeight); }))""")
    assert lines < 4.5, f"a case data label takes {lines:.0f} lines (it took 8 in a column of 8em)"
    page.goto(f"{server}/inbox?view=department")
    row = page.locator("tr[data-task]").first
    button = row.locator("button:has-text('Claim')").bounding_box()
    assert button["x"] + button["width"] <= OFFICE["width"], "Claim is in sight"
    assert_readable_on_a_phone(page, "table.inbox", "inbox-en")
    button = row.locator("button:has-text('Claim')").bounding_box()
    assert button["x"] + button["width"] <= PHONE["width"], "Claim is in sight on a phone without scrolling the table"


def test_the_english_audit_log_fits_an_office_screen(demo, server, page):
    """Department and event names wrap in English, so that the details column is in sight, not scrolled out, on an
    office screen and on a small laptop (1024 px)."""
    ui_login(page, server, "auditor")
    in_english(page)
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (OFFICE["width"], 1024):  # an office screen and a small laptop
        page.set_viewport_size({"width": width, "height": OFFICE["height"]})
        for path in ("/audit?actor=hrss_reviewer", "/audit"):  # a long department name on every line; alerts' details
            page.goto(f"{server}{path}")
            page.screenshot(path=str(ARTIFACTS / f"audit-log-en-{width}.png"))
            assert not sideways(page), f"the English audit log {path} at {width} px: {sideways(page)}"


def test_english_pages_do_not_scroll_sideways_on_a_phone(demo, server, page):
    """Tables outside a scrolling box (users, versions, copies, deputies, cases found) and long selects keep to a
    390 px screen: the page itself never scrolls sideways."""
    ui_login(page, server, "admin")
    in_english(page)
    page.set_viewport_size(PHONE)
    wide = {}
    for path in ("/admin", "/designer", "/audit/cases", "/dashboard", "/cc"):
        page.goto(f"{server}{path}")
        if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"):
            wide[path] = page.evaluate("document.documentElement.scrollWidth")
    assert not wide, f"pages that scroll sideways at 390 px: {wide}"
