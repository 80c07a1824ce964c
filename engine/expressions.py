"""Restricted evaluation of BPMN/DMN expressions and scripts.

SpiffWorkflow evaluates with plain eval/exec. Here every condition, script, timer text and DMN cell is
compiled by RestrictedPython (no names or attributes starting with "_", no exec/eval), and then run with
a curated set of builtins, attribute access limited to plain data types, and no import machinery.
"""
from __future__ import annotations

import ast
import copy
import operator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import EngineError


class ExpressionRefused(EngineError):
    """An expression or script uses something the sandbox does not allow."""


_DATA_TYPES = frozenset({str, int, float, bool, list, dict, tuple, set, frozenset,
                         date, datetime, time, timedelta, Decimal, type(None)})
_REFUSED_STR_ATTRS = frozenset({"format", "format_map"})
_MISSING = object()


def _guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    if name.startswith("_") or type(obj) not in _DATA_TYPES or (isinstance(obj, str) and name in _REFUSED_STR_ATTRS):
        raise ExpressionRefused(f"access to attribute {name!r} of a {type(obj).__name__} is not allowed")
    if default is _MISSING:
        return getattr(obj, name)
    return getattr(obj, name, default)


def _guarded_getitem(obj: Any, key: Any) -> Any:
    if type(obj) not in _DATA_TYPES:
        raise ExpressionRefused(f"indexing a {type(obj).__name__} is not allowed")
    return obj[key]


_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "|=": operator.ior, "&=": operator.iand}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op not in _INPLACE:
        raise ExpressionRefused(f"operator {op} is not allowed")
    return _INPLACE[op](x, y)


BUILTINS: dict[str, Any] = {
    name: obj for name, obj in {
        "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "divmod": divmod,
        "enumerate": enumerate, "filter": filter, "float": float, "int": int, "isinstance": isinstance,
        "len": len, "list": list, "map": map, "max": max, "min": min, "range": range, "reversed": reversed,
        "round": round, "set": set, "sorted": sorted, "str": str, "sum": sum, "tuple": tuple, "zip": zip,
        "None": None, "True": True, "False": False,
        "ValueError": ValueError, "KeyError": KeyError, "TypeError": TypeError,
    }.items()
}

GUARDS: dict[str, Any] = {
    "__builtins__": BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": _guarded_getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
}


_MAX_POWER = 64


def _ast_problems(tree: ast.AST) -> list[str]:
    """Constructs that RestrictedPython compiles but that we refuse outright, with a plain reason."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.While):
            problems.append(f"line {node.lineno}: while loops are not allowed (loop over data with for instead)")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not (
                isinstance(node.right, ast.Constant) and isinstance(node.right.value, int) and node.right.value <= _MAX_POWER):
            problems.append(f"line {node.lineno}: ** needs a whole-number exponent of at most {_MAX_POWER}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            problems.append(f"line {node.lineno}: imports are not allowed")
        elif isinstance(node, (ast.ClassDef, ast.Global, ast.Nonlocal)):
            problems.append(f"line {node.lineno}: {type(node).__name__.lower()} statements are not allowed")
        elif isinstance(node, ast.Name) and node.id in {"getattr", "setattr", "open", "eval", "exec", "compile", "globals", "vars"}:
            problems.append(f"line {node.lineno}: {node.id}() is not available")
    return problems


def _unwrap(source: str) -> str:
    """Camunda writes expressions as ${...}; the same text without the wrapper is ours."""
    text = source.strip()
    if (text.startswith("${") or text.startswith("#{")) and text.endswith("}"):
        return text[2:-1].strip()
    return source


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> Any:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ExpressionRefused(f"syntax error on line {exc.lineno}: {exc.msg}") from None
    problems = _ast_problems(tree)
    result = compile_restricted_eval(source) if mode == "eval" else compile_restricted_exec(source)
    problems += [str(e) for e in result.errors]
    if problems or result.code is None:
        raise ExpressionRefused("; ".join(problems) or "not allowed")
    return result.code


def compile_expression(source: str) -> Any:
    """Compile one expression under the sandbox rules, raising ExpressionRefused with the reason."""
    return _compile(_unwrap(source).strip(), "eval")


def compile_script(source: str) -> Any:
    """Compile a script (statements) under the sandbox rules."""
    return _compile(source, "exec")


def check(source: str, mode: str = "eval") -> str | None:
    """The reason `source` is refused, or None when it compiles under the sandbox rules."""
    try:
        compile_expression(source) if mode == "eval" else compile_script(source)
    except ExpressionRefused as exc:
        return exc.message
    return None


_SCALARS = (str, int, float, bool, type(None), date, datetime, time, timedelta, Decimal)


def data_problem(value: Any, depth: int = 0) -> str | None:
    """Why a value cannot be stored as case data (None when it can): plain JSON-like data only, and no
    dict with a 'typename' key, which the state serializer would turn back into an object."""
    if depth > 50:
        return "data nested too deeply"
    if isinstance(value, _SCALARS):
        return None
    if isinstance(value, (list, tuple)):
        return next((p for p in (data_problem(v, depth + 1) for v in value) if p), None)
    if isinstance(value, dict):
        if "typename" in value:
            return "a dict with the reserved key 'typename'"
        for key, item in value.items():
            if not isinstance(key, str):
                return f"a dict with a non-text key {key!r}"
            problem = data_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"a {type(value).__name__}"


ServiceHandler = Callable[[Any], dict | None]


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs everything through the sandbox."""

    def __init__(self, functions: dict[str, Callable], service_caller: Callable | None = None) -> None:
        super().__init__({**GUARDS, **functions})
        self.function_names = frozenset(functions)
        self.service_caller = service_caller

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        scope = copy.deepcopy(context)  # a condition must not change the case data it looks at
        if external_context:
            scope.update(external_context)
        scope.update(self.globals)
        return eval(compile_expression(expression), scope)  # noqa: S307 - restricted code object

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        scope = dict(context)
        if external_context:
            scope.update(external_context)
        scope.update(self.globals)
        exec(compile_script(script), scope)  # noqa: S102 - restricted code object
        for key, value in scope.items():
            if key in self.globals or (external_context and key in external_context) or callable(value):
                continue
            problem = data_problem(value)
            if problem:
                raise ExpressionRefused(f"the script left {key!r} as {problem}; only plain data can be kept")
            context[key] = value
        for key in [k for k in context if k not in scope]:
            del context[key]
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        if self.service_caller is None:
            raise EngineError("no service handlers are configured")
        return self.service_caller(context, **kwargs)
