"""The budget every designer expression and script runs under: bounded sizes, steps and time.

Restricted code runs in the server process, so anything that loops in C while holding the GIL
(`sum(range(10**12))`, `'a' * 10**9`, `f'{1:>1000000000}'`) would freeze every request. Each evaluation
therefore gets a Budget: loop iterations, function calls and bulk operations are charged against a step
limit and a deadline, and every operation that could build a huge value is size-checked *before* it is
built. Values that share parts (`x = [x, x]` twenty times) are measured with the shared parts counted as
often as they occur, which is what printing, comparing or hashing them would walk.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

from .errors import EngineError

MAX_ITEMS = 1_000_000      # characters of one string, items of one value (shared parts counted each time)
MAX_STEPS = 2_000_000      # loop iterations, calls and bulk work of one evaluation
MAX_SECONDS = 0.5          # wall time of one evaluation
OPERATION_SECONDS = 1.0    # wall time spent inside all the evaluations of one engine operation, added up
MAX_INT_BITS = 16_384      # size of a whole number (about 4,900 digits)
MAX_WIDTH = 1_000          # a format width or precision
_CHECK_EVERY = 512         # steps between two looks at the clock


class ExpressionRefused(EngineError):
    """An expression or script uses something the sandbox does not allow."""


class BudgetExceeded(ExpressionRefused):
    """An expression or script needed more time, steps or memory than it is allowed."""


class Budget:
    """What one evaluation may still spend."""

    __slots__ = ("steps", "limit", "deadline", "next_check", "tripped", "what", "left", "aside")

    def __init__(self, limit: int, deadline: float, what: str, left: float | None = None) -> None:
        self.steps, self.limit, self.deadline, self.what = 0, limit, deadline, what
        self.next_check, self.tripped = _CHECK_EVERY, ""
        self.left = left  # an operation's account: the seconds its evaluations may still spend, all together
        self.aside = 0.0  # seconds spent outside the budgets while this evaluation ran (a service handler)

    def charge(self, n: int) -> None:
        if self.tripped:
            raise BudgetExceeded(self.tripped)
        self.steps += n
        if self.steps > self.limit:
            self.trip(f"{self.what} needed more than {self.limit:,} steps")
        if self.steps >= self.next_check:
            self.next_check = self.steps + _CHECK_EVERY
            if time.monotonic() > self.deadline:
                self.trip(f"{self.what} ran longer than its time limit")

    def trip(self, message: str) -> None:
        self.tripped = message
        raise BudgetExceeded(message)


_current: ContextVar[Budget | None] = ContextVar("jointreview_budget", default=None)


class limited:  # noqa: N801 - used like a function: `with limited(): ...`
    """Run the body under a fresh budget (never later than an enclosing one's deadline).

    A budget that ran out raises at the end even when the restricted code caught the exception. A class
    rather than a generator-based context manager: it is entered for every single evaluation."""

    __slots__ = ("budget", "token", "outer", "began")

    def __init__(self, seconds: float = MAX_SECONDS, steps: int = MAX_STEPS, what: str = "the expression") -> None:
        outer = _current.get()
        self.began = time.monotonic()
        deadline = self.began + seconds
        if outer is not None:
            if outer.tripped:
                raise BudgetExceeded(outer.tripped)
            if outer.left is not None:  # inside an operation: what its evaluations have not spent yet
                if outer.left <= 0:
                    outer.tripped = f"{outer.what} ran longer than their time limit"
                    raise BudgetExceeded(outer.tripped)
                deadline = min(deadline, self.began + outer.left)
            else:
                deadline = min(deadline, outer.deadline)
        self.outer = outer
        self.budget = Budget(steps, deadline, what)

    def __enter__(self) -> Budget:
        self.token = _current.set(self.budget)
        return self.budget

    def __exit__(self, kind: type | None, error: BaseException | None, trace: object) -> None:
        _current.reset(self.token)
        if self.outer is not None and self.outer.left is not None:
            self.outer.left -= time.monotonic() - self.began - self.budget.aside
        if kind is None and self.budget.tripped:
            raise BudgetExceeded(self.budget.tripped)


@contextmanager
def outside() -> Iterator[None]:
    """Run the body (a service handler: a registry's network or database work) outside the budgets: what it
    spends is not charged, so the enclosing operation's deadline moves on by the time it took. A slow registry
    must not fail the expressions evaluated after it."""
    budget = _current.get()
    began = time.monotonic()
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
        if budget is not None and budget.left is None:  # called from inside an evaluation: its deadline moves on
            budget.deadline += time.monotonic() - began
            budget.aside += time.monotonic() - began


@contextmanager
def operation(seconds: float = OPERATION_SECONDS) -> Iterator[None]:
    """Bound the time all evaluations of one engine operation spend, added up. Only time inside evaluations
    counts: the engine's own work, the database and a machine under load do not fail a designer's expressions."""
    account = Budget(10**12, float("inf"), "this step's expressions", left=seconds)
    token = _current.set(account)
    try:
        yield
    finally:
        _current.reset(token)


def charge(n: int = 1) -> None:
    """Spend `n` steps of the running evaluation's budget."""
    budget = _current.get()
    if budget is not None:
        budget.charge(n)


def too_big(what: str, size: int, limit: int = MAX_ITEMS) -> BudgetExceeded:
    budget = _current.get()
    message = f"{what} would have {size:,} items, more than the limit of {limit:,}"
    if budget is not None:
        budget.tripped = message
    return BudgetExceeded(message)


_VIEWS = frozenset({type({}.keys()), type({}.values()), type({}.items())})
_CONTAINERS = frozenset({list, tuple, dict, set, frozenset}) | _VIEWS
MAX_DEPTH = 64             # nesting of one value (hashing a deeper tuple recurses in C without a guard)


def weight(value: Any, limit: int = MAX_ITEMS) -> int:
    """Items in `value`, shared parts counted each time they occur; stops counting past `limit`.

    A value nested deeper than MAX_DEPTH weighs more than any limit. Counting goes level by level (depth
    costs nothing per item); a wide level is folded by identity first, so a value built by sharing (a
    tuple of itself, doubled sixty times) costs its distinct parts, not its expanded size."""
    kind = type(value)
    if kind is str or kind is bytes:
        return 1 + (len(value) >> 5)
    if kind is int:
        return 1 + (value.bit_length() >> 6)
    if kind not in _CONTAINERS:
        return 1
    total, level, times, depth = 0, [value], None, 0
    while level:  # `times[i]`: how often level[i] occurs in the expanded value (None: once each)
        if depth > MAX_DEPTH:
            return limit + 1 + MAX_ITEMS
        if times is None and len(level) > _FOLD_FROM:
            level, times = _fold(level, [1] * len(level))
        elif times is not None:
            level, times = _fold(level, times)
        below: list = []
        below_times: list[int] | None = None if times is None else []
        pending = 0
        for index, item in enumerate(level):
            many = 1 if times is None else times[index]
            kind = type(item)
            own, children = 1, ()
            if kind is list or kind is tuple:
                leaves = _leaves(item, limit) if len(item) > 32 else None
                if leaves is None:
                    children = item
                else:
                    own += leaves
            elif kind is dict:
                children = [*item.keys(), *item.values()]
            elif kind in _CONTAINERS:
                children = list(item)
            elif kind is str or kind is bytes:
                own += len(item)  # printed, it may grow up to ten times: still bounded
            elif kind is int:
                own += item.bit_length() >> 6
            total += own * many
            if children:
                below.extend(children)
                if below_times is not None:
                    below_times.extend([many] * len(children))
                pending += len(children) * many
            if total + pending > limit:  # everything queued will count at least once
                return total + pending
        level, times, depth = below, below_times, depth + 1
    return total


_FOLD_FROM = 4096  # a level this wide is folded by identity before it is counted


def _fold(level: list, times: list[int]) -> tuple[list, list[int]]:
    """The distinct objects of a level with how often each occurs."""
    seen: dict[int, int] = {}
    items: list = []
    counts: list[int] = []
    for item, many in zip(level, times):
        at = seen.get(id(item))
        if at is None:
            seen[id(item)] = len(items)
            items.append(item)
            counts.append(many)
        else:
            counts[at] += many
    return items, counts


_TEXTS = frozenset({str, bytes})
_NUMBERS = frozenset({int, bool})
_PLAIN = frozenset({float, type(None)})


def _leaves(items: list | tuple, limit: int) -> int | None:
    """The weight of a list of plain values, at C speed where that is cheap (counting stops past `limit`
    where a value is large); None when the list holds anything else."""
    kinds = set(map(type, items))
    total = len(items)
    if kinds <= _TEXTS:
        if len(items[0]) * total <= limit:
            return total + sum(map(len, items))
        for text in items:  # large texts: stop at the limit rather than sizing every one
            total += len(text)
            if total > limit:
                break
        return total
    if kinds <= _NUMBERS:
        widest = max(max(items).bit_length(), min(items).bit_length())
        if total * (widest >> 6) <= limit:
            return total + (sum(map(int.bit_length, items)) >> 6)
        for number in items:
            total += number.bit_length() >> 6
            if total > limit:
                break
        return total
    if kinds <= _PLAIN:
        return total
    return None


def bounded(value: Any, what: str = "the value") -> Any:
    """`value` itself, once its weight (charged to the budget) is within the limit."""
    if type(value) in _CONTAINERS:
        size = weight(value)
        if size > MAX_ITEMS + MAX_ITEMS:
            message = f"{what} is nested more than {MAX_DEPTH} levels deep"
            budget = _current.get()
            if budget is not None:
                budget.tripped = message
            raise BudgetExceeded(message)
        charge(min(size, MAX_ITEMS))
        if size > MAX_ITEMS:
            raise too_big(what, size)
    return value
