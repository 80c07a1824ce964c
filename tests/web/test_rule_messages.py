"""A field's own rule (`valid_if`) is worded by the designer: `valid_message` for Chinese readers and, when given,
`valid_message:en` for English ones (an English reader saw the Chinese words)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InvalidInput
from engine.forms import FormField, validate
from web.i18n import field_errors

from language_support import EN, ZH

PAID = FormField("paid_amount", "实发金额", "long", properties={
    "valid_if": "paid_amount == amount", "valid_message": "须与核定的补贴金额{amount}元一致",
    "valid_message:en": "Must equal the approved subsidy of {amount} yuan"})


def _refused(field: FormField) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        validate([field], {"paid_amount": "900"}, {"amount": 1200})
    return info.value


@pytest.mark.parametrize("headers, said", [(ZH, "须与核定的补贴金额1200元一致"),
                                           (EN, "Must equal the approved subsidy of 1200 yuan")], ids=["zh", "en"])
def test_a_rule_is_said_in_the_readers_language_with_its_placeholders_filled(app, headers, said):
    with app.test_request_context(headers=headers):
        assert field_errors(_refused(PAID)) == {"paid_amount": said}


def test_without_english_words_an_english_reader_gets_the_designers_own(app):
    field = FormField(PAID.id, PAID.label, PAID.type,
                      properties={k: v for k, v in PAID.properties.items() if k != "valid_message:en"})
    with app.test_request_context(headers=EN):
        assert field_errors(_refused(field)) == {"paid_amount": "须与核定的补贴金额1200元一致"}


def test_every_rule_of_the_shipped_processes_has_english_words():
    for path in (Path(__file__).resolve().parents[2] / "bpmn").glob("*.bpmn"):
        text = path.read_text(encoding="utf-8")
        assert text.count('id="valid_message"') == text.count('id="valid_message:en"'), path.name
