"""NUL (\\x00) is never meant in what a page is sent, and PostgreSQL refuses it in text (a 500 page there, where
SQLite stored it): a page's address, query parameters, form fields (names and values), uploaded files' names and
JSON body holding one are refused before any page runs: 400, in the reader's language, naming the field, and
nothing is saved. An uploaded file's contents are bytes and may hold NULs. The API names such a field itself (422,
web/api/inputs.py)."""
from __future__ import annotations

from typing import Any, Iterable

from flask import abort, request
from flask_babel import gettext as _

from .errors import page

NUL = "\x00"
SHOWN = 60  # characters of a field's name said on the page


def refuse() -> Any:
    """A before_request hook: the 400 page naming the first field holding a NUL, or None to go on."""
    if request.path.startswith("/api/"):
        return None
    if NUL in request.path:
        abort(400)
    for field, in_name in _found():
        shown = field.replace(NUL, "\\0")[:SHOWN]
        return page(400, _("The name of the file sent in “%(field)s” holds a NUL character, which is never meant: "
                           "nothing was saved.", field=shown) if in_name else
                    _("“%(field)s” holds a NUL character, which is never meant: nothing was saved.", field=shown))
    return None


def _found() -> Iterable[tuple[str, bool]]:
    """(field, whether it is an uploaded file's name that holds the NUL) for each field holding one."""
    for key, value in request.args.items(multi=True):
        if NUL in key or NUL in value:
            yield key, False
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    for key, value in request.form.items(multi=True):
        if NUL in key or NUL in value:
            yield key, False
    for key, upload in request.files.items(multi=True):
        if NUL in key:
            yield key, False
        elif NUL in (upload.filename or ""):
            yield key, True
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes (silent= only covers what is no JSON)
            abort(400)
        yield from ((where, False) for where in _in_json(body))


def _in_json(body: Any) -> Iterable[str]:
    """The paths (a.b.0) of the keys and strings of a JSON value that hold a NUL, in document order; read without
    recursion, so that a body nested however deep the parser took is read through."""
    stack: list[tuple[Any, str]] = [(body, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                yield where or "body"
        elif isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                path = f"{where}.{key}" if where else str(key)
                stack.append((NUL, path) if NUL in str(key) else (sub, path))  # a key holding one: said as a value
        elif isinstance(item, list):
            stack.extend((sub, f"{where}.{index}" if where else str(index))
                         for index, sub in reversed(list(enumerate(item))))
