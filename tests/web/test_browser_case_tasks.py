"""The case page's task table fits its column on an office screen: the deadline (a badge and a date) and the
closing time may break onto a second line, so the 经办人 column and its 催办 form are not cut off."""
from conftest import ui_login
from world import opened


def _overflow(page) -> int:
    return page.evaluate("() => { const box = document.querySelector('table.tasks').parentElement;"
                         " return box.scrollWidth - box.clientWidth; }")


def test_the_task_table_with_its_urge_form_is_not_cut_off(world, server, page):
    out = world.start("admission_review", world.person(psb={"expires": "2025-01-31"}).admission())
    out = world.complete("psb_reviewer", out, "review_psb", psb_ok=True, residence_years=8,
                         psb_finding="居住证已续签，核实无误")
    assert "decide" in opened(out)
    ui_login(page, server, "psb_supervisor")
    page.goto(f"{server}/cases/{out.business_key}")
    assert page.locator("table.tasks form.urge").count() == 1  # 公安局 took part: its chief may urge 教育局
    assert _overflow(page) <= 0
    closed = page.locator("table.tasks time.closed")
    assert closed.count() == 1 and closed.evaluate("e => e.getClientRects().length") == 1  # one line, not broken
