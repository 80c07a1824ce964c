"""A refusal that says how a case stands puts the status word into the sentence: in Chinese the word is one that
reads on its own (已办结, 停滞, 出错), so the sentence adds no 已 of its own (not 案件ADM-…已已办结)."""
from __future__ import annotations

import pytest

from engine.errors import Message
from web.i18n import say

from language_support import EN, ZH

CODES = ("take_back_case_over", "withdraw_case_over", "send_back_case_over", "case_no_messages")


@pytest.mark.parametrize("code", CODES)
def test_a_case_over_reads_once_in_chinese_and_in_english(app, code):
    refused = Message(code, key="ADM-2026-000001", status="completed")
    with app.test_request_context(headers=ZH):
        said = say(refused)
        assert said.startswith("案件ADM-2026-000001已办结，") and "已已" not in said, said
        assert say(Message(code, key="ADM-2026-000001", status="stuck")).startswith("案件ADM-2026-000001停滞，")
    with app.test_request_context(headers=EN):
        assert say(refused).startswith("case ADM-2026-000001 is completed; "), say(refused)
