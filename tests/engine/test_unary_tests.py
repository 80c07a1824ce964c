"""Decision table cells as the DMN editor's helpers write them (FEEL unary tests): `"own","rent"`, `not(…)`, `[1..5]`,
`>= 3`, `true`, `date("2026-01-01")` … are matched as FEEL says, by the engine's own parser (no eval of the text); a
FEEL value that cannot be used is refused at deploy naming the table, the rule and the column."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from engine import decisions, repository
from engine.dmn_overlap import intersects, parse as cell
from engine.errors import DeployError
from engine.expressions import ExpressionRefused
from engine.unary_tests import parse
from factories import SYSTEM, bpmn, start


@pytest.mark.parametrize("text, yes, no", [
    ('"own","rent"', ["own", "rent"], ["other", None, 3, ""]),
    ('"own", "rent"', ["rent"], ["own, rent"]),
    ('not("own","rent")', ["other", None], ["own", "rent", 3]),  # another type: FEEL's null, no match
    ('"a,b","c"', ["a,b", "c"], ["a"]),
    ('"say \\"hi\\""', ['say "hi"'], ["say"]),
    ("[1..5]", [1, 5, 3.5], [0, 5.5, "3", True, None]),
    ("]1..5[", [2, 4.9], [1, 5]),
    ("[1..5[", [1], [5]),
    (">= 3", [3, 4, 3.5], [2, "4", None, True]),
    ("< 3", [2, -1], [3]),
    ("= 3", [3, 3.0], [4]),
    ("!= 3", [4], [3, "x"]),
    ("3", [3], [True, "3"]),
    ("1", [1], [True]),  # a boolean is not the number 1
    ("-1.5", [-1.5], [1.5]),
    ("true", [True], [False, 1, "true"]),
    ("false", [False], [True, 0]),
    ("null", [None], [0, ""]),
    ('date("2026-01-01")', [date(2026, 1, 1), "2026-01-01"], ["2026-01-02", "01/01/2026", datetime(2026, 1, 1)]),
    ('< date("2026-01-01")', ["2025-12-31"], ["2026-01-01", "bad", 3]),
    ('> date("2026-01-01")', [date(2026, 1, 2)], ["2026-01-01"]),
    ('[date("2026-01-01")..date("2026-01-31")]', ["2026-01-15", "2026-01-31"], ["2026-02-01"]),
    ('date and time("2026-01-01T08:00:00")', ["2026-01-01T08:00:00", datetime(2026, 1, 1, 8)], ["2026-01-01"]),
    ('> date and time("2026-01-01T08:00:00")', ["2026-01-01T08:00:01"], ["2026-01-01T08:00:00+08:00"]),
    ('[time("08:00:00")..time("12:00:00")]', ["09:30", time(12)], ["12:00:01"]),
    ('>= duration("P2DT3H")', [timedelta(days=3), "P3D"], ["PT1H", timedelta(days=2)]),
])
def test_the_editors_forms_match_as_feel_says(text, yes, no):
    tests = parse(text)
    assert tests is not None, text
    assert [v for v in yes if not tests.matches(v)] == [] and [v for v in no if tests.matches(v)] == []


@pytest.mark.parametrize("text", ["-", "", '? in ("own", "rent")', "True", "len(?) > 2", "? >= 60 and ? < 90",
                                  "'own'", "x > 3", "in (1, 2)", "< true", '["a"..3]', "__import__('os')",
                                  "date(2026, 1, 1)"])
def test_other_cells_are_left_to_the_python_reading(text):
    assert parse(text) is None


@pytest.mark.parametrize("text, words", [
    ('date("2026-02-30")', "'2026-02-30' is not a valid value of date(…)"), ('duration("P1Y")', "counts years or months"),
    ('time("25:00")', "is not a valid value of time(…)")])
def test_a_feel_value_that_cannot_be_used_is_refused(text, words):
    with pytest.raises(ExpressionRefused) as info:
        parse(text)
    assert words in str(info.value)


def test_hostile_values_are_refused_or_not_matched_never_a_crash():
    assert parse("9" * 5000) is None  # past Python's digit limit: the Python reading refuses it
    with pytest.raises(ExpressionRefused):
        parse('duration("P99999999999999D")')
    tests = parse('>= duration("P1D")')
    assert not tests.matches("P99999999999999D") and not tests.matches("P" + "9" * 5000 + "D")
    assert not parse('date("2026-01-01")').matches("2026-01-01" + " " * 10_000)
    assert parse(" " * 15_000 + '"a"') is not None


def test_a_huge_cell_is_refused_and_a_long_list_is_read_in_one_pass():
    with pytest.raises(ExpressionRefused):
        parse('"a",' * 6000 + '"b"')
    assert parse(",".join(f'"v{n}"' for n in range(2000))).matches("v1999")


@pytest.mark.parametrize("a, b, expected", [
    ('"own","rent"', '"rent","other"', True), ('"own","rent"', '"other"', False), ('not("own","rent")', '"own"', False),
    ('not("own","rent")', '"other"', True), ('"own","rent"', '? in ("rent",)', True), ("[1..5]", ">= 5", True),
    ("[1..5[", ">= 5", False), ("]1..5]", "< 1", False), ("not(< 3)", "2", False), ("not(< 3)", ">= 3", True),
    ("true", "True", True), ("true", "false", False), ('date("2026-01-01")', 'date("2026-01-02")', False),
])
def test_overlaps_read_feel_lists_and_ranges_as_sets(a, b, expected):
    assert intersects(cell(a, "x"), cell(b, "x")) is expected
    assert intersects(cell(b, "x"), cell(a, "x")) is expected


def test_unions_and_ranges_of_dates_are_not_judged():
    assert cell("< 3, > 5", "x") is None and cell('[date("2026-01-01")..date("2026-02-01")]', "x") is None
    assert cell('date("2026-02-30")', "x") is None  # refused at deploy instead


DMN = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="n">
<decision id="grade" name="补贴档次"><decisionTable id="dt" hitPolicy="{policy}">
<input id="i1" label="住房类型"><inputExpression id="ie1" typeRef="string"><text>housing</text></inputExpression></input>
<input id="i2" label="申请日期"><inputExpression id="ie2" typeRef="date"><text>applied</text></inputExpression></input>
<output id="o" name="level" typeRef="string"/>
{rules}
</decisionTable></decision></definitions>"""

BODY = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="r"/>'
        '<bpmn:businessRuleTask id="r" name="分档" camunda:decisionRef="grade"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="r" targetRef="t"/><bpmn:userTask id="t" name="办"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def rules(*rows: tuple[str, str, str]) -> str:
    return "\n".join(f'<rule id="r{n}"><inputEntry id="a{n}"><text>{a}</text></inputEntry><inputEntry id="b{n}">'
                     f'<text>{b}</text></inputEntry><outputEntry id="o{n}"><text>"{out}"</text></outputEntry></rule>'
                     for n, (a, b, out) in enumerate(rows, 1))


def deploy(rt, table: str, policy: str = "UNIQUE"):
    files = {"p.bpmn": bpmn("p", BODY, {"EDU": ["s", "r", "t", "e"]}),
             "grade.dmn": DMN.format(policy=policy, rules=table).encode()}
    with rt.db.write() as session:
        return repository.deploy(session, rt, SYSTEM, files)


def decided(rt, data: dict) -> list:
    case = start(rt, "p", data)
    with rt.db.read() as session:
        records = decisions.of_case(session, case.case_id)
    return [o["value"] for o in records[-1].details["outputs"]] + [r["row"] for r in records[-1].details["rules"]]


TABLE = rules(("&quot;own&quot;,&quot;rent&quot;", "&lt; date(&quot;2026-01-01&quot;)", "A"),
              ("&quot;own&quot;,&quot;rent&quot;", "&gt;= date(&quot;2026-01-01&quot;)", "B"),
              ("not(&quot;own&quot;,&quot;rent&quot;)", "-", "C"))


def test_a_table_the_editor_wrote_deploys_and_decides_by_its_lists_and_dates(rt):
    """Before, `"own","rent"` was refused at deploy (a Python tuple never equals a text) and `not("own","rent")`
    read as `housing == False`."""
    deploy(rt, TABLE)
    assert decided(rt, {"housing": "rent", "applied": "2025-06-30"}) == ["A", 1]
    assert decided(rt, {"housing": "own", "applied": "2026-01-01"}) == ["B", 2]
    assert decided(rt, {"housing": "dorm", "applied": "2026-03-01"}) == ["C", 3]


def test_overlapping_feel_lists_are_refused_in_a_unique_table(rt):
    with pytest.raises(DeployError) as info:
        deploy(rt, rules(("&quot;own&quot;,&quot;rent&quot;", "-", "A"), ("&quot;rent&quot;,&quot;dorm&quot;", "-", "B"),
                         ("not(&quot;own&quot;,&quot;rent&quot;,&quot;dorm&quot;)", "-", "C")))
    assert "rule 1 (r1) and rule 2 (r2) overlap" in str(info.value) and "rule 3" not in str(info.value)


def test_an_unusable_feel_value_is_refused_at_deploy_naming_table_rule_and_column(rt):
    with pytest.raises(DeployError) as info:
        deploy(rt, rules(("&quot;own&quot;", "-", "A"), ("&quot;rent&quot;", "date(&quot;2026-02-30&quot;)", "B")))
    [problem] = info.value.problems
    assert problem.file == "grade.dmn" and problem.element == "b2"
    assert "table '补贴档次', rule 2 (r2), column '申请日期'" in problem.message
    assert "'2026-02-30' is not a valid value of date(…)" in problem.message


def deploy_outputs(rt, *rows: tuple[str, str, str]):
    """A FIRST table whose outputs are a yes/no and a date, written as the editor's output helpers write them."""
    table = "\n".join(f'<rule id="r{n}"><inputEntry id="a{n}"><text>{a}</text></inputEntry><inputEntry id="b{n}">'
                      f'<text>-</text></inputEntry><outputEntry id="o{n}"><text>{yes}</text></outputEntry>'
                      f'<outputEntry id="p{n}"><text>{day}</text></outputEntry></rule>' for n, (a, yes, day) in enumerate(rows, 1))
    dmn = DMN.replace('<output id="o" name="level" typeRef="string"/>', '<output id="o" name="eligible" typeRef="boolean"/>'
                      '<output id="o2" label="起算日" name="since" typeRef="date"/>')
    files = {"p.bpmn": bpmn("p", BODY, {"EDU": ["s", "r", "t", "e"]}),
             "grade.dmn": dmn.format(policy="FIRST", rules=table).encode()}
    with rt.db.write() as session:
        return repository.deploy(session, rt, SYSTEM, files)


def test_output_cells_the_editor_wrote_give_plain_values(rt):
    """`true` was a name no case has (the case stopped) and `date("…")` a function the engine does not offer."""
    deploy_outputs(rt, ("&quot;own&quot;", "true", "date(&quot;2026-01-01&quot;)"),
                   ("&quot;rent&quot;", "false", "date and time(&quot;2026-01-01T08:00:00&quot;)"), ("-", "false", "null"))
    assert decided(rt, {"housing": "own", "applied": "2026-01-01"}) == [True, "2026-01-01", 1]  # FIRST: row 1 decides
    assert decided(rt, {"housing": "rent", "applied": "2026-01-01"}) == [False, "2026-01-01T08:00:00", 2]
    assert decided(rt, {"housing": "dorm", "applied": "2026-01-01"}) == [False, None, 3]


def test_an_output_cell_that_is_no_value_is_refused_naming_the_column(rt):
    with pytest.raises(DeployError) as info:
        deploy_outputs(rt, ("-", "true", "date(&quot;2026-13-01&quot;)"))
    [problem] = info.value.problems
    assert problem.element == "p1" and "rule 1 (r1), column '起算日'" in problem.message
    assert "'2026-13-01' is not a valid value of date(…)" in problem.message


def test_a_first_table_records_only_the_rule_that_decided(rt):
    """The record listed every row that matched, as if the catch-all row below had decided too."""
    deploy(rt, rules(("&quot;own&quot;", "-", "A"), ("-", "-", "Z")), policy="FIRST")
    assert decided(rt, {"housing": "own", "applied": "2026-01-01"}) == ["A", 1]
    assert decided(rt, {"housing": "rent", "applied": "2026-01-01"}) == ["Z", 2]


def test_a_first_table_does_not_read_the_rules_below_the_one_that_decided(rt):
    """A row below could not compare the value the first row had already decided on, and stopped the case."""
    deploy(rt, rules(("&quot;own&quot;", "-", "A"), ("? &gt; 5", "-", "B")), policy="FIRST")
    case = start(rt, "p", {"housing": "own", "applied": "2026-01-01"})
    assert case.status == "running", case.error
    assert decided(rt, {"housing": "own", "applied": "2026-01-01"}) == ["A", 1]


def test_a_unique_table_whose_rules_both_match_stops_the_case_naming_them(rt):
    """The deploy check cannot read `len(?) > 4`; SpiffWorkflow then quietly took the first rule that matched."""
    deploy(rt, rules(("len(?) &gt; 4", "-", "A"), ("&quot;rent&quot;", "-", "B"), ("&quot;house&quot;", "-", "C")))
    case = start(rt, "p", {"housing": "house", "applied": "2026-01-01"})
    assert case.status == "failed", case
    assert "'补贴档次' has hit policy UNIQUE, but rules 1, 3 all match" in case.error, case.error
    assert decided(rt, {"housing": "rent", "applied": "2026-01-01"}) == ["B", 2]
