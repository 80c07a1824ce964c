"""Attachments: the scanned materials of a case (an applicant's documents brought to the window), and the documents
kept with a step's answer (a user task's `attach` property: an inquiry's answer with its supporting documents).

A file is checked before anything is kept: its type by its first bytes (PDF, JPEG or PNG, whatever its name
says), its size (at most `MAX_BYTES`, never empty) and its name (no path, no control characters). It is stored
outside the database under its SHA-256 (`<dir>/ab/abcdef…`, written to a temporary file and renamed, so a reader
never sees half a file and the same scan brought twice is kept once); the row in `attachments` says what it is,
who brought it in and when. Adding and opening an attachment are recorded in the audit log with the hash, so the
log says who saw which document.

A file is written before its row is committed: a rolled-back upload leaves a file no row names, and `sweep` removes
such files once they are an hour old. Purging a case (engine/retention.py) removes its rows; the sweep then removes
the files no other case shares.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit, holding, separation, wallclock
from .errors import EngineError, InvalidInput, NotFound, StepName
from .models import Case, Task
from .models_office import Attachment
from .routing import Actor

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_CASE = 100
MAX_NAME = 120
ORPHAN_AGE = 3600  # seconds before a file no row names is removed (an upload may still be committing)
TYPES = (  # (media type, first bytes, file-name suffix)
    ("application/pdf", b"%PDF-", ".pdf"),
    ("image/jpeg", b"\xff\xd8\xff", ".jpg"),
    ("image/png", b"\x89PNG\r\n\x1a\n", ".png"),
)
_HEX = re.compile(r"[0-9a-f]{64}")


class Damaged(EngineError):
    """An attachment whose file is gone from the store or no longer matches its hash."""


@dataclass(frozen=True)
class Stored:
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str


def media_type(data: bytes) -> str | None:
    """The type a file's first bytes say it is, if it is one we take."""
    for kind, magic, _suffix in TYPES:
        if data.startswith(magic):
            return kind
    return None


def clean_name(name: str, kind: str) -> str:
    """A file name fit to show and to offer for download: no directories, no control characters, not too long,
    with the suffix of its real type."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    suffix = next(s for t, _m, s in TYPES if t == kind)
    stem = base[:-len(Path(base).suffix)] if Path(base).suffix else base
    stem = stem[:MAX_NAME - len(suffix)] or "scan"
    return stem + suffix


def path_of(root: Path, sha256: str) -> Path:
    if not _HEX.fullmatch(sha256):
        raise ValueError("not a SHA-256")
    return root / sha256[:2] / sha256


def _write(root: Path, sha256: str, data: bytes) -> None:
    target = path_of(root, sha256)
    if target.exists() and target.stat().st_size == len(data):
        os.utime(target)  # fresh again: a sweep running now must not take it for an orphan
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(session: Session, root: Path, actor: Actor, case: Case, kind: str, filename: str, data: bytes,
        department: str | None = None, now: datetime | None = None, task_id: str | None = None) -> Stored:
    """Keep one scanned file of `case` (at step `task_id`, for a document kept with that step's answer); InvalidInput
    names what is wrong with it (nothing is kept then)."""
    if not data:
        raise InvalidInput(f"{filename or 'the file'} is empty", {"file": "empty"})
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{filename} is {len(data)} bytes; at most {MAX_BYTES} are taken",
                           {"file": f"too_large:{MAX_BYTES // (1024 * 1024)}"})
    found = media_type(data)
    if found is None:
        raise InvalidInput(f"{filename} is not a PDF, JPEG or PNG file", {"file": "type"})
    kind = (kind or "other").strip()[:64] or "other"
    count = len(session.execute(select(Attachment.id).where(Attachment.case_id == case.id)
                                .limit(MAX_PER_CASE)).all())
    if count >= MAX_PER_CASE:
        raise InvalidInput(f"{case.business_key} already has {MAX_PER_CASE} attachments", {"file": "too_many"})
    sha = hashlib.sha256(data).hexdigest()
    _write(root, sha, data)
    now = now or wallclock.now()
    row = Attachment(case_id=case.id, kind=kind, filename=clean_name(filename, found), media_type=found,
                     size=len(data), sha256=sha, uploaded_by=actor.username, department=department, uploaded_at=now,
                     task_id=task_id)
    session.add(row)
    session.flush()
    audit.append(session, [audit.Event("attachment_added", actor.username,
                                       {"attachment": row.id, "kind": kind, "file": row.filename, "size": row.size,
                                        "sha256": sha}, department, case.id, case.business_key)], now)
    return Stored(row.id, row.filename, found, row.size, sha)


def keeping(session: Session, rt, actor: Actor, task_id: str) -> Task:
    """The open step whose answer `actor` may keep documents with: one they may complete (its holder, or anyone who
    may take it while it is unclaimed). Refused while it is with a signer added before its holder (加签: they sign,
    the holder answers; the holder waits for it to come back), and for one kept apart from the step (不相容岗位)."""
    task = holding.held_open_task(session, actor, task_id, "keep documents with")
    separation.require(session, rt, actor.username, task.case_id, task.element_id, StepName.of(task))
    return task


def of_case(session: Session, case_id: int) -> list[Attachment]:
    return list(session.execute(select(Attachment).where(Attachment.case_id == case_id)
                                .order_by(Attachment.id)).scalars())


def of_task(session: Session, task_id: str) -> list[Attachment]:
    """The documents kept at a step, in the order they came: at this task, and at the earlier tasks of the same step
    for the same department in the case (an answer sent back for changes, or asked again, keeps its documents)."""
    task = session.get(Task, task_id)
    if task is None:
        return []
    same = select(Task.id).where(Task.case_id == task.case_id, Task.element_id == task.element_id,
                                 Task.department_code == task.department_code)
    return list(session.execute(select(Attachment).where(Attachment.case_id == task.case_id,
                                                         Attachment.task_id.in_(same))
                                .order_by(Attachment.id)).scalars())


def listed(session: Session, task_id: str) -> list[dict[str, Any]]:
    """The documents kept at a step as its answer records them (`attach` property): [{"id": 7, "file": "x.pdf"}]."""
    return [{"id": row.id, "file": row.filename} for row in of_task(session, task_id)]


def get(session: Session, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(f"attachment {attachment_id} does not exist")
    return row


def read(session: Session, root: Path, actor: Actor, row: Attachment, case: Case,
         department: str | None = None) -> bytes:
    """The file's bytes, checked against its hash; the opening is recorded in the audit log."""
    try:
        data = path_of(root, row.sha256).read_bytes()
    except FileNotFoundError:
        raise Damaged(f"the file of attachment {row.id} ({row.filename}) is missing from the store") from None
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise Damaged(f"the file of attachment {row.id} ({row.filename}) does not match its hash")
    audit.append(session, [audit.Event("attachment_viewed", actor.username,
                                       {"attachment": row.id, "file": row.filename, "sha256": row.sha256},
                                       department, case.id, case.business_key)], wallclock.now())
    return data


def purge_case(session: Session, case_id: int, business_key: str) -> int:
    """Remove a purged case's attachment rows (its files go with the next sweep unless another case shares them)."""
    return session.execute(delete(Attachment).where(Attachment.case_id == case_id)).rowcount or 0


def sweep(session: Session, root: Path, age: float = ORPHAN_AGE) -> int:
    """Remove stored files that no attachment names any more and are older than `age` seconds."""
    if not root.is_dir():
        return 0
    removed = 0
    cutoff = time.time() - age
    for folder in root.iterdir():
        if not folder.is_dir() or len(folder.name) != 2:
            continue
        for item in folder.iterdir():
            try:
                if item.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            if item.name.startswith(".upload-"):
                item.unlink(missing_ok=True)
                removed += 1
            elif _HEX.fullmatch(item.name) and session.execute(
                    select(Attachment.id).where(Attachment.sha256 == item.name).limit(1)).first() is None:
                item.unlink(missing_ok=True)
                removed += 1
    return removed
