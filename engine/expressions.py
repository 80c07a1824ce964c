"""Restricted evaluation of BPMN/DMN expressions and scripts.

SpiffWorkflow evaluates with plain eval/exec. Here every condition, script, timer text and DMN cell is
compiled by RestrictedPython (no names or attributes starting with "_", no exec/eval), and then run with
a curated set of builtins, attribute access limited to plain data types, and no import machinery.
"""
from __future__ import annotations

import ast
import copy
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache, wraps
from typing import Any, Callable, Iterable

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import guards, methods
from .budget import MAX_ITEMS, BudgetExceeded, ExpressionRefused, bounded, charge, limited
from .errors import EngineError, Message
from .lint_messages import M

__all__ = ["BudgetExceeded", "ExpressionRefused", "RestrictedEnvironment", "check", "compile_expression",
           "compile_script", "data_problem"]

_DATA_TYPES = frozenset({str, int, float, bool, list, dict, tuple, set, frozenset,
                         date, datetime, time, timedelta, Decimal, type(None)})
_MISSING = object()


def _guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    if name.startswith("_") or type(obj) not in _DATA_TYPES or name in methods.REFUSED_ATTRS:
        raise ExpressionRefused(f"access to attribute {name!r} of a {type(obj).__name__} is not allowed")
    bounded_method = methods.method(obj, name)
    if bounded_method is not None:
        return bounded_method
    if default is _MISSING:
        return getattr(obj, name)
    return getattr(obj, name, default)


def _guarded_getitem(obj: Any, key: Any) -> Any:
    if type(obj) not in _DATA_TYPES:
        raise ExpressionRefused(f"indexing a {type(obj).__name__} is not allowed")
    if type(obj) is dict:
        guards.key(key)
    elif type(key) is slice:
        result = obj[key]
        charge(1 + (len(result) >> 4))
        return result
    return obj[key]


BUILTINS = guards.BUILTINS

GUARDS: dict[str, Any] = {
    "__builtins__": BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": _guarded_getitem,
    "_getiter_": guards.guarded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": methods.write_guard,
    "_inplacevar_": guards.inplace,
    "_binop_": guards.binop,
    "_format_": guards.format_field,
    "_compared_": guards.compared,
    "_key_": guards.key,
    "_step_": guards.step,
}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _literal(node: ast.AST | None) -> bool:
    """A value written out in the source: bounded by the source's own size."""
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(isinstance(e, ast.Constant) for e in node.elts)


def _wrap(name: str, node: ast.expr) -> ast.expr:
    return node if _literal(node) else ast.copy_location(_call(name, node), node)


_BOUNDED_OPS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%", ast.FloorDiv: "//",
                ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.Sub: "-"}


class _BoundedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks plus calls into engine.guards wherever a value could grow unbounded."""

    def visit_Module(self, node: ast.Module) -> ast.AST:
        return ast.fix_missing_locations(super().visit_Module(node))

    def visit_Expression(self, node: ast.Expression) -> ast.AST:
        return ast.fix_missing_locations(super().visit_Expression(node))

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _BOUNDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        return ast.copy_location(_call("_binop_", ast.Constant(symbol), node.left, node.right), node)

    def visit_Starred(self, node: ast.Starred) -> ast.AST:
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):  # [*x, *x]: unpacked item by item, each one charged
            node.value = ast.copy_location(_call("_getiter_", node.value), node.value)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant(None)
        value = _call("_format_", node.value, ast.Constant(node.conversion), spec)
        return ast.copy_location(ast.FormattedValue(value=value, conversion=-1, format_spec=None), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        node = self.node_contents_visit(node)
        node.left = _wrap("_compared_", node.left)
        node.comparators = [_wrap("_compared_", c) for c in node.comparators]
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        node = self.node_contents_visit(node)
        node.keys = [k if k is None else _wrap("_key_", k) for k in node.keys]
        return node

    def visit_Set(self, node: ast.Set) -> ast.AST:
        node = self.node_contents_visit(node)
        node.elts = [_wrap("_key_", e) for e in node.elts]
        return node

    def visit_SetComp(self, node: ast.SetComp) -> ast.AST:
        node = super().visit_SetComp(node)
        node.elt = _wrap("_key_", node.elt)
        return node

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        node = super().visit_DictComp(node)
        node.key = _wrap("_key_", node.key)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_step_")), node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        node.body = ast.copy_location(ast.BoolOp(op=ast.Or(), values=[_call("_step_"), node.body]), node.body)
        return node


_MAX_POWER = 64


def _ast_problems(tree: ast.AST) -> list[str]:
    """Constructs that RestrictedPython compiles but that we refuse outright, with a plain reason."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.While):
            problems.append(M("expr_while", line=node.lineno))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not (
                isinstance(node.right, ast.Constant) and isinstance(node.right.value, int) and node.right.value <= _MAX_POWER):
            problems.append(M("expr_power", line=node.lineno, limit=_MAX_POWER))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            problems.append(M("expr_import", line=node.lineno))
        elif isinstance(node, (ast.ClassDef, ast.Global, ast.Nonlocal)):
            problems.append(M("expr_statement", line=node.lineno, kind=type(node).__name__.lower()))
        elif isinstance(node, ast.Name) and node.id in {"getattr", "setattr", "open", "eval", "exec", "compile", "globals", "vars"}:
            problems.append(M("expr_unavailable", line=node.lineno, name=node.id))
        elif isinstance(node, ast.Attribute) and node.attr in methods.REFUSED_ATTRS:
            problems.append(M("expr_format_method" if node.attr.startswith("format") else "expr_method",
                              line=node.lineno, name=node.attr))
    return problems


_SANDBOX = [(re.compile(r'Line (\d+): "(.+?)" is an invalid (?:variable|attribute) name because it starts with "_"'),
             "expr_underscore"),
            (re.compile(r'Line (\d+): "(.+?)" is a (?:reserved|restricted) name'), "expr_reserved")]
_UNCLOSED = re.compile(r"'(.)' was never closed")
_UNMATCHED = re.compile(r"unmatched '(.)'")


def _sandbox_reason(error: str) -> Message:
    """RestrictedPython's refusal as a message (its own words kept for English readers)."""
    for pattern, code in _SANDBOX:
        found = pattern.match(error)
        if found:
            return M(code, line=int(found.group(1)), name=found.group(2))
    line = re.match(r"Line (\d+)", error)
    return M("expr_sandbox", line=int(line.group(1)) if line else 1, detail=error.split(": ", 1)[-1])


def _syntax_reason(exc: SyntaxError) -> Message:
    text, line = exc.msg or "", exc.lineno or 1
    if _UNCLOSED.search(text):
        return M("expr_unclosed", line=line, bracket=_UNCLOSED.search(text).group(1))
    if _UNMATCHED.search(text):
        return M("expr_unmatched", line=line, bracket=_UNMATCHED.search(text).group(1))
    if text.startswith("unterminated string") or text.startswith("unterminated triple-quoted"):
        return M("expr_unterminated", line=line)
    return M("expr_syntax", line=line, detail=text)


def _joined(reasons: list) -> Message:
    """Several reasons as one message, each kept whole."""
    return reasons[0] if len(reasons) == 1 else M("expr_reasons", first=reasons[0], rest=_joined(reasons[1:]))


def _unwrap(source: str) -> str:
    """Camunda writes expressions as ${...}; the same text without the wrapper is ours."""
    text = source.strip()
    if (text.startswith("${") or text.startswith("#{")) and text.endswith("}"):
        return text[2:-1].strip()
    return source


MAX_SOURCE = 20_000


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> Any:
    if len(source) > MAX_SOURCE:
        raise ExpressionRefused(M("expr_too_long", limit=f"{MAX_SOURCE:,}"))
    try:
        tree = ast.parse(source, mode=mode)
        problems = _ast_problems(tree)
        compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = compiler(source, policy=_BoundedTransformer)
    except SyntaxError as exc:
        raise ExpressionRefused(_syntax_reason(exc)) from None
    except (RecursionError, MemoryError):
        raise ExpressionRefused(M("expr_nested")) from None
    problems += [_sandbox_reason(str(e)) for e in result.errors]
    if problems or result.code is None:
        raise ExpressionRefused(_joined(problems) if problems else M("expr_not_allowed"))
    return result.code


def compile_expression(source: str) -> Any:
    """Compile one expression under the sandbox rules, raising ExpressionRefused with the reason."""
    return _compile(_unwrap(source).strip(), "eval")


def compile_script(source: str) -> Any:
    """Compile a script (statements) under the sandbox rules."""
    return _compile(source, "exec")


def check(source: str, mode: str = "eval") -> str | None:
    """The reason `source` is refused, or None when it compiles under the sandbox rules and none of its
    constant parts (`sum(range(10**12))`, `'a' * 10**9`) exceeds the evaluation budget."""
    text = _unwrap(source).strip() if mode == "eval" else source
    try:
        compile_expression(source) if mode == "eval" else compile_script(source)
    except ExpressionRefused as exc:
        return exc.message
    return _constant_problem(text, mode)


def unknown_calls(source: str, known: Iterable[str], mode: str = "eval") -> list[Message]:
    """Calls of names that are no function where the code runs (`format(…)`, `chr(…)`, `type(…)`): not a builtin of
    the sandbox, not one of the engine's functions (`known`), not defined by the script itself. Case data is plain
    data, never callable, so such a call can only fail when the case runs; the deploy check names it instead."""
    text = _unwrap(source).strip() if mode == "eval" else source
    try:
        tree = ast.parse(text, mode=mode)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return []  # `check` names what is wrong with it
    defined = set(BUILTINS) | set(known)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)  # a name the script binds (to a lambda, say) may be called
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    return [M("expr_unavailable", line=node.lineno, name=node.func.id) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in defined]


_FOLDABLE = (ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Tuple, ast.List, ast.Set, ast.Dict,
             ast.JoinedStr, ast.FormattedValue, ast.Call, ast.Attribute, ast.Subscript, ast.Slice, ast.keyword,
             ast.Load, ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.IfExp)


def _constant(node: ast.AST) -> bool:
    """Whether `node` depends on nothing but literals and the sandbox's builtins."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            if child.id not in BUILTINS:
                return False
        elif not isinstance(child, _FOLDABLE):
            return False
    return True


def _constant_problem(source: str, mode: str) -> str | None:
    """Evaluate each largest constant part under the budget: what exceeds it is refused at deploy time."""
    try:
        tree = ast.parse(source, mode=mode)
    except (SyntaxError, RecursionError, MemoryError):
        return None  # compiling it already said what is wrong
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Constant, ast.Name)) and _constant(node):
            segment = ast.get_source_segment(source, node)
            if not segment:
                continue
            try:
                with limited(what="this constant part"):
                    eval(compile_expression(segment), dict(GUARDS))  # noqa: S307 - restricted code object
            except BudgetExceeded as exc:
                return M("expr_beyond", line=node.lineno, segment=segment[:60], detail=exc.message)
            except Exception:  # noqa: BLE001 - other errors may depend on the path taken; they show at run time
                pass
            continue
        pending.extend(ast.iter_child_nodes(node))
    return None


_SCALARS = (str, int, float, bool, type(None), date, datetime, time, timedelta, Decimal)
_SCALAR_TYPES = frozenset(_SCALARS) - {str}
MAX_DATA_CHARS = 4_000_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def data_problem(value: Any) -> str | None:
    """Why a value cannot be stored as case data (None when it can): plain JSON-like data of at most
    MAX_ITEMS items (shared parts counted each time, as the stored form repeats them), and no dict with a
    'typename' key, which the state serializer would turn back into an object."""
    stack, seen, chars = [(value, 0)], 0, 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > MAX_ITEMS:
            return f"more than {MAX_ITEMS:,} items of data"
        if depth > 50:
            return "data nested too deeply"
        if isinstance(item, str):
            chars += len(item)
            if chars > MAX_DATA_CHARS:
                return f"more than {MAX_DATA_CHARS:,} characters of text"
            if _SURROGATE.search(item):
                return "text with a broken character (a lone surrogate)"
            continue
        if isinstance(item, _SCALARS):
            continue
        if isinstance(item, (list, tuple)):
            if seen + len(stack) + len(item) > MAX_ITEMS:
                return f"more than {MAX_ITEMS:,} items of data"
            kinds = set(map(type, item))  # a list of plain values is weighed without a stack of its items
            if kinds <= {str}:
                seen += len(item)
                if item and len(item[0]) * len(item) <= MAX_DATA_CHARS:
                    chars += sum(map(len, item))
                else:
                    for text in item:  # large texts: stop at the first past the limit
                        chars += len(text)
                        if chars > MAX_DATA_CHARS:
                            break
                if chars > MAX_DATA_CHARS:
                    return f"more than {MAX_DATA_CHARS:,} characters of text"
                if _SURROGATE.search("".join(item)):
                    return "text with a broken character (a lone surrogate)"
                continue
            if kinds <= _SCALAR_TYPES:
                seen += len(item)
                continue
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            if "typename" in item:
                return "a dict with the reserved key 'typename'"
            for key, inner in item.items():
                if not isinstance(key, str):
                    return f"a dict with a non-text key {key!r}"
                stack.append((inner, depth + 1))
        else:
            return f"a {type(item).__name__}"
    return None


def _charged(function: Callable) -> Callable:
    """A helper function offered to restricted code; each call costs steps (and a look at the clock)."""
    @wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        charge(512)
        for value in (*args, *kwargs.values()):
            bounded(value, "a value given to a function")
        return function(*args, **kwargs)
    return call


ServiceHandler = Callable[[Any], dict | None]


def environment_globals(functions: dict[str, Callable]) -> dict[str, Any]:
    """What restricted code sees besides the case data: the guards and the charged helper functions."""
    return {**GUARDS, **{name: _charged(f) for name, f in functions.items()}}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs everything through the sandbox."""

    def __init__(self, functions: dict[str, Callable], service_caller: Callable | None = None,
                 prepared: dict[str, Any] | None = None) -> None:
        """`prepared` is `environment_globals(functions)` made once and shared (it is only read)."""
        super().__init__(prepared if prepared is not None else environment_globals(functions))
        self.function_names = frozenset(functions)
        self.service_caller = service_caller

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        scope = copy.deepcopy(context)  # a condition must not change the case data it looks at
        if external_context:
            scope.update(external_context)
        scope.update(self.globals)
        code = compile_expression(expression)
        with limited():
            result = bounded(eval(code, scope), "the result")  # noqa: S307 - restricted code object
            problem = data_problem(result) if not isinstance(result, _SCALARS) else None
        if problem:
            raise ExpressionRefused(f"the expression gave {problem}; only plain data can be used")
        return result

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        scope = copy.deepcopy(context)  # a script that fails leaves the case data as it was
        if external_context:
            scope.update(external_context)
        scope.update(self.globals)
        code = compile_script(script)
        with limited(what="the script"):
            exec(code, scope)  # noqa: S102 - restricted code object
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
