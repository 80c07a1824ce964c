"""UNIQUE decision tables must not have overlapping rules (as standard DMN tools check): cells read as sets of
values, every overlapping pair named at deploy, FIRST tables and disjoint UNIQUE tables accepted."""
from __future__ import annotations

import pytest

from engine import repository
from engine.dmn_overlap import intersects, overlaps, parse
from engine.errors import DeployError
from factories import SYSTEM, bpmn, fresh, start, within


def cell(text: str):
    return parse(text, "months")


@pytest.mark.parametrize("a, b, expected", [
    (">= 60", "< 60", False), (">= 60", "<= 60", True), ("> 60", "<= 60", False), ("-", "True", True),
    ("True", "False", False), ("True", "1", False), ('"own"', '"rent"', False),
    ('? in ("low_income", "special")', '"special"', True), ('? in ("low_income", "special")', '"normal"', False),
    ("? >= 60 and ? < 90", ">= 90", False), ("? >= 60 and ? < 90", "== 75", True), ("!= 1", "== 1", False),
    ("!= 1", ">= 1", True), ("== 1", ">= 2", False), ("> 0", "< 1", True), ("months >= 12", "< 12", False),
    ("12 <= months", "< 12", False), ("-1", "< 0", True),
])
def test_cells_as_sets_of_values(a, b, expected):
    assert intersects(cell(a), cell(b)) is expected
    assert intersects(cell(b), cell(a)) is expected


def test_cells_written_otherwise_are_not_judged():
    assert cell("len(?) > 2") is None and cell("? % 2 == 0") is None and cell("x > y") is None
    assert overlaps([[cell("len(?) > 2")], [cell("-")]]) == []  # no false alarm on what is not analysed


DMN = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="n">
<decision id="grade" name="分档"><decisionTable id="dt" hitPolicy="{policy}">
<input id="i1" label="社保月数"><inputExpression id="ie1"><text>months</text></inputExpression></input>
<input id="i2" label="持有居住证"><inputExpression id="ie2"><text>permit</text></inputExpression></input>
<output id="o" name="level"/>
{rules}
</decisionTable></decision></definitions>"""


def rules(*rows: tuple[str, str, str]) -> str:
    return "\n".join(f'<rule id="r{n}"><inputEntry id="a{n}"><text>{a}</text></inputEntry><inputEntry id="b{n}">'
                     f'<text>{b}</text></inputEntry><outputEntry id="o{n}"><text>"{out}"</text></outputEntry></rule>'
                     for n, (a, b, out) in enumerate(rows, 1))


BODY = ('<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="r"/>'
        '<bpmn:businessRuleTask id="r" name="分档" camunda:decisionRef="grade"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="r" targetRef="t"/><bpmn:userTask id="t" name="办"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>')


def deploy(rt, policy: str, table: str):
    files = {"p.bpmn": bpmn("p", BODY, {"EDU": ["s", "r", "t", "e"]}),
             "grade.dmn": DMN.format(policy=policy, rules=table).encode()}
    with rt.db.write() as session:
        return repository.deploy(session, rt, SYSTEM, files)


OVERLAPPING = rules(("&gt;= 36", "True", "A"), ("&gt;= 12", "True", "B"), ("&lt; 12", "-", "C"), ("-", "False", "C"))


def test_an_overlapping_unique_table_is_refused_at_deploy_with_the_rules_named(rt):
    with pytest.raises(DeployError) as info:
        deploy(rt, "UNIQUE", OVERLAPPING)
    text = str(info.value)
    assert "rule 1 (r1) and rule 2 (r2) overlap" in text  # 36 months or more with a permit match both
    assert "rule 3 (r3) and rule 4 (r4) overlap" in text  # under 12 months without a permit
    assert "rule 1 (r1) and rule 3 (r3)" not in text and "rule 2 (r2) and rule 4 (r4)" not in text
    assert "grade.dmn" in text and "use FIRST" in text


def test_the_same_rules_under_first_and_a_disjoint_unique_table_are_accepted(rt):
    deploy(rt, "FIRST", OVERLAPPING)
    assert start(rt, "p", {"months": 40, "permit": True}).status == "running"
    deploy(rt, "UNIQUE", rules(("&gt;= 36", "True", "A"), ("? &gt;= 12 and ? &lt; 36", "True", "B"),
                               ("&lt; 12", "True", "C"), ("-", "False", "C")))


def _refused_naming(rt, table: str, *words) -> None:
    """In a child process: a UNIQUE table refused at deploy with a handful of problems, one saying every one of `words`."""
    with pytest.raises(DeployError) as info:
        deploy(fresh(rt), "UNIQUE", table)
    problems = info.value.problems
    assert len(problems) <= 25 and any(all(w in p.message for w in words) for p in problems), problems[:3]


def test_a_unique_table_with_many_overlapping_rules_names_the_first_pairs_only(rt):
    """2,000 rules of `-` made two million problems: 75 s and 2.8 GB for one upload of 260 KB (found by a hostile-input
    review); the first 20 pairs are named and the rest summed up."""
    table = rules(*[("-", "-", "A")] * 30)
    assert within(20, _refused_naming, rt, table, "more rules overlap than the first 20 pairs"), "no answer after 20 s"
    with pytest.raises(DeployError) as info:
        deploy(rt, "UNIQUE", table)
    assert len(info.value.problems) == 21 and "rule 1 (r1) and rule 2 (r2) overlap" in str(info.value)


def test_a_unique_table_too_large_to_check_pair_by_pair_is_refused_as_such(rt):
    table = rules(*[(f"== {n}", "-", "A") for n in range(1001)])
    assert within(20, _refused_naming, rt, table, "UNIQUE with 1001 rules", "at most 1000", "use FIRST"), \
        "no answer after 20 s"
    deploy(rt, "FIRST", table)  # a table that big may still decide in order


def test_lists_of_values_are_compared_as_sets():
    """`? in (…)` cells of 3,000 values each: every comparison built the other cell's set again (9 million steps a pair)."""
    many = "? in (" + ", ".join(str(n) for n in range(3000)) + ")"
    rows = [[cell(many)] for _ in range(40)] + [[cell("== -1")]]
    assert len(overlaps(rows, 1000)) == 40 * 39 // 2


def test_a_collect_that_aggregates_is_refused_at_deploy_not_answered_with_a_list(rt):
    """Camunda Modeler's Collect (Sum): the engine would hand back every output as a list, not the sum."""
    with pytest.raises(DeployError) as info:
        deploy(rt, 'COLLECT" aggregation="SUM', OVERLAPPING)
    assert "COLLECT with aggregation SUM is not supported" in str(info.value) and "grade.dmn" in str(info.value)
    deploy(rt, "COLLECT", OVERLAPPING)  # without aggregation: a list of every matching output, as documented
