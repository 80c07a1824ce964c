"""A shared rule table's version reads as a Chinese document's does (第2版, never v2) in every co-sign message:
the notice of a refusal, the designer's flash, the engine's refusal of a second proposal and the mail; the table
is named by its name, in Chinese in 《》 (《积分入学积分规则》第2版), never by its DMN id."""
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


TABLE = "积分入学积分规则"
DETAILS = {"decision": "admission_points", "table": TABLE, "version": 2, "reason": "HRSS：补缴月数应另行认定"}


def test_a_refused_rule_notice_names_the_table_and_version_as_a_chinese_document_does(app):
    with app.test_request_context(headers=ZH):
        said = words("rule_refused", "RULE-2026-000001", DETAILS)
        pending = error_text(Conflict.coded("rule_pending", file="admission_points.dmn", rule_table=TABLE,
                                            version=2, key="RULE-2026-000001"))
    assert said.startswith("《积分入学积分规则》第2版未获会签（RULE-2026-000001）")
    assert pending.startswith("admission_points.dmn：《积分入学积分规则》第2版尚在会签中（RULE-2026-000001）")
    assert not V_DIGIT.search(said) and not V_DIGIT.search(pending)
    assert "admission_points" not in said
    with app.test_request_context(headers=EN):  # in English by its English name, the table's current one when the
        # notice kept none (tests/web/test_rule_table_english_names.py), else by the name it has, in quotes
        assert words("rule_refused", "RULE-2026-000001", DETAILS).startswith(
            "“School admission points rules (shared rule)” v2 was not co-signed (RULE-2026-000001)")
        assert "admission_points.dmn: “积分入学积分规则” v2 is still awaiting co-sign" in error_text(Conflict.coded(
            "rule_pending", file="admission_points.dmn", rule_table=TABLE, version=2, key="RULE-2026-000001"))


def test_a_notice_sent_before_tables_were_named_still_reads(app):
    with app.test_request_context(headers=ZH):  # by the table's current name
        said = words("rule_refused", "RULE-2026-000001", {k: v for k, v in DETAILS.items() if k != "table"})
    assert said.startswith("《积分入学积分规则（共享规则）》第2版未获会签") and "admission_points" not in said


def test_the_refusal_mail_names_the_table_and_version_as_a_chinese_document_does():
    zh, en = mail.text("rule_refused", "RULE-2026-000001", DETAILS)
    assert zh.startswith("《积分入学积分规则》第2版未获会签（RULE-2026-000001）") and not V_DIGIT.search(zh)
    assert en.startswith("the rule table “积分入学积分规则” v2 was not co-signed") and "《" not in en


def test_no_chinese_text_writes_a_version_as_v_and_a_number():
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    said = [m.string for m in catalogue if m.id and isinstance(m.string, str)]
    assert not [s for s in said if "v%(" in s or V_DIGIT.search(s)]
