"""Signed checkpoints of the audit chain's head, so that rewriting, truncating or forging the log is seen
even by someone who can recompute every hash.

Whoever can write to the database can recompute the whole hash chain after an edit. A checkpoint is the
head (sequence number and hash) at a moment, signed with an Ed25519 key that is kept outside the
database (a file only the worker can read; `JOINTREVIEW_AUDIT_KEY`). The public key is published
(`JOINTREVIEW_AUDIT_PUBLIC_KEY`, in the README of an installation), and checkpoints are also written to a
place outside the database (`--export FILE`, `JOINTREVIEW_AUDIT_CHECKPOINT_FILE`). `verify` checks the
stored and the exported checkpoints against the chain: a signature that fails or comes from another key,
an entry whose hash differs from the one signed (rewritten), an entry or head that no longer reaches a
checkpoint (truncated or deleted).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import wallclock
from .errors import EngineError
from .models import AuditCheckpoint, AuditEntry, AuditHead


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    public_key: str
    signature: str

    def message(self) -> bytes:
        return "\x1f".join(("jointreview-audit-checkpoint", str(self.seq), self.hash, self.at)).encode()


def generate(path: str | Path) -> str:
    """A new signing key written to `path` (readable by its owner only); returns the public key to publish."""
    target = Path(path)
    if target.exists():
        raise EngineError(f"{target} exists already; a signing key is never overwritten")
    key = Ed25519PrivateKey.generate()
    target.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    os.chmod(target, 0o600)
    return public_hex(key)


def load_key(path: str | Path | None) -> Ed25519PrivateKey:
    if not path:
        raise EngineError("no signing key: set JOINTREVIEW_AUDIT_KEY to the key file (jointreview audit keygen)")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise EngineError(f"{path}: not a readable Ed25519 signing key ({exc.__class__.__name__})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EngineError(f"{path}: not an Ed25519 key")
    return key


def public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def sign(session: Session, key: Ed25519PrivateKey, now: datetime | None = None) -> Checkpoint:
    """Sign the chain's head now and store the checkpoint."""
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    if head is None or head.seq == 0:
        raise EngineError("the audit log is empty: nothing to sign yet")
    at = (now or wallclock.now()).isoformat(timespec="seconds")
    unsigned = Checkpoint(head.seq, head.hash, at, public_hex(key), "")
    checkpoint = Checkpoint(head.seq, head.hash, at, unsigned.public_key, key.sign(unsigned.message()).hex())
    session.add(AuditCheckpoint(**asdict(checkpoint)))
    return checkpoint


def export(checkpoint: Checkpoint, path: str | Path) -> None:
    """Append a checkpoint to a file outside the database (one JSON object a line)."""
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(checkpoint), sort_keys=True) + "\n")


def read_file(path: str | Path) -> list[Checkpoint]:
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(Checkpoint(**json.loads(line)))
        except (ValueError, TypeError):
            raise EngineError(f"{path}:{number}: not a checkpoint line") from None
    return out


def stored(session: Session) -> list[Checkpoint]:
    return [Checkpoint(c.seq, c.hash, c.at, c.public_key, c.signature)
            for c in session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars()]


def fingerprint(public_key: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_key)).hexdigest()[:16]


def check(session: Session, checkpoints: list[Checkpoint], trusted: set[str]) -> list[str]:
    """What is wrong with the log against these checkpoints (empty: every checkpoint holds)."""
    problems = []
    head = session.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar() or 0
    for number, cp in enumerate(sorted(checkpoints, key=lambda c: (c.seq, c.at)), 1):
        name = f"checkpoint {number} (#{cp.seq}, signed {cp.at})"
        if trusted and cp.public_key not in trusted:
            problems.append(f"{name}: key mismatch: signed by key {fingerprint(cp.public_key)}, which is not the "
                            f"published key")
            continue
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp.public_key)).verify(bytes.fromhex(cp.signature),
                                                                                   cp.message())
        except (InvalidSignature, ValueError):
            problems.append(f"{name}: the signature does not match (a forged or altered checkpoint)")
            continue
        entry = session.get(AuditEntry, cp.seq)
        if entry is None or head < cp.seq:
            problems.append(f"{name}: truncated before checkpoint {number}: entry #{cp.seq} is gone "
                            f"(the log now ends at #{head})")
        elif entry.hash != cp.hash:
            problems.append(f"{name}: rewritten after checkpoint {number} was signed: entry #{cp.seq} no longer "
                            f"has the signed hash")
    return problems
