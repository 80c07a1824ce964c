"""加签 / 减签 on a task: list its added signers, add one before or after oneself, sign as the signer who
has the step, remove a pending signer."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from engine import signers
from engine.errors import NotFound
from engine.models import TaskSigner

from ..context import runtime
from . import api
from .core import Context, Reply
from .schemas import Body, CompletionResult, Out
from .work import STAFF, TASK, _opened, _task

SIGNER = {"signer_id": {"type": "string", "pattern": "^[1-9][0-9]{0,17}$", "example": "7",
                        "description": "the `id` of a signer listed for the task"}}


class Signer(Out):
    id: int = Field(description="pass it to remove this signer (减签)")
    username: str
    position: Literal["before", "after"] = Field(description="before: signs first, then back to the holder; "
                                                             "after: signs the holder's answer before the step is done")
    holder: str
    added_by: str
    reason: str
    state: Literal["pending", "signed", "removed"]
    decision: Literal["agree", "disagree"] | None
    opinion: str | None
    created_at: datetime
    decided_at: datetime | None
    removed_by: str | None
    removed_reason: str | None


class Signers(Out):
    task_id: str
    with_signer: str | None = Field(description="the signer who has the step now, if any")
    signers: list[Signer]


class AddSigner(Body):
    to_user: str = Field(min_length=1, max_length=64, description="a colleague of the task's department who may take it")
    position: Literal["before", "after"]
    reason: str = Field(min_length=1, max_length=signers.MAX_TEXT, examples=["涉及政策口径，请科长把关"])


class Signature(Body):
    decision: Literal["agree", "disagree"]
    opinion: str = Field(default="", max_length=signers.MAX_TEXT, description="required when disagreeing",
                         examples=["同意"])


class RemoveSigner(Body):
    reason: str = Field(min_length=1, max_length=signers.MAX_TEXT, examples=["时限紧，不再会签"])


def _signers(session, task) -> Signers:
    now = signers.current(session, task)
    return Signers(task_id=task.id, with_signer=now.username if now else None,
                   signers=[Signer.model_validate(r) for r in signers.listed(session, task.id)])


@api.operation("GET", "/tasks/{task_id}/signers", tag="tasks", roles=STAFF, path_params=TASK, problems=(403, 404),
               summary="List the signers added to a task (加签)", responses={200: (Signers, "In the order they were added")})
def list_signers(ctx: Context, task_id: str) -> Reply:
    """Every signer added to the step, removed ones included, with what they decided."""
    with runtime().db.read() as session:
        task, _ = _task(session, ctx, task_id)
        return Reply(200, _signers(session, task))


@api.operation("POST", "/tasks/{task_id}/signers", tag="tasks", roles=STAFF, path_params=TASK, body=AddSigner,
               problems=(403, 404, 409), summary="Add a signer before or after oneself (加签)",
               responses={201: (Signers, "The signer was added; before: the step is now with them")})
def add_signer(ctx: Context, task_id: str) -> Reply:
    """Only the holder (or, while unclaimed, a member who may take it, who then holds it) adds signers:
    active colleagues who may take the step, not barred by 不相容岗位; one signer before at a time."""
    with runtime().db.write() as session:
        _task(session, ctx, task_id)
        signers.add(session, runtime(), ctx.actor, task_id, ctx.body.to_user, ctx.body.position, ctx.body.reason)
        task, _ = _task(session, ctx, task_id)
        return Reply(201, _signers(session, task))


@api.operation("POST", "/tasks/{task_id}/sign", tag="tasks", roles=STAFF, path_params=TASK, body=Signature,
               problems=(403, 404, 409), summary="Sign a task as its added signer (加签)",
               responses={200: (CompletionResult, "Signed; when the last signer after agrees the step completes "
                                                  "and the steps it opened are listed")})
def sign(ctx: Context, task_id: str) -> Reply:
    """Only the signer who has the step now signs. Agree passes it on (back to the holder, to the next
    signer, or completes the step); disagree (with an opinion) returns it to the holder."""
    with runtime().db.write() as session:
        _task(session, ctx, task_id)
        outcome = signers.sign(session, runtime(), ctx.actor, task_id, ctx.body.decision, ctx.body.opinion)
        return Reply(200, CompletionResult(task_id=task_id, business_key=outcome.business_key,
                                           case_status=outcome.status, error=outcome.error,
                                           opened=_opened(session, outcome)))


@api.operation("POST", "/signers/{signer_id}/removal", tag="tasks", roles=STAFF, path_params=SIGNER,
               body=RemoveSigner, problems=(403, 404, 409), summary="Remove a pending signer (减签)",
               responses={200: (CompletionResult, "Removed; the step moved on if it was with them")})
def remove_signer(ctx: Context, signer_id: str) -> Reply:
    """A supervisor of the step's department, or the one who added the signer, removes them with a reason."""
    signer_id = int(signer_id)
    with runtime().db.write() as session:
        row = session.get(TaskSigner, signer_id)
        try:
            if row is None:
                raise NotFound(f"no added signer #{signer_id}")
            _task(session, ctx, row.task_id)
        except NotFound:  # one who may not see the step: the same answer as for no signer
            raise NotFound(f"no added signer #{signer_id}") from None
        outcome = signers.remove(session, runtime(), ctx.actor, signer_id, ctx.body.reason)
        return Reply(200, CompletionResult(task_id=row.task_id, business_key=outcome.business_key,
                                           case_status=outcome.status, error=outcome.error,
                                           opened=_opened(session, outcome)))
