"""A shared rule table's version reads as a Chinese document's does (第2版, never v2) in every co-sign message:
the notice of a refusal, the designer's flash, the engine's refusal of a second proposal and the mail."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from engine import mail
from engine.errors import Conflict
from web.i18n import error_text
from web.notifications import words

from language_support import EN, ZH

CATALOGUE = Path(__file__).resolve().parents[2] / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
V_DIGIT = re.compile(r"(?<![/\w])v\d")  # v2, but not /api/v1/


def test_a_refused_rule_notice_names_the_version_as_a_chinese_document_does(app):
    details = {"decision": "admission_points", "version": 2, "reason": "HRSS：补缴月数应另行认定"}
    with app.test_request_context(headers=ZH):
        said = words("rule_refused", "RULE-2026-000001", details)
        pending = error_text(Conflict.coded("rule_pending", file="admission_points.dmn", decision="admission_points",
                                            version=2, key="RULE-2026-000001"))
    assert said.startswith("规则 admission_points 第2版未获会签（RULE-2026-000001）")
    assert "admission_points 第2版尚在会签中" in pending
    assert not V_DIGIT.search(said) and not V_DIGIT.search(pending)
    with app.test_request_context(headers=EN):
        assert "admission_points v2 was not co-signed" in words("rule_refused", "RULE-2026-000001", details)


def test_the_refusal_mail_names_the_version_as_a_chinese_document_does():
    zh, en = mail.text("rule_refused", "RULE-2026-000001", {"decision": "admission_points", "version": 2})
    assert "规则 admission_points 第2版未获会签（RULE-2026-000001）" in zh and not V_DIGIT.search(zh)
    assert "admission_points v2 was not co-signed" in en


def test_no_chinese_text_writes_a_version_as_v_and_a_number():
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    said = [m.string for m in catalogue if m.id and isinstance(m.string, str)]
    assert not [s for s in said if "v%(" in s or V_DIGIT.search(s)]
