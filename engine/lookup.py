"""Finding a case by a person's exact name or ID number, through an index, without plain personal data in it.

Each searchable value of a case (the runtime's `search_fields`: the applicant's name and ID number by default,
a plugin adds its own) is kept as a keyed digest, HMAC-SHA256 under the installation's JOINTREVIEW_SEARCH_KEY,
in `case_lookup`. A search digests what was typed the same way and looks it up: one index probe whatever the
number of cases. Values are compared after normalising (spaces dropped, full-width letters and digits made
half-width, letters upper-cased), so "张 伟" finds 张伟 and an ID number's final x finds X.

The digests are written when a case starts and again only when one of its searchable values changes; a purge
removes them. `jointreview reindex-search` rebuilds them all (after changing the key or upgrading).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from typing import Any, Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from . import sql
from .models import Case, CaseLookup

DEFAULT_FIELDS = ("applicant_name", "applicant_id")
MAX_VALUE = 100  # longer text is no name or ID number; it is not indexed nor searched


def _key() -> bytes:
    return (os.environ.get("JOINTREVIEW_SEARCH_KEY") or "jointreview-case-lookup").encode()


def normalise(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split()).upper()


def digest(value: Any) -> str | None:
    """The keyed digest of a searchable value, or None for an empty or over-long one."""
    text = normalise(value) if value is not None else ""
    if not text or len(text) > MAX_VALUE:
        return None
    return hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()


def searchable(fields: Iterable[str], data: dict[str, Any]) -> frozenset[tuple[str, str | int]]:
    """(field, value) of every value in `data` that can be searched by (text or a whole number), not yet digested."""
    return frozenset((field, value) for field in fields
                     if isinstance(value := data.get(field), (str, int)) and not isinstance(value, bool))


def values(fields: Iterable[str], data: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """(field, digest) of every searchable value in `data`."""
    return _digests(searchable(fields, data))


def _digests(plain: Iterable[tuple[str, str | int]]) -> frozenset[tuple[str, str]]:
    return frozenset((field, d) for field, value in plain if (d := digest(value)))


def replace(session: Session, case_id: int, found: frozenset[tuple[str, str]]) -> None:
    """Make the case's lookup rows exactly `found` (a rebuild)."""
    sql.execute(session, "lookup_delete", {"case_id": case_id})
    if found:
        sql.execute(session, "lookup_insert", [{"digest": d, "case_id": case_id, "field": f} for f, d in sorted(found)])


def changes(case_id: int, now: frozenset[tuple[str, str | int]], known: frozenset[tuple[str, str | int]],
            new_case: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """What a step changes in a case's lookup rows: the fields whose rows go and the rows that come, from its
    `searchable` values as they are now and as they were when the case was loaded. A field whose value changed is
    replaced; a field the data no longer shows is kept (a step's data may hold only part of the case's); nothing is
    digested when nothing changed, so a step costs no work here."""
    changed = _digests(now - known)  # a value emptied or grown too long to search by is like one not shown
    if not changed:
        return [], []
    fields = [] if new_case else sorted({f for f, _ in changed})
    return fields, [{"digest": d, "case_id": case_id, "field": f} for f, d in sorted(changed)]


def write(session: Session, case_id: int, fields: list[str], rows: list[dict[str, Any]]) -> None:
    """Apply `changes`."""
    if fields:
        sql.execute(session, "lookup_delete_field", [{"case_id": case_id, "field": f} for f in fields])
    if rows:
        sql.execute(session, "lookup_insert", rows)


def matching(text: str) -> Select:
    """The ids of the cases that have `text` as one of their searchable values (a subquery)."""
    return select(CaseLookup.case_id).where(CaseLookup.digest == (digest(text) or "-"))


def referring(business_key: str) -> Select:
    """The ids of the cases that name the case of `business_key` among their searchable values (an inquiry about it,
    a follow-up of its rating), itself excepted (a subquery)."""
    own = select(Case.id).where(Case.business_key == business_key).scalar_subquery()
    return matching(business_key).where(CaseLookup.case_id != own)


def reindex(rt, batch: int = 500) -> int:
    """Rebuild the lookup rows of every case that still holds its data, one transaction per `batch` cases;
    returns the cases indexed."""
    from .steps import current_data  # the workflow helpers import this module

    done, last = 0, 0
    while True:
        with rt.db.write() as session:
            rows = session.execute(select(Case.id, Case.definition_id, Case.state).where(
                Case.id > last, Case.purged_at.is_(None)).order_by(Case.id).limit(batch)).all()
            for case_id, definition_id, state in rows:
                model = rt.model(session, definition_id)
                wf = rt.serializer.loads(state, model.spec, model.subprocess_specs, None)
                replace(session, case_id, values(rt.search_fields, current_data(wf)))
        if not rows:
            return done
        done, last = done + len(rows), rows[-1][0]
