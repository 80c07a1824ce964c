"""Overlapping rules in a UNIQUE decision table, found as standard DMN tools find them.

A UNIQUE table promises that at most one rule matches any input. Two rules overlap when, column by column,
their cells have some value in common; then one input matches both and the table's answer depends on rule
order, which UNIQUE says it does not. Each cell is read as a set of values: `-` (anything), a literal
(`True`, `"own"`, `12`), a comparison with a number (`>= 60`, `< 3500`, `== 1`, `!= 0`), a list
(`? in ("low_income", "special")`) or comparisons joined by `and` (`? >= 60 and ? < 90`); or, as the editor's helpers
write them, FEEL unary tests (engine.unary_tests): a list `"own","rent"`, its negation `not("own","rent")`, a range
`[1..5]`, `]1..5[`, a comparison `>= 3`. A cell written any other way is not analysed, and a pair of rules with such a cell is never reported (no false alarms).
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from functools import cached_property

from . import unary_tests
from .budget import ExpressionRefused

MAX_RULES = 1000  # rules of a UNIQUE table checked pair by pair (a million pairs take about a second)
MAX_PAIRS = 20  # overlapping pairs named; more are summed up in one problem
_FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


@dataclass(frozen=True)
class Cell:
    """The values a cell accepts: an interval of numbers, a finite set of values, or all but some values."""

    low: float = -math.inf
    low_open: bool = True
    high: float = math.inf
    high_open: bool = True
    points: frozenset | None = None  # exactly these values (numbers, strings, booleans)
    excluded: frozenset = frozenset()  # with an interval: these values are not accepted

    @cached_property
    def keys(self) -> frozenset:
        """The points (or, with an interval, the excluded values) as compared: True is not 1 here."""
        return frozenset(_key(p) for p in (self.points if self.points is not None else self.excluded))

    def accepts(self, value) -> bool:
        if self.points is not None:
            return _key(value) in self.keys
        if _key(value) in self.keys:
            return False
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.low == -math.inf and self.high == math.inf
        above = value > self.low or (value == self.low and not self.low_open)
        below = value < self.high or (value == self.high and not self.high_open)
        return above and below


ANY = Cell()


def _key(value):
    return (type(value) is bool, value)


def intersects(a: Cell, b: Cell) -> bool:
    if a.points is not None and b.points is not None:
        return not a.keys.isdisjoint(b.keys)
    if a.points is not None:
        return any(b.accepts(p) for p in a.points)
    if b.points is not None:
        return any(a.accepts(p) for p in b.points)
    (low, low_open), (high, high_open) = _bounds(a, b)
    if low > high or (low == high and (low_open or high_open)):
        return False
    if low == high:  # one value left: is it excluded by either?
        return a.accepts(low) and b.accepts(low)
    return True


def _bounds(a: Cell, b: Cell) -> tuple[tuple[float, bool], tuple[float, bool]]:
    """The tighter lower and upper bound of two intervals (an open bound is tighter at the same value)."""
    if a.low != b.low:
        low = (a.low, a.low_open) if a.low > b.low else (b.low, b.low_open)
    else:
        low = (a.low, a.low_open or b.low_open)
    if a.high != b.high:
        high = (a.high, a.high_open) if a.high < b.high else (b.high, b.high_open)
    else:
        high = (a.high, a.high_open or b.high_open)
    return low, high


def parse(text: str, input_expr: str) -> Cell | None:
    """The cell as a set of values, or None when it is written in a way this module does not analyse."""
    text = (text or "").strip()
    if text in ("", "-"):
        return ANY
    try:
        tests = unary_tests.parse(text)
    except ExpressionRefused:
        return None  # the deploy check names it
    if tests is not None:
        return _feel(tests)
    source = text.replace("?", "__q__")
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        try:
            tree = ast.parse(f"__q__ {source}", mode="eval").body
        except SyntaxError:
            return None
    return _cell(tree, input_expr)


def _constant(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
        return -node.operand.value
    return None


def _is_subject(node, input_expr: str) -> bool:
    return (isinstance(node, ast.Name) and node.id == "__q__") or ast.unparse(node) == input_expr.strip()


def _cell(node, input_expr: str) -> Cell | None:
    value = _constant(node)
    if value is not None:
        return Cell(points=frozenset([value]))
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        parts = [_cell(v, input_expr) for v in node.values]
        if any(p is None for p in parts):
            return None
        out = parts[0]
        for part in parts[1:]:
            out = _meet(out, part)
            if out is None:
                return None
        return out
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return None
    left, op, right = node.left, type(node.ops[0]), node.comparators[0]
    if op in (ast.In, ast.NotIn) and _is_subject(left, input_expr) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
        values = [_constant(e) for e in right.elts]
        if any(v is None for v in values):
            return None
        return Cell(points=frozenset(values)) if op is ast.In else Cell(excluded=frozenset(values))
    if _is_subject(right, input_expr) and not _is_subject(left, input_expr):
        left, right, op = right, left, _FLIP.get(op)
    if op is None or not _is_subject(left, input_expr):
        return None
    value = _constant(right)
    if value is None:
        return None
    if op is ast.Eq:
        return Cell(points=frozenset([value]))
    if op is ast.NotEq:
        return Cell(excluded=frozenset([value]))
    if isinstance(value, (bool, str)):
        return None
    return {ast.Lt: Cell(high=value, high_open=True), ast.LtE: Cell(high=value, high_open=False),
            ast.Gt: Cell(low=value, low_open=True), ast.GtE: Cell(low=value, low_open=False)}[op]


def _feel(tests: unary_tests.UnaryTests) -> Cell | None:
    """FEEL unary tests as a set of values: a list of values (or `not(…)` of one), or a single comparison or range of
    numbers (or `not(…)` of a single comparison); other unions (`< 3, > 5`) and ranges of dates are not analysed."""
    if all(t.op == "=" for t in tests.tests):
        values = frozenset(t.value for t in tests.tests)
        return Cell(excluded=values) if tests.negated else Cell(points=values)
    if len(tests.tests) != 1:
        return None
    test = tests.tests[0]
    numbers = [v for v in (test.value, test.high) if v is not None]
    if test.op == "!=":
        return Cell(points=frozenset([test.value])) if tests.negated else Cell(excluded=frozenset([test.value]))
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        return None
    if test.op == "..":
        return None if tests.negated else Cell(test.value, test.low_open, test.high, test.high_open)
    op = _NEGATED[test.op] if tests.negated else test.op
    return {"<": Cell(high=test.value, high_open=True), "<=": Cell(high=test.value, high_open=False),
            ">": Cell(low=test.value, low_open=True), ">=": Cell(low=test.value, low_open=False)}[op]


_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _meet(a: Cell, b: Cell) -> Cell | None:
    """Both conditions at once (for `and`)."""
    if a.points is not None or b.points is not None:
        points = a.points if a.points is not None else b.points
        other = b if a.points is not None else a
        return Cell(points=frozenset(p for p in points if other.accepts(p)))
    (low, low_open), (high, high_open) = _bounds(a, b)
    return Cell(low, low_open, high, high_open, None, a.excluded | b.excluded)


def overlaps(rows: list[list[Cell | None]], limit: int | None = None) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of rows that some single input matches (rows with an unanalysed cell are skipped); the
    first `limit` of them when one is given (rows of `-` overlap pairwise: 2,000 of them made two million pairs)."""
    found = []
    analysed = [(i, row) for i, row in enumerate(rows) if all(c is not None for c in row)]
    for position, (i, first) in enumerate(analysed):
        for j, second in analysed[position + 1:]:
            if len(first) == len(second) and all(map(intersects, first, second)):
                found.append((i, j))
                if limit is not None and len(found) >= limit:
                    return found
    return found
