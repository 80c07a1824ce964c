"""The alert form's threshold is typed on the keyboard its rule needs: a day rule (idle, age) takes a whole number
of working days (numeric keypad, no decimal point), the percent rule a share that may have a fraction (decimal)."""
from __future__ import annotations

import re

from conftest import login


def _inputmode(page: str) -> str:
    return re.search(r'<input name="threshold"[^>]*inputmode="(\w+)"', page).group(1)


def test_a_day_rule_asks_for_a_whole_number_and_the_percent_rule_for_a_decimal(app, world):
    admin = login(app.test_client(), "admin")
    assert _inputmode(admin.get("/dashboard/alerts").data.decode()) == "numeric"  # idle is the kind first offered
    refused = admin.post("/dashboard/alerts/rules", data={"process_key": "admission_review", "kind": "sla", "threshold": "x"})
    assert refused.status_code == 400 and _inputmode(refused.data.decode()) == "decimal"
    refused = admin.post("/dashboard/alerts/rules", data={"process_key": "admission_review", "kind": "age", "threshold": "x"})
    assert refused.status_code == 400 and _inputmode(refused.data.decode()) == "numeric"
