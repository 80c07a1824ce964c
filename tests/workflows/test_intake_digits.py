"""Window and portal input: full-width and other non-ASCII digits in ID numbers, phones and accounts are
stored as 0-9, so they match the registries, the portal and the fraud checks."""
import pytest

from engine.errors import InvalidInput
from workflows.intake import INTAKES, start_data

SUBSIDY = {"subsidy_type": "employment", "household_type": "normal", "income_per_capita": "1800"}
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_full_width_digits_are_normalised():
    data = start_data(INTAKES["subsidy_approval"], {
        "applicant_name": "张伟", "applicant_id": "11010519491231002X".translate(FULL_WIDTH),
        "phone": "13912345678".translate(FULL_WIDTH), "bank_account": "6222021202009998877".translate(FULL_WIDTH),
        "address": "杭州市西湖区文三路１００号", "district": "西湖区", **SUBSIDY}, [], "STREET")
    assert data["applicant_id"] == "11010519491231002X"
    assert data["phone"] == "13912345678" and data["bank_account"] == "6222021202009998877"
    assert data["address"] == "杭州市西湖区文三路１００号"  # free text keeps what was written


def test_arabic_indic_digits_are_normalised_too():
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    data = start_data(INTAKES["subsidy_approval"], {
        "applicant_name": "张伟", "applicant_id": "11010519491231002X", "phone": "13912345678".translate(arabic),
        "bank_account": "6222021202009998877", "address": "杭州市西湖区文三路100号", **SUBSIDY}, [], "STREET")
    assert data["phone"] == "13912345678"


def test_an_id_number_in_full_width_digits_is_not_blamed_for_another_fields_error():
    with pytest.raises(InvalidInput) as info:
        start_data(INTAKES["subsidy_approval"], {
            "applicant_name": "张伟", "applicant_id": "11010519491231002X".translate(FULL_WIDTH), "phone": "13912345678",
            "bank_account": "6222021202009998877", "address": "杭州市西湖区文三路100号"}, [], "STREET")
    assert set(info.value.fields) == {"subsidy_type", "household_type", "income_per_capita"}


def test_the_subsidy_asked_for_decides_what_the_application_must_give():
    base = {"applicant_name": "张伟", "applicant_id": "11010519491231002X", "phone": "13912345678",
            "bank_account": "6222021202009998877", "address": "杭州市西湖区文三路100号", **SUBSIDY}
    for kind, needed in (("housing", "monthly_rent"), ("education", "child_id")):
        with pytest.raises(InvalidInput) as info:
            start_data(INTAKES["subsidy_approval"], {**base, "subsidy_type": kind}, [], "STREET")
        assert set(info.value.fields) == {needed}
    assert start_data(INTAKES["subsidy_approval"], base, [], "STREET")["subsidy_type"] == "employment"


def test_a_bad_child_id_number_is_named_not_a_crash():
    base = {"applicant_name": "张伟", "applicant_id": "11010519491231002X", "phone": "13912345678",
            "child_name": "张小明", "address": "杭州市西湖区文三路100号", "district": "西湖区"}
    for child in ("801001173098567010", "11010520191331002X"):  # impossible birth dates
        with pytest.raises(InvalidInput) as info:
            start_data(INTAKES["admission_review"], {**base, "child_id": child}, [], "EDU")
        assert set(info.value.fields) == {"child_id"} and info.value.fields["child_id"].startswith("ID number")
