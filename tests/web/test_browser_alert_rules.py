"""The alert rules form in a real browser: choosing a process offers only its steps, and a step rule saved from it
names its step in the rules table."""
from conftest import ui_login


def _offered(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('#add-rule select[name=element_id] option')]"
                         ".filter(o => o.value && !o.disabled && !o.parentElement.disabled && !o.parentElement.hidden)"
                         ".map(o => o.value)")


def test_choosing_a_process_offers_only_its_steps(world, server, page):
    ui_login(page, server, "admin")
    page.goto(f"{server}/dashboard/alerts")
    page.wait_for_load_state("load")
    page.select_option("#add-rule select[name=process_key]", "admission_review")
    assert "review_psb" in _offered(page) and "street_check" not in _offered(page)
    page.select_option("#add-rule select[name=element_id]", "review_psb")
    page.select_option("#add-rule select[name=process_key]", "subsidy_approval")
    assert "street_check" in _offered(page) and "review_psb" not in _offered(page)
    assert page.input_value("#add-rule select[name=element_id]") == ""  # a step of the other process is not kept
    assert page.get_attribute("#add-rule input[name=threshold]", "inputmode") == "numeric"  # idle: whole days
    page.select_option("#add-rule select[name=kind]", "sla")
    assert page.get_attribute("#add-rule input[name=threshold]", "inputmode") == "decimal"  # a percent
    page.fill("#add-rule input[name=threshold]", "80")
    page.select_option("#add-rule select[name=element_id]", "street_check")
    page.click("#add-rule button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert "窗口初审" in page.inner_text("table.rules")
