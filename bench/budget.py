"""What the expression budget costs: the same engine with and without it, measured in one run.

(1) Evaluations alone: a mix of gateway conditions, DMN cells, f-strings, a due date and a scoring script,
    evaluated by the sandbox with the budget (bounded operations, step charges, deadline) and by the
    sandbox as it was before (RestrictedPython only), in alternating rounds.
(2) Whole cases on SQLite: a process with a scoring script, due dates on every task, a DMN table and a
    gateway (bench/scored.bpmn), started and completed through the engine, budget on and off alternately.

    python bench/budget.py [--cases 150] [--rounds 4]
"""
from __future__ import annotations

import argparse
import builtins
import operator
import time
from contextlib import contextmanager, nullcontext
from types import SimpleNamespace

from common import HERE, median, prepared_runtime, sqlite_url
from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence

from engine import cases, expressions, steps
from engine.calendar import WorkCalendar
from engine.functions import build_functions

EXPRESSIONS = ["points >= 60 and months >= 12", "dmninputexpr in ('own', 'rent')", "(points + months) >= 90",
               "f'{applicant_name}（{points}分）'", "recommendation == 'admit' and months >= 12",
               "workdays(5, '2026-10-08T09:00:00+08:00')"]
SCRIPT = ("points = 0\nfor item in materials:\n    points += 10 if item in ('居住证', '社保缴费记录') else 5\n"
          "label = f'{applicant_name}（{points}分）'\ncomplete = len(materials) >= 3 and all(len(m) > 1 for m in materials)")
DATA = {"points": 72, "months": 36, "dmninputexpr": "rent", "applicant_name": "张三", "recommendation": "admit",
        "materials": ["居住证", "社保缴费记录", "户口簿", "房屋租赁合同"]}

_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "|=": operator.ior, "&=": operator.iand}


def _plain_guards() -> dict:
    """The sandbox's globals as they were before the budget: plain builtins, iteration and writes."""
    plain = {name: getattr(builtins, name, value) for name, value in expressions.BUILTINS.items()}
    return {"__builtins__": plain, "_getattr_": expressions._guarded_getattr, "_getitem_": expressions._guarded_getitem,
            "_getiter_": iter, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence, "_write_": full_write_guard,
            "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y)}


_CACHE: dict = {}


def _plain_compile(source: str, mode: str):
    key = (source, mode)
    if key not in _CACHE:
        text = expressions._unwrap(source).strip() if mode == "eval" else source
        result = (compile_restricted_eval if mode == "eval" else compile_restricted_exec)(text)
        _CACHE[key] = result.code
    return _CACHE[key]


def _old_execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
    """The script runner as it was before the budget (a shallow copy of the data, no budget)."""
    scope = dict(context)
    if external_context:
        scope.update(external_context)
    scope.update(self.globals)
    exec(expressions.compile_script(script), scope)  # noqa: S102 - restricted code object
    for key, value in scope.items():
        if key in self.globals or (external_context and key in external_context) or callable(value):
            continue
        context[key] = value
    for key in [k for k in context if k not in scope]:
        del context[key]
    return True


@contextmanager
def without_budget():
    """The engine with the budget layer taken out (RestrictedPython's own checks stay)."""
    saved = (expressions.compile_expression, expressions.compile_script, expressions.limited, expressions.bounded,
             expressions.GUARDS, expressions._charged, steps.budget, expressions.RestrictedEnvironment.execute)
    expressions.RestrictedEnvironment.execute = _old_execute
    expressions.compile_expression = lambda s: _plain_compile(s, "eval")
    expressions.compile_script = lambda s: _plain_compile(s, "exec")
    expressions.limited = lambda **kwargs: nullcontext()
    expressions.bounded = lambda value, what="": value
    expressions.GUARDS = _plain_guards()
    expressions._charged = lambda f: f
    steps.budget = SimpleNamespace(operation=nullcontext)
    try:
        yield
    finally:
        (expressions.compile_expression, expressions.compile_script, expressions.limited, expressions.bounded,
         expressions.GUARDS, expressions._charged, steps.budget, expressions.RestrictedEnvironment.execute) = saved


def evaluations(n: int) -> float:
    env = expressions.RestrictedEnvironment(build_functions(WorkCalendar()))
    began = time.perf_counter()
    for _ in range(n):
        for source in EXPRESSIONS:
            env.evaluate(source, DATA)
        env.execute(SCRIPT, dict(DATA))
    return n * (len(EXPRESSIONS) + 1) / (time.perf_counter() - began)


def whole_cases(rt, actor, n: int) -> float:
    began = time.perf_counter()
    for _ in range(n):
        with rt.db.write() as session:
            out = cases.start(session, rt, actor, "scored", {"applicant_name": "张三", "materials": DATA["materials"]})
        for values in ({"months": "36"}, {"valid": "true"}, {"result": "admit"}):
            with rt.db.write() as session:
                out = cases.complete(session, rt, actor, out.opened[0]["id"], values)
        assert out.status == "completed", out.error
    return n / (time.perf_counter() - began)


def compare(name: str, unit: str, measure, rounds: int) -> None:
    on, off = [], []
    measure()  # warm-up
    with without_budget():
        measure()
    for _ in range(rounds):
        on.append(measure())
        with without_budget():
            off.append(measure())
    ratio = median(on) / median(off)
    print(f"{name:<44} budget on {median(on):>9,.0f} {unit}   off {median(off):>9,.0f} {unit}   "
          f"on/off {ratio:.3f}  (cost {100 * (1 - ratio):+.1f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--evaluations", type=int, default=3000)
    args = parser.parse_args()
    print(f"expression budget: {args.rounds} alternating rounds per mode, medians")
    compare("(1) evaluations (6 expressions + 1 script)", "eval/s", lambda: evaluations(args.evaluations), args.rounds)
    rt, actor = prepared_runtime(sqlite_url(), HERE / "scored.bpmn", HERE / "bench_decision.dmn")
    compare(f"(2) whole cases on SQLite ({args.cases} per round)", "cases/s",
            lambda: whole_cases(rt, actor, args.cases), args.rounds)
    rt.db.dispose()


if __name__ == "__main__":
    main()
