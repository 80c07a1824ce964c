"""Deploy-time checks against models that would pass every other check and then hang or can only fail: timer cycles
shorter than a minute, timers and due dates that can never be computed, processes that call themselves, parallel
gateways used as a loop's merge point. Each problem names its element."""
from __future__ import annotations

import ast
import math
import operator
import re

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import foreign
from .bpmnxml import bpmn_find
from .errors import Message
from .functions import cycle_beyond_a_century, longer_than_a_century, within_a_century
from .lint_messages import M
from .specs import MAX_INSTANCES, MIN_CYCLE_SECONDS, literal_kind

SPAN_FUNCTIONS = {"workdays": (0, 1), "workhours": (0, 24), "add_days": (1, 1)}  # name → (position of n, n per day)
_SIGNED = re.compile(r"^([+-])\s*(P\S*)$", re.I)
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv}
MAX_JOIN_FLOWS = 100  # flows into one parallel or inclusive join (each arrival looks at every other: 400 took 11 s)
_MAX_EXPONENT = 64
_MAX_BITS = 4096


def cycle_problem(text: str) -> Message | None:
    """A literal timeCycle (R3/PT1H, R/2025-01-01T09:00/P1D …) that cannot be read or repeats faster than once a
    minute (a cycle of no length fires all its rounds in one step: the case start or the worker never returns), or
    less than once in 100 years (reading one took SpiffWorkflow a step per month: the check never returned)."""
    if cycle_beyond_a_century(text):
        return M("cycle_too_long", text=text)
    try:
        _, _, interval = TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception:  # noqa: BLE001 - SpiffWorkflow says only `Exception('Invalid duration')` and the like
        return M("cycle_invalid", text=text)
    if interval.total_seconds() < MIN_CYCLE_SECONDS:
        return M("cycle_too_short", text=text, seconds=f"{interval.total_seconds():g}")
    return None


def duration_problem(text: str, what: str) -> Message | None:
    """A literal duration that is longer than 100 years, or a signed one (`-PT5M` reads as an expression)."""
    signed = _SIGNED.match(text.strip())
    if signed and literal_kind(signed.group(2)) == "duration":
        return M("duration_signed", what=M(what), text=text.strip(), plain=signed.group(2).upper())
    if literal_kind(text) == "duration":
        try:
            parsed = TimerEventDefinition.parse_iso_duration(text.upper())
        except Exception:  # noqa: BLE001 - reported by the caller as not a valid duration
            return None
        if longer_than_a_century(parsed):
            return M("duration_too_long", what=M(what), text=text.strip())
    return None


def span_problem(text: str, what: str) -> Message | None:
    """A call of workdays/workhours/add_days whose span is a constant (1e308, 10**9, 365*200 …) longer than 100
    years or not a finite number: every case would fail at it."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the expression check says why
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SPAN_FUNCTIONS):
            continue
        position, per_day = SPAN_FUNCTIONS[node.func.id]
        args = [k.value for k in node.keywords if k.arg == "n"] or node.args[position:position + 1]
        if not args:
            continue
        try:
            value = _fold(args[0], 0)
        except _NotConstant:
            continue
        if not within_a_century(value, per_day):
            return M("span_beyond", what=M(what), text=text.strip(), function=node.func.id,
                     value=ast.get_source_segment(text.strip(), args[0]) or "?")
    return None


def instances_problem(text: str) -> Message | None:
    """A loop cardinality that is a constant above MAX_INSTANCES: every case would fail at the step."""
    try:
        value = _fold(ast.parse(text.strip(), mode="eval").body, 0)
    except (SyntaxError, ValueError, RecursionError, MemoryError, _NotConstant):
        return None  # the expression check says why, or the run time counts what it gives
    if value > MAX_INSTANCES:
        return M("instances_too_many", text=text.strip(), limit=MAX_INSTANCES)
    return None


def wide_joins(process) -> list[tuple[object, Message]]:
    """Parallel and inclusive gateways joining more than MAX_JOIN_FLOWS flows: each branch arriving looks at every
    other, so a case took seconds to minutes per step (400 branches: 11 s; 4 MB of them: hours)."""
    incoming: dict[str, int] = {}
    for flow in bpmn_find(process, ".//b:sequenceFlow"):
        incoming[flow.get("targetRef")] = incoming.get(flow.get("targetRef"), 0) + 1
    return [(gateway, M("join_too_wide", count=incoming[gateway.get("id")], limit=MAX_JOIN_FLOWS))
            for gateway in bpmn_find(process, ".//b:parallelGateway") + bpmn_find(process, ".//b:inclusiveGateway")
            if incoming.get(gateway.get("id"), 0) > MAX_JOIN_FLOWS]


class _NotConstant(Exception):
    pass


def _fold(node, depth: int):
    """The value of constant arithmetic (numbers, unary -, + - * / // and ** with small whole exponents); anything
    else raises _NotConstant. A result too large to keep is infinity."""
    if depth > 32:
        raise _NotConstant
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _fold(node.operand, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value
    if not isinstance(node, ast.BinOp):
        raise _NotConstant
    left, right = _fold(node.left, depth + 1), _fold(node.right, depth + 1)
    try:
        if isinstance(node.op, ast.Pow):
            if not (isinstance(right, int) and abs(right) <= _MAX_EXPONENT) or (
                    isinstance(left, int) and left.bit_length() * abs(right) > _MAX_BITS):
                raise _NotConstant
            value = left ** right
        elif type(node.op) in _OPERATORS:
            value = _OPERATORS[type(node.op)](left, right)
        else:
            raise _NotConstant
    except OverflowError:
        return math.inf
    except ArithmeticError:  # division by zero
        raise _NotConstant from None
    if isinstance(value, complex):
        raise _NotConstant
    if isinstance(value, int) and value.bit_length() > _MAX_BITS:
        return math.inf
    return value


# --- call activities ----------------------------------------------------------------------------------------------

def call_cycles(trees: dict[str, object]) -> list[tuple[str, object, Message]]:
    """(file, call activity, message) for each call activity through which a process calls itself, directly or
    through other processes of the set: a case would open called processes without end."""
    calls: dict[str, list[tuple[str, object]]] = {}  # process id → (file, call activity) it holds
    for name, tree in trees.items():
        for process in bpmn_find(tree, "./b:process"):
            if foreign.executable(process):
                calls.setdefault(process.get("id"), []).extend(
                    (name, call) for call in bpmn_find(process, ".//b:callActivity") if call.get("calledElement"))
    out = []
    for pid, held in calls.items():
        for file, call in held:
            path = _path(calls, call.get("calledElement"), pid)
            if path is not None:
                out.append((file, call, M("call_cycle", called=call.get("calledElement"),
                                          path=" → ".join([pid, *path]))))
    return out


def _path(calls: dict, start: str, goal: str) -> list[str] | None:
    """The processes from `start` to `goal` along calls (breadth first), or None when `goal` is not reached."""
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        current = queue.pop(0)
        if current == goal:
            path = []
            while current is not None:
                path.append(current)
                current = previous[current]
            return path[::-1]
        for _, call in calls.get(current, ()):
            following = call.get("calledElement")
            if following not in previous:
                previous[following] = current
                queue.append(following)
    return None


# --- parallel gateways as a loop's merge ----------------------------------------------------------------------------

def parallel_merges(process) -> list[tuple[object, Message]]:
    """A parallel gateway with incoming flows both from before a loop (sources it cannot reach) and back round it
    (sources it reaches): a parallel join waits for all its incoming flows, and the entry never comes again, so the
    case stalls. Joins inside a loop's body (every source reached) and ordinary joins (none) are fine."""
    following: dict[str, set[str]] = {}
    incoming: dict[str, list] = {}
    for flow in bpmn_find(process, ".//b:sequenceFlow"):
        following.setdefault(flow.get("sourceRef"), set()).add(flow.get("targetRef"))
        incoming.setdefault(flow.get("targetRef"), []).append(flow)
    for event in bpmn_find(process, ".//b:boundaryEvent[@attachedToRef]"):
        following.setdefault(event.get("attachedToRef"), set()).add(event.get("id"))
    catches: dict[str, list[str]] = {}
    for event in bpmn_find(process, ".//b:intermediateCatchEvent"):
        if foreign.is_link(event, "intermediateCatchEvent"):
            catches.setdefault(foreign.link_name(event), []).append(event.get("id"))
    for event in bpmn_find(process, ".//b:intermediateThrowEvent"):
        if foreign.is_link(event, "intermediateThrowEvent"):
            following.setdefault(event.get("id"), set()).update(catches.get(foreign.link_name(event), []))
    out = []
    for gateway in bpmn_find(process, ".//b:parallelGateway"):
        flows = incoming.get(gateway.get("id"), [])
        if len(flows) < 2:
            continue
        reached = _reached(following, gateway.get("id"))
        back = [f.get("id") or f.get("sourceRef") for f in flows if f.get("sourceRef") in reached]
        entries = [f.get("id") or f.get("sourceRef") for f in flows if f.get("sourceRef") not in reached]
        if back and entries:
            out.append((gateway, M("parallel_loop_merge", entries=", ".join(entries), back=", ".join(back))))
    return out


def _reached(following: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), list(following.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(following.get(node, ()))
    return seen


__all__ = ["call_cycles", "cycle_problem", "duration_problem", "instances_problem", "parallel_merges", "span_problem",
           "wide_joins"]
