"""GB 11643 resident ID numbers: only ASCII digits (and X) make one. '²' passed str.isdigit() and made int() raise
(a registry row said 'invalid literal for int()' instead of why); one in Arabic-Indic digits was taken as valid and
stored so, where every lookup by the number typed in ASCII missed it."""
from __future__ import annotations

import pytest

from workflows import idcards

VALID = "11010519491231002X"


def test_the_valid_number_is_valid():
    assert idcards.problem_code(VALID) is None


@pytest.mark.parametrize("number", ["²" + VALID[1:], VALID[:16] + "³X", VALID[:17] + "²",
                                    "".join(chr(0x660 + int(d)) for d in VALID[:17]) + "X",
                                    "".join(chr(0xFF10 + int(d)) for d in VALID[:17]) + "X"])
def test_a_number_of_other_digits_is_refused_as_one_of_the_wrong_form(number):
    assert idcards.problem_code(number) == ("id_format", {})
