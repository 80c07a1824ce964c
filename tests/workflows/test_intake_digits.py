"""Window and portal input: full-width and other non-ASCII digits in ID numbers, phones and accounts are
stored as 0-9, so they match the registries, the portal and the fraud checks."""
from workflows.intake import INTAKES, start_data

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_full_width_digits_are_normalised():
    data = start_data(INTAKES["subsidy_approval"], {
        "applicant_name": "张伟", "applicant_id": "11010519491231002X".translate(FULL_WIDTH),
        "phone": "13912345678".translate(FULL_WIDTH), "bank_account": "6222021202009998877".translate(FULL_WIDTH),
        "address": "杭州市西湖区文三路１００号", "district": "西湖区"}, [], "STREET")
    assert data["applicant_id"] == "11010519491231002X"
    assert data["phone"] == "13912345678" and data["bank_account"] == "6222021202009998877"
    assert data["address"] == "杭州市西湖区文三路１００号"  # free text keeps what was written


def test_arabic_indic_digits_are_normalised_too():
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    data = start_data(INTAKES["subsidy_approval"], {
        "applicant_name": "张伟", "applicant_id": "11010519491231002X", "phone": "13912345678".translate(arabic),
        "bank_account": "6222021202009998877", "address": "杭州市西湖区文三路100号"}, [], "STREET")
    assert data["phone"] == "13912345678"
