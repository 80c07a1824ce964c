"""The alert rules table names a step rule's step as the newest version of its process names it, in the reader's
language, not by its BPMN element id; a step no longer in that version keeps its id and says so."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from conftest import login
from engine import alerts
from engine.models import AlertRule
from engine.routing import Actor

from language_support import EN, ZH


def _steps(page: str) -> dict[str, str]:
    """Rule id → what its Step cell reads."""
    rules = page.split('<table class="rules">', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<tr data-rule="(\d+)"><td>[^<]*</td><td>([^<]*)</td>', rules))


def test_a_step_rule_names_its_step_in_the_readers_language(app, world):
    with world.rt.db.write() as session:
        by = Actor.system("test")
        known = alerts.add_rule(session, world.rt, by, alerts.RuleSpec("admission_review", "sla", 80, "review_psb")).id
        every = alerts.add_rule(session, world.rt, by, alerts.RuleSpec("admission_review", "idle", 5)).id
        # a rule made for a step an earlier version had (a new rule for it is refused)
        old = AlertRule(process_key="admission_review", element_id="review_old", kind="sla", threshold=90, active=True,
                        created_by=by.username, created_at=datetime.now(timezone.utc))
        session.add(old)
        session.flush()
        gone = old.id
    admin = login(app.test_client(), "admin")
    zh = _steps(admin.get("/dashboard/alerts", headers=ZH).data.decode())
    assert zh[str(known)] == "居住证核验（人工）"
    assert zh[str(gone)] == "review_old（已不在现行流程中）"
    assert zh[str(every)] == "所有环节"
    admin.post("/language", data={"language": "en"})
    en = _steps(admin.get("/dashboard/alerts", headers=EN).data.decode())
    assert en[str(known)] == "Residence permit check (manual)"
    assert en[str(gone)] == "review_old (no longer in the current process)"


def _offered(page: str) -> dict[str, list[tuple[str, str]]]:
    """The add-rule form's steps: process name → (element id, step name) in that process's group."""
    form = page.split('id="add-rule"', 1)[1].split("</form>", 1)[0]
    groups = re.findall(r'<optgroup label="([^"]*)"[^>]*>(.*?)</optgroup>', form, re.S)
    return {label: re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', body) for label, body in groups}


def test_a_step_rule_offers_the_steps_of_each_process_by_name(app, world):
    admin = login(app.test_client(), "admin")
    zh = _offered(admin.get("/dashboard/alerts", headers=ZH).data.decode())
    assert ("review_psb", "居住证核验（人工）") in zh["积分入学联审"]
    assert "review_psb" not in dict(zh["补贴审批"]) and zh["补贴审批"]
    admin.post("/language", data={"language": "en"})
    en = _offered(admin.get("/dashboard/alerts", headers=EN).data.decode())
    assert any(("review_psb", "Residence permit check (manual)") in offered for offered in en.values())


def test_a_step_not_in_the_process_is_refused_by_name_and_the_form_keeps_what_was_chosen(app, world):
    admin = login(app.test_client(), "admin")
    admin.get("/dashboard/alerts", headers=ZH)
    typed = {"process_key": "subsidy_approval", "kind": "sla", "threshold": "75", "element_id": "review_psb"}
    page = admin.post("/dashboard/alerts/rules", data=typed, headers=ZH)
    text = page.data.decode()
    assert page.status_code == 400
    assert "规则未保存" in text and "“review_psb”不是“补贴审批”现行版本中的环节" in text
    form = text.split('id="add-rule"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'<option value="subsidy_approval" selected>', form)
    assert re.search(r'<option value="sla" selected>', form) and 'value="75"' in form
    assert re.search(r'<optgroup label="积分入学联审"[^>]*>.*?<option value="review_psb" selected>', form, re.S)
    with world.rt.db.read() as session:
        assert not any(r.kind == "sla" for r in alerts.rules(session))  # nothing saved


def test_a_refused_step_names_its_process_in_the_readers_language(app, world):
    admin = login(app.test_client(), "admin")
    typed = {"process_key": "subsidy_approval", "kind": "sla", "threshold": "75", "element_id": "review_psb"}
    zh = admin.post("/dashboard/alerts/rules", data=typed, headers=ZH).data.decode()
    assert "“review_psb”不是“补贴审批”现行版本中的环节" in zh and "subsidy_approval”" not in zh
    admin.post("/language", data={"language": "en"})
    page = admin.post("/dashboard/alerts/rules", data=typed, headers=EN)
    en = page.data.decode()
    assert page.status_code == 400
    assert "“review_psb” is not a step of the newest version of Subsidy approval" in en and "补贴审批" not in en


def test_a_rule_for_a_process_never_deployed_is_refused_by_name(app, world):
    """A crafted form (the page offers deployed processes only) saved a rule for any process key: one that watches
    nothing and never fires, listed by its raw key."""
    with world.rt.db.read() as session:
        before = [r.id for r in alerts.rules(session)]  # the age rules the processes' targets make
    admin = login(app.test_client(), "admin")
    admin.get("/dashboard/alerts", headers=ZH)
    page = admin.post("/dashboard/alerts/rules", headers=ZH,
                      data={"process_key": "no_such_process", "kind": "idle", "threshold": "5", "element_id": ""})
    assert page.status_code == 400
    assert "规则未保存：流程“no_such_process”尚未部署" in page.data.decode()
    nul = admin.post("/dashboard/alerts/rules", headers=ZH,  # PostgreSQL refuses NUL in text: it was a 500 page
                     data={"process_key": "admission_review\x00", "kind": "idle", "threshold": "5"})
    assert nul.status_code == 400 and "“process_key”含有空字符" in nul.data.decode()  # refused before the page (web/nul.py)
    with world.rt.db.read() as session:
        assert [r.id for r in alerts.rules(session)] == before


def test_a_rule_number_past_any_row_id_is_refused_plainly(app, world):
    """remove=<a number past 64 bits> made SQLite raise (Python int too large to convert): a 500 error page."""
    admin = login(app.test_client(), "admin")
    for number in ("9" * 30, "-1", "0"):
        assert admin.post("/dashboard/alerts/rules", data={"remove": number}).status_code in (400, 404), number


@pytest.mark.parametrize("threshold", ["0.5", "7.5", "0", "366", "-3", "nan", "inf"])
def test_a_threshold_not_a_whole_number_of_days_is_refused_and_the_form_keeps_it(app, world, threshold):
    """The form says 1 to 365 working days; 0.5 (and 7.5) were saved, a rule firing after half a day."""
    with world.rt.db.read() as session:
        before = [r.id for r in alerts.rules(session)]
    admin = login(app.test_client(), "admin")
    typed = {"process_key": "admission_review", "kind": "idle", "threshold": threshold, "element_id": ""}
    page = admin.post("/dashboard/alerts/rules", data=typed, headers=ZH)
    text = page.data.decode()
    assert page.status_code == 400
    assert re.search(r"规则未保存：[^<]*阈值[^<]*须为1至365个工作日", text)  # the field named
    form = text.split('id="add-rule"', 1)[1].split("</form>", 1)[0]
    assert f'value="{threshold}"' in form and re.search(r'<option value="idle" selected>', form)
    admin.post("/language", data={"language": "en"})
    en = admin.post("/dashboard/alerts/rules", data=typed, headers=EN).data.decode()
    assert re.search(r"[Tt]hreshold[^<]*must be 1 to 365 working days", en)
    with world.rt.db.read() as session:
        assert [r.id for r in alerts.rules(session)] == before  # nothing saved
