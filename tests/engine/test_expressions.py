"""Expression safety: hostile expressions are refused at compile time or fail safely at run time."""
import pytest

from engine.calendar import WorkCalendar
from engine.expressions import ExpressionRefused, RestrictedEnvironment, check, compile_expression
from engine.functions import build_functions, describe
from engine.specs import due_expression, literal_kind

ENV = RestrictedEnvironment(build_functions(WorkCalendar()))

REFUSED_AT_COMPILE = [
    "().__class__.__base__.__subclasses__()",
    "__import__('os').system('id')",
    "x.__dict__",
    "(x for x in [1]).gi_frame.f_globals",
    "exec('1')",
    "eval('1+1')",
    "open('/etc/passwd').read()",
    "getattr(x, '__class__')",
    "compile('1', 'f', 'eval')",
    "globals()",
]


@pytest.mark.parametrize("source", REFUSED_AT_COMPILE)
def test_hostile_expressions_are_refused_at_compile_time(source):
    assert check(source) is not None
    with pytest.raises(ExpressionRefused):
        compile_expression(source)


@pytest.mark.parametrize("script", ["import os", "from os import path", "class A: pass", "def f():\n    global y\n    y = 1\n"])
def test_hostile_scripts_are_refused(script):
    assert check(script, "exec") is not None


@pytest.mark.parametrize("source, message", [
    ("'{0.__class__}'.format(x)", "format"),
    ("workdays.func_globals", "attribute"),
    ("len.x", "attribute"),
    ("today.__name__ if False else today.gi_code", "attribute"),
])
def test_attribute_access_outside_plain_data_fails_at_run_time(source, message):
    if check(source) is not None:
        return  # refused even earlier: also fine
    with pytest.raises(ExpressionRefused, match=message):
        ENV.evaluate(source, {"x": 1})


def test_builtins_are_curated():
    for name in ("type", "object", "dir", "input", "help", "memoryview"):
        with pytest.raises(NameError):
            ENV.evaluate(f"{name}", {})
    for name in ("open", "__import__", "vars", "globals", "breakpoint"):
        with pytest.raises(ExpressionRefused):
            ENV.evaluate(f"{name}", {})


def test_plain_data_expressions_work():
    data = {"months": 36, "name": "张三", "tags": ["a", "b"], "info": {"k": 1}}
    assert ENV.evaluate("months >= 24 and len(tags) == 2", data) is True
    assert ENV.evaluate("name.startswith('张')", data) is True
    assert ENV.evaluate("info.get('k') + info['k']", data) == 2
    assert ENV.evaluate("sorted([t.upper() for t in tags])", data) == ["A", "B"]


def test_scripts_update_data_and_leave_no_functions_behind():
    data = {"months": 10}
    ENV.execute("points = months * 2\nflags = []\nflags.append('x')\nmonths += 1", data)
    assert data == {"months": 11, "points": 20, "flags": ["x"]}


def test_safe_functions_are_documented_and_callable():
    docs = dict(describe(build_functions(WorkCalendar())))
    assert any(sig.startswith("workdays(") for sig in docs)
    assert all(text for text in docs.values())
    assert ENV.evaluate("years_between('2020-03-01', '2026-02-28')", {}) == 5
    assert ENV.evaluate("months_between('2026-01-15', '2026-03-15')", {}) == 2
    assert ENV.evaluate("digits('138-0013-8000')", {}) == "13800138000"
    assert ENV.evaluate("workdays(1, '2026-11-27T15:00:00+08:00')", {}) == "2026-11-30T15:00:00+08:00"
    assert ENV.evaluate("coalesce('', None, '户籍')", {}) == "户籍"


@pytest.mark.parametrize("text, kind", [
    ("PT5M", "duration"), ("P3D", "duration"), ("2026-12-01T09:00:00+08:00", "datetime"),
    ("2026-12-01", "datetime"), ("R3/PT1H", "cycle"), ("workdays(3)", None), ("P", None),
])
def test_modeler_timer_literals_are_recognised(text, kind):
    assert literal_kind(text) == kind


def test_naive_literal_dates_get_the_calendar_zone():
    cal = WorkCalendar()
    assert due_expression("2026-12-01T09:00", cal.tz) == "'2026-12-01T09:00:00+08:00'"
    assert due_expression("${workdays(3)}", cal.tz) == "timer_due(workdays(3))"
