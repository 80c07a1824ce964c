"""Drafts of the browser modeler: each designer's BPMN and DMN files in progress, kept on the server (so a closed tab
or another machine loses nothing) until deployed or deleted. A draft is checked like any file when it is deployed;
here only its name and size are."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from . import wallclock
from .errors import InvalidInput, Message, NotFound, catalogue
from .models_office import DesignerDraft

MAX_BYTES = 2 * 1024 * 1024
PER_USER = 50
MESSAGES = catalogue({
    "draft_name": "draft name {name!r}: letters, digits, _ - . and ending in .bpmn or .dmn",
    "draft_name_field": "a file name ending in .bpmn or .dmn",
    "draft_size": "{name}: a draft may be at most 2 MB",
    "draft_size_field": "at most 2 MB",
    "draft_count": "at most {limit} drafts per designer; delete some first",
    "draft_missing": "no draft {name!r}",
})
_NAME = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]{0,120}\.(bpmn|dmn)$")


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput(Message("draft_name", name=name), {"name": Message("draft_name_field")})
    return name


def save(session: Session, username: str, name: str, content: str, now: datetime | None = None) -> DesignerDraft:
    """Keep (or replace) one draft of this designer."""
    name = check_name(name)
    if len(content.encode("utf-8")) > MAX_BYTES:
        raise InvalidInput(Message("draft_size", name=name), {"content": Message("draft_size_field")})
    row = session.get(DesignerDraft, (username, name))
    if row is None:
        count = session.execute(select(func.count()).select_from(DesignerDraft)
                                .where(DesignerDraft.username == username)).scalar_one()
        if count >= PER_USER:
            raise InvalidInput(Message("draft_count", limit=PER_USER))
        row = DesignerDraft(username=username, name=name, content=content, updated_at=now or wallclock.now())
        session.add(row)
    else:
        row.content, row.updated_at = content, now or wallclock.now()
    session.flush()
    return row


def listing(session: Session, username: str) -> list[DesignerDraft]:
    return list(session.execute(select(DesignerDraft).where(DesignerDraft.username == username)
                                .order_by(DesignerDraft.name)).scalars())


def load(session: Session, username: str, name: str) -> DesignerDraft:
    row = session.get(DesignerDraft, (username, check_name(name)))
    if row is None:
        raise NotFound(Message("draft_missing", name=name))
    return row


def remove(session: Session, username: str, names: list[str]) -> int:
    """Delete drafts (after a deploy, or when the designer throws them away)."""
    if not names:
        return 0
    return session.execute(delete(DesignerDraft).where(DesignerDraft.username == username,
                                                       DesignerDraft.name.in_(names))).rowcount
