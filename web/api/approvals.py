"""Approval actions of Chinese offices on a task: 退回 (send back to an earlier step, with a reason),
撤回 (take back a step one completed while the next step is unclaimed), 催办 (urge its holder), 转办, 委派 and
退回重办 (a delegate's answer sent back to them to redo)."""
from __future__ import annotations

from datetime import datetime

from pydantic import Field

from engine import delegation, sendback, transfers, urges, withdrawal

from ..context import runtime
from . import api
from .core import Context, Reply
from .portal import department_names
from .schemas import TASK_PATTERN, Body, CompletionResult, Out, TaskSummary
from .work import STAFF, TASK, _opened, _summary, _task, visible_task


class SendBackTarget(Out):
    target: str = Field(description="pass this as `target` to send the task back to that step")
    step: str
    element_id: str
    department: str
    department_name: str
    completed_by: str | None
    completed_at: datetime | None


class SendBackTargets(Out):
    task_id: str
    targets: list[SendBackTarget] = Field(description="earlier steps of the path the case took, nearest first")


class SendBack(Body):
    target: str = Field(pattern=TASK_PATTERN, description="one of the targets listed for the task")
    reason: str = Field(min_length=1, max_length=sendback.MAX_REASON, description="why; shown to the earlier step",
                        examples=["缺少户籍证明，请补充后重新审核"])


@api.operation("GET", "/tasks/{task_id}/send-back", tag="tasks", roles=STAFF, path_params=TASK, problems=(404, 409),
               summary="List the steps a task can be sent back to (退回)",
               responses={200: (SendBackTargets, "The earlier steps this task may return the case to")})
def send_back_targets(ctx: Context, task_id: str) -> Reply:
    """The earlier user tasks on the path that led to this task (a designer may limit them per step)."""
    with runtime().db.write() as session:
        _task(session, ctx, task_id)
        found = sendback.targets(session, runtime(), ctx.actor, task_id)
        names = department_names(session)
    return Reply(200, SendBackTargets(task_id=task_id, targets=[
        SendBackTarget(target=t.task_id, step=t.name, element_id=t.element_id, department=t.department_code,
                       department_name=names.get(t.department_code, t.department_code), completed_by=t.completed_by,
                       completed_at=t.closed_at) for t in found]))


@api.operation("POST", "/tasks/{task_id}/send-back", tag="tasks", roles=STAFF, path_params=TASK, body=SendBack,
               idempotent=True, problems=(404, 409), summary="Send a task back to an earlier step (退回)",
               responses={200: (CompletionResult, "Sent back; the earlier step is open again with the reason")})
def send_back(ctx: Context, task_id: str) -> Reply:
    """Return the case to an earlier step with a reason: this task and the steps in between are
    withdrawn, the data submitted from that step on no longer counts (it stays in the case history)."""
    with ctx.write() as session:
        _task(session, ctx, task_id)
        outcome = sendback.send_back(session, runtime(), ctx.actor, task_id, ctx.body.target, ctx.body.reason)
        reply = Reply(200, CompletionResult(task_id=task_id, business_key=outcome.business_key,
                                            case_status=outcome.status, error=outcome.error,
                                            opened=_opened(session, outcome)))
        return ctx.remember(session, reply, outcome.business_key)


@api.operation("POST", "/tasks/{task_id}/withdraw", tag="tasks", roles=STAFF, path_params=TASK,
               problems=(403, 404, 409, 422),
               idempotent=True, summary="Take back a step one completed (撤回)",
               responses={200: (CompletionResult, "Taken back; the step is open again, claimed by this token's user")})
def withdraw(ctx: Context, task_id: str) -> Reply:
    """Only the person who completed the step may, and only while every step it led to is unclaimed
    (409 once one is claimed: ask that step to send the case back instead)."""
    with ctx.write() as session:
        _task(session, ctx, task_id)
        outcome = withdrawal.withdraw(session, runtime(), ctx.actor, task_id)
        reply = Reply(200, CompletionResult(task_id=task_id, business_key=outcome.business_key,
                                            case_status=outcome.status, error=outcome.error,
                                            opened=_opened(session, outcome)))
        return ctx.remember(session, reply, outcome.business_key)


class Urge(Body):
    note: str = Field(default="", max_length=urges.MAX_NOTE, description="shown to the holder",
                      examples=["申请人今日来电询问进度"])


class Urged(Out):
    task_id: str
    times: int = Field(description="how often the task has been urged so far")


@api.operation("POST", "/tasks/{task_id}/urge", tag="tasks", roles=STAFF, path_params=TASK, body=Urge,
               problems=(403, 404, 409), summary="Urge the holder of an open task (催办)",
               responses={200: (Urged, "Urged; the holder (or the department, while unclaimed) is notified")})
def urge(ctx: Context, task_id: str) -> Reply:
    """Supervisors of the task's department and the departments taking part in the case may urge; the same
    person urges the same task at most once every four hours, and at most JOINTREVIEW_URGES_PER_HOUR tasks (default
    30) in any hour (409, naming the limit); a step already finished is not urged (409)."""
    with runtime().db.write() as session:
        visible_task(session, ctx, task_id)  # one who may not see the case: as for no task
        times = urges.urge(session, ctx.actor, task_id, ctx.body.note, per_hour=runtime().urges_per_hour)
    return Reply(200, Urged(task_id=task_id, times=times))


class Transfer(Body):
    to_user: str = Field(min_length=1, max_length=64, description="a colleague of the task's department who may take it")
    reason: str = Field(min_length=1, max_length=transfers.MAX_REASON, examples=["出差三天，转同事办理"])


@api.operation("POST", "/tasks/{task_id}/transfer", tag="tasks", roles=STAFF, path_params=TASK, body=Transfer,
               problems=(403, 404, 409), summary="Transfer a task to a colleague (转办)",
               responses={200: (TaskSummary, "The task, now held by the colleague")})
def transfer(ctx: Context, task_id: str) -> Reply:
    """Only the holder (or, while unclaimed, a member who may take it) transfers, to an active colleague
    who may take the task and is not barred by 不相容岗位; the colleague is notified."""
    with runtime().db.write() as session:
        _task(session, ctx, task_id)
        transfers.transfer(session, runtime(), ctx.actor, task_id, ctx.body.to_user, ctx.body.reason)
        task, case = _task(session, ctx, task_id)
        return Reply(200, TaskSummary(**_summary(task, case.business_key, ctx.actor)))


class Delegate(Body):
    to_user: str = Field(min_length=1, max_length=64, description="a colleague of the task's department who may take it")
    note: str = Field(default="", max_length=delegation.MAX_NOTE, examples=["请先核对申请材料"])


@api.operation("POST", "/tasks/{task_id}/delegate", tag="tasks", roles=STAFF, path_params=TASK, body=Delegate,
               problems=(403, 404, 409), summary="Delegate a task to a colleague (委派)",
               responses={200: (TaskSummary, "The task, now with the colleague; their answer comes back to confirm")})
def delegate(ctx: Context, task_id: str) -> Reply:
    """The colleague's completion does not complete the step: it goes back to the delegator, who confirms
    it with their own completion."""
    with runtime().db.write() as session:
        _task(session, ctx, task_id)
        delegation.delegate(session, runtime(), ctx.actor, task_id, ctx.body.to_user, ctx.body.note)
        task, case = _task(session, ctx, task_id)
        return Reply(200, TaskSummary(**_summary(task, case.business_key, ctx.actor)))


class ReturnToDelegate(Body):
    reason: str = Field(min_length=1, max_length=delegation.MAX_NOTE, description="why; shown to the delegate",
                        examples=["请补充参保年限的依据"])


@api.operation("POST", "/tasks/{task_id}/return-to-delegate", tag="tasks", roles=STAFF, path_params=TASK,
               body=ReturnToDelegate, problems=(403, 404, 409), summary="Send a delegate's answer back to redo (退回重办)",
               responses={200: (TaskSummary, "The task, with the delegate again; their answer stays for them to change")})
def return_to_delegate(ctx: Context, task_id: str) -> Reply:
    """Only the holder a delegate's answer came back to (委派办结待确认) may, with a reason; 409 when the step holds no
    such answer or the delegate can no longer take it."""
    with runtime().db.write() as session:
        _task(session, ctx, task_id)
        delegation.send_back_to_delegate(session, ctx.actor, task_id, ctx.body.reason)
        task, case = _task(session, ctx, task_id)
        return Reply(200, TaskSummary(**_summary(task, case.business_key, ctx.actor)))
