"""The bounded primitives restricted code calls instead of Python's own.

The sandbox's compiler rewrites `a + b`, `a * b`, `a ** b`, `a << b`, `a % b`, f-string fields,
comparisons, dict and set keys and function entries into calls of the functions below, and the curated
builtins are replaced by versions that charge the budget and refuse oversized results before building
them (see engine/budget.py; the data types' methods are in engine/methods.py).
"""
from __future__ import annotations

import operator
import re
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator

from .budget import (MAX_INT_BITS, MAX_ITEMS, MAX_WIDTH, BudgetExceeded, ExpressionRefused, bounded, charge, too_big,
                     weight)

_SEQUENCES = (str, list, tuple, bytes)
_HASHED = (tuple, frozenset)


def sized(n: int, what: str) -> None:
    if n > MAX_ITEMS:
        raise too_big(what, n)
    charge(1 + (n >> 4))


def _int_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise too_big(f"{what} (in bits)", bits, MAX_INT_BITS)


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        sized(len(a) + len(b), "joining these values")
    return a + b


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        _int_bits(a.bit_length() + b.bit_length(), "this product")
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        sized(len(a) * max(b, 0), "repeating this value")
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        sized(len(b) * max(a, 0), "repeating this value")
    return a * b


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _int_bits(a.bit_length() * b, "this power")
    return a ** b


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _int_bits(a.bit_length() + b, "this shift")
    return a << b


def _percent_specs(fmt: str) -> list[tuple[str | None, str | None]]:
    """(width, precision) of every conversion in a %-format, read as Python reads it (keys may nest parentheses)."""
    specs, i, n = [], 0, len(fmt)
    while True:
        i = fmt.find("%", i)
        if i < 0 or i + 1 >= n:
            return specs
        i += 1
        if fmt[i] == "%":
            i += 1
            continue
        if fmt[i] == "(":
            depth = 0
            while i < n:
                depth += {"(": 1, ")": -1}.get(fmt[i], 0)
                i += 1
                if depth == 0:
                    break
        while i < n and fmt[i] in "#0- +":
            i += 1
        width = precision = None
        start = i
        while i < n and (fmt[i].isdigit() or fmt[i] == "*"):
            i += 1
        width = fmt[start:i] or None
        if i < n and fmt[i] == ".":
            i += 1
            start = i
            while i < n and (fmt[i].isdigit() or fmt[i] == "*"):
                i += 1
            precision = fmt[start:i] or None
        specs.append((width, precision))


def _text_size(value: Any) -> int:
    return len(value) if isinstance(value, str) else 24 * weight(value)


MAX_PERCENT_SIGNS = 20_000  # in one %-format (counted at C speed before the format is read conversion by conversion)


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        if a.count("%") > MAX_PERCENT_SIGNS:
            raise too_big("the % signs of a format", a.count("%"), MAX_PERCENT_SIGNS)
        specs = _percent_specs(a)
        for part in (p for spec in specs for p in spec if p):
            if "*" in part:
                raise BudgetExceeded("a % format may not take its width or precision from * ; write the number")
            if len(part) > 4 or int(part) > MAX_WIDTH:
                raise BudgetExceeded(f"a % format width or precision of {part} is more than {MAX_WIDTH}")
        bounded(b, "the values to format")
        values = list(b.values()) if isinstance(b, dict) else list(b) if isinstance(b, tuple) else [b]
        largest = max((_text_size(v) for v in values), default=0)
        sized(len(a) + len(specs) * (largest + MAX_WIDTH), "the formatted text")
        return a % b
    if isinstance(a, int) and isinstance(b, int):
        _int_bits(max(a.bit_length(), b.bit_length()), "this division")
    return a % b


def _floordiv(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        _int_bits(max(a.bit_length(), b.bit_length()), "this division")
    return a // b


_HASHING = (set, frozenset) + tuple(type(v) for v in ({}.keys(), {}.items()))


def _setop(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """`& | ^ -`: on sets and dict views the other side's items are hashed, so check them first."""
    def guarded(a: Any, b: Any) -> Any:
        if isinstance(a, _HASHING) or isinstance(b, _HASHING):
            for side in (a, b):
                if not isinstance(side, (set, frozenset, dict)):
                    keys_of(side)
        return op(a, b)
    return guarded


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add, "*": _mul, "**": _pow, "<<": _lshift, "%": _mod, "//": _floordiv,
    "&": _setop(operator.and_), "|": _setop(operator.or_), "^": _setop(operator.xor), "-": _setop(operator.sub)}


def binop(op: str, a: Any, b: Any) -> Any:
    """`a op b` with the result's size checked before it is built."""
    return _BINOPS[op](a, b)


_INPLACE = {"+=": _add, "*=": _mul, "%=": _mod, "-=": _setop(operator.isub), "/=": operator.itruediv,
            "//=": _floordiv, "|=": _setop(operator.ior), "&=": _setop(operator.iand)}


def inplace(op: str, x: Any, y: Any) -> Any:
    """`x op= y` for the operators restricted code may use."""
    if op not in _INPLACE:
        raise ExpressionRefused(f"operator {op} is not allowed")
    return _INPLACE[op](x, y)


_DIGITS = re.compile(r"\d+")


def check_width(spec: str, what: str) -> None:
    for digits in _DIGITS.findall(spec):
        if len(digits) > 4 or int(digits) > MAX_WIDTH:
            raise BudgetExceeded(f"{what} {spec!r} asks for a width or precision above {MAX_WIDTH}")


def format_field(value: Any, conversion: int, spec: str | None) -> str:
    """One f-string field, its width bounded and the value's size checked."""
    bounded(value, "the value to format")
    if spec:
        check_width(spec, "the format")
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    result = format(value, spec or "")
    sized(len(result), "the formatted text")
    return result


def compared(value: Any) -> Any:
    """An operand of a comparison (==, <, in …), once comparing it is known to be bounded."""
    if type(value) is str:
        charge(1 + (len(value) >> 6))
        return value
    return bounded(value, "the value to compare")


def key(value: Any) -> Any:
    """A dict key or set member, once hashing it is known to be bounded."""
    if isinstance(value, _HASHED):
        bounded(value, "the key")
    return value


def step() -> None:
    """Charged on entry to every function restricted code defines (recursion has no loop to charge)."""
    charge(4)


def guarded_iter(iterable: Any) -> Iterator[Any]:
    """Iteration that charges one step per item (for loops, comprehensions, unpacking)."""
    for item in iterable:
        charge(1)
        yield item


def items_of(iterable: Any) -> list | tuple | dict | set | frozenset | str | range:
    """The items of an iterable, charged: sized ones by their length, others one by one."""
    if isinstance(iterable, (list, tuple, dict, set, frozenset, str, range)):
        sized(len(iterable), "this collection")
        if isinstance(iterable, (str, range)):
            charge(len(iterable))  # each character or number becomes an object of its own
        return iterable
    out = []
    for item in iterable:
        charge(1)
        out.append(item)
        if len(out) > MAX_ITEMS:
            raise too_big("this collection", len(out))
    return out


def keys_of(iterable: Iterable) -> Iterable:
    if isinstance(iterable, (set, frozenset, dict)):  # already hashed once: their hashes are stored
        sized(len(iterable), "this collection")
        return iterable
    items = list(items_of(iterable))
    for item in items:
        key(item)
    return items


def keyed(func: Callable | None) -> Callable | None:
    return None if func is None else (lambda v: compared(func(v)))


def _divmod(a: Any, b: Any) -> tuple:
    if isinstance(a, int) and isinstance(b, int):
        _int_bits(max(a.bit_length(), b.bit_length()), "this division")
    return divmod(a, b)


def _exception(kind: type[Exception]) -> Callable[..., Exception]:
    """ValueError(...) and friends with short, plain messages: their text is shown outside the budget."""
    def make(*args: Any) -> Exception:
        plain = []
        for arg in args[:3]:
            if not isinstance(arg, (str, int, float, bool, type(None))) or (isinstance(arg, int) and arg.bit_length() > 256):
                raise ExpressionRefused(f"{kind.__name__}() takes texts and numbers only")
            plain.append(arg[:500] if isinstance(arg, str) else arg)
        return kind(*plain)
    make.__name__ = kind.__name__
    return make


def _int(value: Any = 0, *base: int) -> int:
    """int() with its result's size bounded (base 16 or 2 text is not covered by Python's own digit limit)."""
    if isinstance(value, str) and len(value) > 5000:
        raise too_big("the number's text", len(value), 5000)
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > 5000:
        raise too_big("the number's digits", value.adjusted(), 5000)
    result = int(value, *base)
    _int_bits(result.bit_length(), "this number")
    return result




def _range(*args: int) -> range:
    try:
        result = range(*args)
        length = len(result)
    except OverflowError:
        length = MAX_ITEMS + 1
        result = range(0)
    if length > MAX_ITEMS:
        raise too_big("range", length)
    return result


def _round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_WIDTH:
        raise BudgetExceeded(f"round() to {ndigits} digits is beyond the limit of {MAX_WIDTH}")
    return round(number, ndigits)


def _sum(iterable: Any, start: Any = 0) -> Any:
    if not isinstance(start, (int, float)) or isinstance(start, bool):
        raise ExpressionRefused("sum() adds numbers only; join texts with ''.join(...) and lists with +")
    return sum(items_of(iterable), start)


def _extreme(func: Callable) -> Callable:
    def guarded(*args: Any, key: Callable | None = None, **kw: Any) -> Any:
        items = items_of(args[0]) if len(args) == 1 else args
        bounded(items, "the values to compare")
        return func(items, key=keyed(key), **kw) if key else func(items, **kw)
    guarded.__name__ = func.__name__
    return guarded


def _sorted(iterable: Any, key: Callable | None = None, reverse: bool = False) -> list:
    items = items_of(iterable)
    bounded(items, "the values to sort")
    return sorted(items, key=keyed(key), reverse=reverse)


def _str(value: Any = "") -> str:
    return str(bounded(value, "the value to turn into text"))


def _list(iterable: Any = ()) -> list:
    return list(items_of(iterable))


def _tuple(iterable: Any = ()) -> tuple:
    return tuple(items_of(iterable))


def _set(iterable: Any = ()) -> set:
    return set(keys_of(iterable))


def guarded_dict(*args: Any, **kwargs: Any) -> dict:
    if args and not isinstance(args[0], dict):
        pairs = [tuple(items_of(pair)) for pair in items_of(args[0])]
        for pair in pairs:
            if pair:
                key(pair[0])
        return dict(pairs, **kwargs)
    return dict(*args, **kwargs)


def _any(iterable: Any) -> bool:
    return any(guarded_iter(iterable))


def _all(iterable: Any) -> bool:
    return all(guarded_iter(iterable))


_GUARDED_TYPES = {_str: str, _list: list, _tuple: tuple, _set: set, guarded_dict: dict, _int: int}


def _isinstance(value: Any, kinds: Any) -> bool:
    if isinstance(kinds, tuple):
        kinds = tuple(_GUARDED_TYPES.get(k, k) for k in kinds)
    else:
        kinds = _GUARDED_TYPES.get(kinds, kinds)
    return isinstance(value, kinds)


BUILTINS: dict[str, Any] = {
    "abs": abs, "all": _all, "any": _any, "bool": bool, "dict": guarded_dict, "divmod": _divmod,
    "enumerate": enumerate, "filter": filter, "float": float, "int": _int, "isinstance": _isinstance,
    "len": len, "list": _list, "map": map, "max": _extreme(max), "min": _extreme(min), "range": _range,
    "reversed": reversed, "round": _round, "set": _set, "sorted": _sorted, "str": _str, "sum": _sum,
    "tuple": _tuple, "zip": zip, "None": None, "True": True, "False": False,
    "ValueError": _exception(ValueError), "KeyError": _exception(KeyError), "TypeError": _exception(TypeError),
}


__all__ = ["BUILTINS", "binop", "check_width", "compared", "format_field", "guarded_dict", "guarded_iter", "inplace",
           "items_of", "key", "keyed", "keys_of", "sized", "step", "weight"]
