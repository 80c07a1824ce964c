"""Bounded versions of the methods of the plain data types (str, list, dict, set, int, dates) and the
write guard that restricted code goes through (see engine/guards.py for the operators and builtins)."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Callable

from .budget import MAX_INT_BITS, MAX_WIDTH, ExpressionRefused, bounded, charge, too_big
from .guards import check_width, guarded_dict, items_of, key, keyed, keys_of, sized

_ENCODINGS = frozenset({"utf-8", "utf8", "ascii", "latin-1", "latin1", "gbk", "gb2312", "gb18030", "utf-16", "utf-32"})


def _width_method(name: str) -> Callable:
    def make(s: str) -> Callable:
        def method(width: int, *args: Any) -> str:
            if isinstance(width, int) and width > len(s):
                sized(width, f"str.{name}")
            return getattr(s, name)(width, *args)
        return method
    return make


def _expandtabs(s: str) -> Callable:
    def method(tabsize: int = 8) -> str:
        sized(len(s) + s.count("\t") * max(int(tabsize), 0), "str.expandtabs")
        return s.expandtabs(tabsize)
    return method


def _replace(s: str) -> Callable:
    def method(old: str, new: str, count: int = -1) -> str:
        if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
            hits = s.count(old) if old else len(s) + 1
            if count >= 0:
                hits = min(hits, count)
            sized(len(s) + hits * (len(new) - len(old)), "str.replace")
        return s.replace(old, new, count)
    return method


def _join(s: str) -> Callable:
    def method(iterable: Any) -> str:
        parts = list(items_of(iterable))
        sized(sum(len(p) if isinstance(p, str) else 0 for p in parts) + len(s) * len(parts), "str.join")
        return s.join(parts)
    return method


def _extend(target: list) -> Callable:
    def method(iterable: Any) -> None:
        items = items_of(iterable)
        sized(len(target) + len(items), "list.extend")
        target.extend(items)
    return method


def _compare_method(target: Any, name: str) -> Callable:
    def method(*args: Any, **kwargs: Any) -> Any:
        bounded(target, f"the {type(target).__name__}")
        for arg in args:
            bounded(arg, "the value to compare")
        if "key" in kwargs:
            kwargs["key"] = keyed(kwargs["key"])
        return getattr(target, name)(*args, **kwargs)
    return method


def _key_method(target: Any, name: str) -> Callable:
    def method(*args: Any) -> Any:
        if args:
            key(args[0])
        return getattr(target, name)(*args)
    return method


def _keys_method(target: Any, name: str) -> Callable:
    def method(*others: Any) -> Any:
        return getattr(target, name)(*(keys_of(o) for o in others))
    return method


def _update(target: dict) -> Callable:
    def method(*args: Any, **kwargs: Any) -> None:
        target.update(guarded_dict(*args, **kwargs))
    return method


def _strftime(target: date | datetime | time) -> Callable:
    def method(fmt: str) -> str:
        check_width(fmt, "the date format")
        sized(len(fmt) + fmt.count("%") * MAX_WIDTH, "the formatted date")
        return target.strftime(fmt)
    return method


def _encode(s: str) -> Callable:
    def method(encoding: str = "utf-8", errors: str = "strict") -> bytes:
        if str(encoding).lower().replace("_", "-") not in _ENCODINGS:
            raise ExpressionRefused(f"encoding {encoding!r} is not offered; use utf-8, gbk or gb18030")
        charge(1 + (len(s) >> 4))
        return s.encode(encoding, errors)
    return method


def _growing(s: str, name: str) -> Callable:
    def method(*args: Any) -> str:
        charge(1 + (len(s) >> 4))
        result = getattr(s, name)(*args)
        sized(len(result), f"str.{name}")
        return result
    return method


def _to_bytes(n: int) -> Callable:
    def method(length: int = 1, *args: Any, **kwargs: Any) -> bytes:
        sized(int(length), "int.to_bytes")
        return n.to_bytes(length, *args, **kwargs)
    return method


def _from_bytes(data: Any, *args: Any, **kwargs: Any) -> int:
    if isinstance(data, (bytes, list, tuple)) and len(data) * 8 > MAX_INT_BITS:
        raise too_big("int.from_bytes (in bits)", len(data) * 8, MAX_INT_BITS)
    return int.from_bytes(data, *args, **kwargs)


_MANY_OBJECTS = frozenset({"split", "rsplit", "splitlines"})


def _charging(target: Any, name: str) -> Callable:
    """Any other method of a large value: charged by the value's size (split, copy, count …)."""
    bound = getattr(target, name)

    cost = len(target) if name in _MANY_OBJECTS else 1 + (len(target) >> 4)  # one step per object it may make

    def method(*args: Any, **kwargs: Any) -> Any:
        charge(cost)
        return bound(*args, **kwargs)
    return method


_STR_METHODS = {"ljust": _width_method("ljust"), "rjust": _width_method("rjust"),
                "center": _width_method("center"), "zfill": _width_method("zfill"),
                "expandtabs": _expandtabs, "replace": _replace, "join": _join}
_KEY_METHODS = {"get", "pop", "setdefault", "add", "discard", "remove"}
_SET_ITERABLE_METHODS = {"update", "union", "intersection", "difference", "symmetric_difference", "issubset",
                         "issuperset", "isdisjoint", "intersection_update", "difference_update",
                         "symmetric_difference_update"}
REFUSED_ATTRS = frozenset({"format", "format_map", "translate", "maketrans", "fromkeys"})


_GROWING = frozenset({"upper", "lower", "casefold", "title", "swapcase", "capitalize"})
_LARGE = 1024


def method(obj: Any, name: str) -> Any:
    """The bounded version of `obj.name` where the plain one could run unbounded; None where it is safe."""
    found = _specific(obj, name)
    if found is None and isinstance(obj, (str, list, tuple, dict, set, frozenset)) and len(obj) > _LARGE \
            and callable(getattr(obj, name, None)):
        return _charging(obj, name)
    return found


def _specific(obj: Any, name: str) -> Any:
    kind = type(obj)
    if kind is int and name == "to_bytes":
        return _to_bytes(obj)
    if kind is int and name == "from_bytes":
        return _from_bytes
    if kind is str:
        if name == "encode":
            return _encode(obj)
        if name in _GROWING:
            return _growing(obj, name)
        maker = _STR_METHODS.get(name)
        return maker(obj) if maker else None
    if kind is list:
        if name == "extend":
            return _extend(obj)
        if name in ("index", "count", "remove", "sort"):
            return _compare_method(obj, name)
        return None
    if kind is tuple and name in ("index", "count"):
        return _compare_method(obj, name)
    if kind is dict:
        if name == "update":
            return _update(obj)
        return _key_method(obj, name) if name in _KEY_METHODS else None
    if kind in (set, frozenset):
        if name in _SET_ITERABLE_METHODS:
            return _keys_method(obj, name)
        return _key_method(obj, name) if name in _KEY_METHODS else None
    if kind in (date, datetime, time) and name == "strftime":
        return _strftime(obj)
    return None


class Writer:
    """What `obj[key] = value` and `del obj[key]` go through: the key's hashing is bounded first."""

    __slots__ = ("target",)

    def __init__(self, target: Any) -> None:
        self.target = target

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            value = items_of(value)
            sized(len(self.target) + len(value), "this list")
            self.target[index] = value
            return
        self.target[key(index)] = value

    def __delitem__(self, index: Any) -> None:
        del self.target[key(index)]


def write_guard(obj: Any) -> Any:
    """RestrictedPython's `_write_`: only plain lists and dicts can be written to."""
    if type(obj) not in (list, dict):
        raise ExpressionRefused(f"a {type(obj).__name__} cannot be changed here")
    return Writer(obj)
