"""The alert rules table names a step rule's step as the newest version of its process names it, in the reader's
language, not by its BPMN element id; a step no longer in that version keeps its id and says so."""
from __future__ import annotations

import re

from conftest import login
from engine import alerts
from engine.routing import Actor

from language_support import EN, ZH


def _steps(page: str) -> dict[str, str]:
    """Rule id → what its Step cell reads."""
    rules = page.split('<table class="rules">', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<tr data-rule="(\d+)"><td>[^<]*</td><td>([^<]*)</td>', rules))


def test_a_step_rule_names_its_step_in_the_readers_language(app, world):
    with world.rt.db.write() as session:
        by = Actor.system("test")
        known = alerts.add_rule(session, by, alerts.RuleSpec("admission_review", "sla", 80, "review_psb")).id
        gone = alerts.add_rule(session, by, alerts.RuleSpec("admission_review", "sla", 90, "review_old")).id
        every = alerts.add_rule(session, by, alerts.RuleSpec("admission_review", "idle", 5)).id
    admin = login(app.test_client(), "admin")
    zh = _steps(admin.get("/dashboard/alerts", headers=ZH).data.decode())
    assert zh[str(known)] == "居住证核验（人工）"
    assert zh[str(gone)] == "review_old（已不在现行流程中）"
    assert zh[str(every)] == "所有环节"
    admin.post("/language", data={"language": "en"})
    en = _steps(admin.get("/dashboard/alerts", headers=EN).data.decode())
    assert en[str(known)] == "Residence permit check (manual)"
    assert en[str(gone)] == "review_old (no longer in the current process)"
