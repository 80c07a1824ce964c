"""Form coercion and validation: types, required, enum options, min/max/length/pattern."""
import time

import pytest
from lxml import etree

from engine.errors import InvalidInput
from engine.forms import FormField, form_problems, validate

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"

FORM = [
    FormField("name", "姓名", "string", constraints={"required": None, "minlength": "2", "maxlength": "10"}),
    FormField("id_no", "身份证号", "string", constraints={"pattern": r"\d{17}[\dX]"}),
    FormField("months", "社保月数", "long", constraints={"min": "0", "max": "600"}),
    FormField("score", "分数", "double", constraints={"max": "100"}),
    FormField("agree", "同意", "boolean"),
    FormField("since", "起始日期", "date", constraints={"min": "2000-01-01"}),
    FormField("housing", "住房", "enum", options=[("own", "自有"), ("rent", "租赁")]),
    FormField("ref", "编号", "string", constraints={"readonly": None}),
]


def test_values_are_coerced_to_their_types():
    clean = validate(FORM, {"name": "张三", "id_no": "11010519491231002X", "months": "36", "score": "88.5",
                            "agree": "on", "since": "2020-03-01", "housing": "rent"})
    assert clean == {"name": "张三", "id_no": "11010519491231002X", "months": 36, "score": 88.5, "agree": True,
                     "since": "2020-03-01", "housing": "rent"}


def test_one_message_per_bad_field():
    with pytest.raises(InvalidInput) as info:
        validate(FORM, {"name": "张", "id_no": "abc", "months": "3.5", "score": "200", "agree": "maybe",
                        "since": "1999-12-31", "housing": "castle", "extra": 1})
    assert info.value.fields == {
        "name": "must be at least 2 characters",
        "id_no": "does not have the expected format",
        "months": "must be a whole number",
        "score": "must be at most 100",
        "agree": "must be yes or no",
        "since": "must be at least 2000-01-01",
        "housing": "must be one of: own, rent",
        "extra": "is not a field of this form",
    }
    assert info.value.codes["housing"] == ("not_option", {"options": "own, rent", "named": "自有、租赁"})


def test_required_and_blank_values():
    with pytest.raises(InvalidInput) as info:
        validate(FORM, {"name": "   "})
    assert info.value.fields == {"name": "is required"}
    clean = validate(FORM, {"name": "李四"})
    assert clean["agree"] is False and clean["months"] is None


def test_readonly_fields_are_not_taken_from_the_submission():
    assert "ref" not in validate(FORM, {"name": "王五", "ref": "changed"})


def test_json_typed_values_are_accepted():
    clean = validate(FORM, {"name": "赵六", "months": 12, "agree": True, "score": 7})
    assert clean["months"] == 12 and clean["agree"] is True and clean["score"] == 7.0
    with pytest.raises(InvalidInput):
        validate(FORM, {"name": "赵六", "months": True})


def test_a_catastrophic_pattern_is_matched_in_linear_time():
    form = [FormField("code", "编号", "string", constraints={"pattern": "(a+)+$", "maxlength": "100000"})]
    began = time.monotonic()
    with pytest.raises(InvalidInput) as info:
        validate(form, {"code": "a" * 50_000 + "!"})
    assert info.value.fields == {"code": "does not have the expected format"}
    assert time.monotonic() - began < 1.0


def form_problems_for_pattern(pattern: str) -> list[str]:
    task = etree.fromstring(
        f'<userTask xmlns:c="{CAMUNDA}"><c:formData><c:formField id="code" type="string"><c:validation>'
        f'<c:constraint name="pattern" config="{pattern}"/></c:validation></c:formField></c:formData></userTask>')
    return [message for _, message in form_problems(task, CAMUNDA, set())]


def test_patterns_that_need_backtracking_are_refused_at_deploy():
    problems = form_problems_for_pattern(r"(a)\1")
    assert problems and "RE2" in problems[0]
    assert form_problems_for_pattern(r"[A-Z0-9]{10,32}") == []


DECISION = [
    FormField("ok", "核验结论", "boolean", constraints={"required": None},
              properties={"true_label": "通过", "false_label": "不通过"}),
    FormField("ask", "需向其他部门函询", "boolean"),
    FormField("verdict", "复核结论", "boolean", properties={"required_if": "not ask"}),
    FormField("finding", "核验意见", "string", properties={"required_if": "ok == False"}),
]


def test_a_required_yes_no_field_is_a_decision_with_no_default():
    """An unanswered decision is refused by name (not taken as no); an optional flag left out is no."""
    for blank in ({}, {"ok": ""}, {"ok": None}, {"ok": "  "}):
        with pytest.raises(InvalidInput) as info:
            validate(DECISION, {**blank, "verdict": "true"})
        assert info.value.fields == {"ok": "is a decision: choose one answer"}
        assert info.value.codes["ok"] == ("not_chosen", {})
    clean = validate(DECISION, {"ok": "true", "verdict": "false"})
    assert clean == {"ok": True, "ask": False, "verdict": False, "finding": None}
    assert [f.decision for f in DECISION] == [True, False, True, False]
    assert DECISION[0].choices == [("true", "通过"), ("false", "不通过")] and DECISION[2].choices == [("true", None),
                                                                                                    ("false", None)]


def test_a_conditional_decision_and_the_reason_a_refusal_needs():
    with pytest.raises(InvalidInput) as info:
        validate(DECISION, {"ok": "false"})
    assert info.value.fields == {"verdict": "is a decision: choose one answer", "finding": "is required"}
    clean = validate(DECISION, {"ok": "false", "ask": "on", "finding": "地址不符"})  # asked first: no verdict yet
    assert clean["verdict"] is None and clean["ask"] is True


def test_answer_names_belong_to_yes_no_fields_and_a_decision_has_no_default():
    task = etree.fromstring(
        f'<userTask xmlns:c="{CAMUNDA}"><c:formData>'
        f'<c:formField id="note" type="string"><c:properties><c:property id="true_label" value="是"/></c:properties>'
        f'</c:formField><c:formField id="ok" type="boolean" defaultValue="true"><c:properties>'
        f'<c:property id="false_label" value=" "/></c:properties><c:validation><c:constraint name="required"/>'
        f'</c:validation></c:formField></c:formData></userTask>')
    problems = [message for _, message in form_problems(task, CAMUNDA, set())]
    assert problems == ["form field 'note': true_label names an answer of a boolean field; this is a string field",
                        "form field 'ok': false_label is empty; give the answer's name (e.g. 通过)",
                        "form field 'ok': a required yes/no field is a decision and takes no default; remove "
                        "defaultValue or the required constraint"]


def test_a_step_property_put_on_a_form_field_is_refused_not_ignored():
    """send_back_to and the like are read from the user task's own properties; on a field nothing would read them."""
    task = etree.fromstring(
        f'<userTask xmlns:c="{CAMUNDA}"><c:formData><c:formField id="reasons" type="string"><c:properties>'
        f'<c:property name="send_back_to" value="review_psb"/><c:property id="confirm" value="reasons"/>'
        f'<c:property id="required_if" value="True"/></c:properties></c:formField></c:formData></userTask>')
    problems = [message for _, message in form_problems(task, CAMUNDA, set())]
    assert problems == [f"form field 'reasons': {name} is a property of the step, not of a form field: move it to the "
                        "user task's own properties (here it is ignored)" for name in ("send_back_to", "confirm")]


@pytest.mark.parametrize("hidden", ["张\x00三", "张三\x1b[31m", "张\x07三", "张\u202e三", "张\u2066三", "李\u200b娜",
                                    "李娜\u200e", "\ufeff李娜", "李\u2060娜"])
def test_control_characters_and_hidden_direction_marks_are_refused(hidden):
    with pytest.raises(InvalidInput) as info:
        validate(FORM, {"name": hidden})
    assert info.value.fields == {"name": "contains control characters, invisible characters or hidden text-direction marks"}
    note = [FormField("note", "说明", "string")]
    assert validate(note, {"note": "第一行\n第二行\t（附件）\r\n"})["note"].startswith("第一行\n第二行\t"), "line breaks and tabs are text"
    assert validate(note, {"note": "家人 👨\u200d👩\u200d👧"})["note"].endswith("👧"), "emoji keep their joiners"


def test_a_text_field_without_a_maxlength_takes_no_more_than_an_unfinished_answer_does():
    """A string field the BPMN gave no maxlength (督办意见, say) took whatever fitted in a request (found by a hostile
    review: 400,000 characters went into the case's data and the permanent audit log); it takes at most as much as
    暂存 keeps of one field (engine.holding.MAX_VALUE), a designer's own maxlength still holding below that."""
    from engine.holding import MAX_VALUE
    note = [FormField("note", "督办意见", "string")]
    assert validate(note, {"note": "督" * MAX_VALUE})["note"] == "督" * MAX_VALUE
    with pytest.raises(InvalidInput) as info:
        validate(note, {"note": "督" * (MAX_VALUE + 1)})
    assert info.value.fields == {"note": f"must be at most {MAX_VALUE} characters"}
    with pytest.raises(InvalidInput):
        validate(FORM, {"name": "张" * 11})
