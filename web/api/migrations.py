"""Migrating running cases through the API (designers): the dry run and the bulk move (engine/migration.py)."""
from __future__ import annotations

from pydantic import ConfigDict, Field

from engine import migration

from ..context import runtime
from . import api
from .core import Context, Reply
from .schemas import Body, Out

PROCESS = {"process_key": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$", "example": "admission_review"}}


class MigrationRequest(Body):
    """Which cases to move to which version, with renamed steps mapped."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "mapping": {"review_psb": "review_psb_manual"}, "dry_run": True}]})
    mapping: dict[str, str] = Field(default_factory=dict, max_length=200, description="old step id → new step id")
    version: int | None = Field(default=None, ge=1, description="the version to move to (default: the newest)")
    cases: list[str] = Field(default_factory=list, max_length=10000, description="only these cases (default: every "
                                                                                 "case that can move)")
    dry_run: bool = Field(default=True, description="only say which cases can move and why not")


class MigrationCase(Out):
    business_key: str
    from_version: int | None
    steps: list[str] = Field(description="the steps the case waits at")
    movable: bool
    moved: bool
    reasons: list[str] = Field(description="why it cannot move (empty when it can)")


class MigrationResult(Out):
    process: str
    to_version: int
    dry_run: bool
    cases: list[MigrationCase]


@api.operation("POST", "/processes/{process_key}/migrations", tag="processes", roles=("designer",), body=MigrationRequest,
               path_params=PROCESS, problems=(404,), summary="Move running cases to a newer version (dry run first)",
               responses={200: (MigrationResult, "Each case: whether it can move (dry run) or moved, and why not")})
def migrate(ctx: Context, process_key: str) -> Reply:
    """A dry run lists every running case on another version, whether it can move and why not; without
    `dry_run` the cases that can move are moved, each in its own transaction and audit entry."""
    body = ctx.body
    with runtime().db.read() as session:
        target, checks = migration.plan(session, runtime(), process_key, body.mapping, body.version)
    found = {c.business_key: c for c in checks}
    moved = {} if body.dry_run else {m.business_key: m for m in migration.migrate(
        runtime(), ctx.actor, process_key, body.mapping, body.version, body.cases or None)}
    items = []
    for key, check in found.items():
        if body.cases and key not in body.cases:
            continue
        done = moved.get(key)
        items.append(MigrationCase(business_key=key, from_version=check.version, steps=check.steps, movable=check.movable,
                                   moved=bool(done and done.moved), reasons=done.reasons if done else check.reasons))
    return Reply(200, MigrationResult(process=process_key, to_version=target.version, dry_run=body.dry_run, cases=items))
