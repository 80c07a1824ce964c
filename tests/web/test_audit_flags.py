"""A risk screening's flags in the audit log read as the subsidy process names them (data:fraud_flags), not as the
codes the screening records (风险标记：cancelled_filing, in both languages before)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from engine import audit
from engine.models import Case

from conftest import login
from language_support import EN, ZH, visible_text


def _shown(app, headers) -> str:
    client = login(app.test_client(), "auditor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = headers["Accept-Language"]
    return " ".join(visible_text(client.get("/audit").get_data(as_text=True)))


def test_the_flags_of_a_risk_screening_read_in_words(app, demo):
    with demo.rt.db.write() as session:
        case = session.execute(select(Case).where(Case.process_key == "subsidy_approval").limit(1)).scalar_one()
        audit.append(session, [audit.Event("fraud_screened", "system:engine",
                                           {"flags": ["cancelled_filing", "registry_unavailable"]}, None, case.id,
                                           case.business_key)], datetime.now(timezone.utc))
    chinese = _shown(app, ZH)
    assert "租赁备案已注销、部门登记库未应答" in chinese and "cancelled_filing" not in chinese
    english = _shown(app, EN)
    assert "Rental filing cancelled" in english and "A registry did not answer" in english
    assert "cancelled_filing" not in english
