"""A period typed as the pages write it (2026年第4季度, 2026年11月, 2026年) is the same period as its code."""
import pytest

from engine.errors import InvalidInput
from engine.periods import parse_period


@pytest.mark.parametrize("typed, code", [("2026年", "2026"), ("2026年第4季度", "2026Q4"), ("2026年第四季度", "2026Q4"),
                                         ("2026年4季度", "2026Q4"), ("2026年11月", "2026-11"), ("2026年1月", "2026-01"),
                                         (" 2026年01月 ", "2026-01")])
def test_a_period_in_chinese_words_is_read(typed, code):
    assert parse_period(typed) == parse_period(code)


@pytest.mark.parametrize("typed", ["2026年第5季度", "2026年13月", "2026年0月", "年11月", "2026年第季度"])
def test_a_period_in_words_that_is_no_period_is_refused(typed):
    with pytest.raises(InvalidInput):
        parse_period(typed)
