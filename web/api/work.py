"""Department systems' operations: their task queue, claiming and completing tasks, and formal
inquiries between departments (start one, answer one)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases, delegation
from engine.errors import NotFound, PermissionDenied
from engine.models import Case, Task
from engine.routing import ROLE_RANK, Actor
from workflows import inquiries

from ..cases import may_open
from ..context import runtime
from ..inbox import delegated_parts, merged_by_due, mine_parts, queue_parts, signing_part
from ..privacy import glossary_of, masked_error, personal_shown, visible_data
from ..tasks import form_and_data
from . import api
from .core import Context, Reply
from .inputs import decode_cursor, encode_cursor
from .portal import REPLAYED, department_names
from .schemas import (KEY_PATTERN, TASK_PATTERN, Completion, CompletionResult, InquiryAnswer, InquiryRequest, InquiryStarted,
                      OpenedTask, TaskDetail, TaskPage, TaskQuery, TaskSummary)

STAFF = tuple(ROLE_RANK)
INQUIRY_KEY = {"business_key": {"type": "string", "pattern": KEY_PATTERN, "maxLength": 64, "example": "INQ-2026-000042"}}
TASK = {"task_id": {"type": "string", "pattern": TASK_PATTERN, "example": "0b7e5a52-6f0e-4f57-a9c4-4d1b9c2f8e11"}}


def _summary(task: Task, business_key: str, actor: Actor) -> dict[str, Any]:
    """A task as the API lists it to `actor` (`own_answer`: the engine's four-eyes rule of 委派, delegation.authored)."""
    return dict(id=task.id, name=task.name, element_id=task.element_id, process=task.process_key,
                business_key=business_key, department=task.department_code, role=task.role, assignee=task.assignee,
                created_at=task.created_at, due_at=task.due_at, escalated=task.escalated_at is not None,
                due_provisional=not runtime().calendar.is_confirmed(task.due_at),
                with_signer=task.assignee if task.signing == "signer" else None,
                own_answer=delegation.authored(task, actor.username))


def _task(session: Session, ctx: Context, task_id: str) -> tuple[Task, Case]:
    """The task and its case for a token of the task's department; 403 to one who may see the case but not the task,
    and to anyone else exactly the answer of a task that is not there (they learn neither that it exists nor whose
    it is)."""
    task, case = visible_task(session, ctx, task_id)
    if ctx.actor.rank_in(task.department_code) == 0:
        raise PermissionDenied(f"task {task_id} belongs to {task.department_code}; this token is for {ctx.department}")
    return task, case


def visible_task(session: Session, ctx: Context, task_id: str) -> tuple[Task, Case]:
    """The task and its case if the token's user may open the case (as on the case page), else 404 as for no task."""
    task = session.get(Task, task_id)
    case = session.get(Case, task.case_id) if task is not None else None
    if case is None or not may_open(session, case, ctx.actor):
        raise NotFound(f"no task {task_id}")
    return task, case


def _error(session: Session, ctx: Context, outcome: cases.Outcome) -> str | None:
    """Why the case stopped, the case's personal values masked as this token reads them elsewhere."""
    if not outcome.error:
        return None
    return masked_error(outcome.error, session.get(Case, outcome.case_id), ctx.actor, db_session=session)


def _opened(session: Session, outcome: cases.Outcome) -> list[OpenedTask]:
    names = department_names(session)
    return [OpenedTask(task_id=row["id"], step=row["name"], department=row["department_code"],
                       department_name=names.get(row["department_code"], row["department_code"]), due_at=row["due_at"])
            for row in outcome.opened]


@api.operation("GET", "/tasks", tag="tasks", roles=STAFF, query=TaskQuery, summary="List the department's open tasks",
               responses={200: (TaskPage, "Open tasks this token may take, soonest due first")})
def list_tasks(ctx: Context) -> Reply:
    """Open tasks of the token's department that its role may take: the unclaimed queue, the tasks the
    token's user claimed (with those of theirs now with a signer they added before themselves, 前加签: `with_signer`
    names who has it), or both (`view=all`); or (`view=delegated`) those the token's user has out with a delegate
    (委派) or back from one to confirm, with `delegate`, `delegate_done` and `delegated_since`. `own_answer` marks a
    step in the queue holding the token's user's own answer as a delegate: someone else claims and confirms it.
    Paged with `cursor`."""
    q = ctx.query
    after = decode_cursor(q.cursor, datetime, str) or (None, None)
    stmt = select(Task, Case.business_key).join(Case, Case.id == Task.case_id).where(Task.state == "open")
    if q.process:
        stmt = stmt.where(Task.process_key == q.process)
    parts = (queue_parts(stmt, ctx.actor) if q.view in ("queue", "all") else []) + \
        (mine_parts(stmt, ctx.actor, [ctx.actor.username]) + [signing_part(stmt, ctx.actor, [ctx.actor.username])]
         if q.view in ("mine", "all") else []) + \
        (delegated_parts(stmt, ctx.actor, [ctx.actor.username]) if q.view == "delegated" else [])
    rows = merged_by_due(parts, *after, q.limit + 1, task_of=lambda r: r[0])
    more = len(rows) > q.limit
    rows = rows[:q.limit]
    cursor = None
    if more:
        last = rows[-1][0]
        cursor = encode_cursor([last.due_at.isoformat() if last.due_at else None, last.id])
    return Reply(200, TaskPage(items=[TaskSummary(**_summary(t, key, ctx.actor),
                                                  **(_delegation(t) if q.view == "delegated" else {}))
                                      for t, key in rows], next_cursor=cursor))


def _delegation(task: Task) -> dict[str, Any]:
    """Who has a step one delegated (or answered it, 委派办结待确认), and since when."""
    answer = delegation.draft_of(task)
    return dict(delegate=delegation.delegate_of(answer) if answer else task.assignee, delegate_done=answer is not None,
                delegated_since=task.claimed_at)


@api.operation("GET", "/tasks/{task_id}", tag="tasks", roles=STAFF, path_params=TASK, problems=(404,),
               summary="Read a task with its form and case data",
               responses={200: (TaskDetail, "The task, the fields to submit and the case data the department may see")})
def get_task(ctx: Context, task_id: str) -> Reply:
    """The form to fill in and the case data the department may see. Personal data is masked for
    reviewers (as on the task page); other departments' findings are left out."""
    with runtime().db.read() as session:
        task, case = _task(session, ctx, task_id)
    fields, data = form_and_data(task, case)
    form = [dict(id=f.id, label=f.label, type=f.type, required=f.required, readonly=f.readonly, default=f.default,
                 options=[dict(id=o, name=n) for o, n in f.options or [(a, n) for a, n in f.choices if n]],
                 constraints={k: "true" if v is None else str(v) for k, v in f.constraints.items()}) for f in fields]
    shown = visible_data(data, ctx.actor, case.business_key, glossary_of(case, task.element_id), revealed=set(),
                         here=task.department_code)
    read = personal_shown(shown)
    if read:
        with runtime().db.write() as session:
            cases.note(session, ctx.actor, case.business_key, "data_read", {"fields": read, "task": task.name})
    return Reply(200, TaskDetail(**_summary(task, case.business_key, ctx.actor), state=task.state, form=form, data=shown))


@api.operation("POST", "/tasks/{task_id}/claim", tag="tasks", roles=STAFF, path_params=TASK, problems=(404, 409),
               summary="Claim a task", responses={200: (TaskSummary, "The task, now assigned to this token's user")})
def claim(ctx: Context, task_id: str) -> Reply:
    """Take an unclaimed task; of two racing claims exactly one wins, the other gets 409. A task holding the
    token's user's own answer as a delegate (`own_answer`, 委派) is someone else's to claim: 403, code own_answer."""
    return _assign(ctx, task_id, cases.claim)


@api.operation("POST", "/tasks/{task_id}/release", tag="tasks", roles=STAFF, path_params=TASK, problems=(404, 409),
               summary="Release a claimed task", responses={200: (TaskSummary, "The task, back in the queue")})
def release(ctx: Context, task_id: str) -> Reply:
    """Give a claimed task back to the department queue (its assignee or a supervisor may)."""
    return _assign(ctx, task_id, cases.release)


def _assign(ctx: Context, task_id: str, action) -> Reply:
    with runtime().db.write() as session:
        _task(session, ctx, task_id)
        action(session, runtime(), ctx.actor, task_id)
        task, case = _task(session, ctx, task_id)
        return Reply(200, TaskSummary(**_summary(task, case.business_key, ctx.actor)))


@api.operation("POST", "/tasks/{task_id}/complete", tag="tasks", roles=STAFF, path_params=TASK, body=Completion,
               idempotent=True, problems=(404, 409), summary="Complete a task",
               responses={200: (CompletionResult, "Done; the case ran on to its next steps")},
               response_headers={200: REPLAYED})
def complete(ctx: Context, task_id: str) -> Reply:
    """Submit the task's form. Values are checked field by field (422 lists each bad field); the case
    then runs on, and the steps it opened are returned. With an Idempotency-Key, a retry after a lost
    answer gets the same answer instead of a 409."""
    with ctx.write() as session:
        _task(session, ctx, task_id)
        outcome = cases.complete(session, runtime(), ctx.actor, task_id, dict(ctx.body.values))
        held = {"sent_for_signature": "signature", "delegation_returned": "confirmation",
                "delegation_returned_to_queue": "confirmation"}
        reply = Reply(200, CompletionResult(task_id=task_id, business_key=outcome.business_key,
                                            case_status=outcome.status, error=_error(session, ctx, outcome),
                                            opened=_opened(session, outcome),
                                            held_for=held.get(outcome.events[0]) if len(outcome.events) == 1 else None))
        return ctx.remember(session, reply, outcome.business_key)


@api.operation("POST", "/inquiries", tag="inquiries", roles=STAFF, body=InquiryRequest, idempotent="required",
               problems=(404, 409), summary="Send a formal inquiry to another department",
               responses={201: (InquiryStarted, "The inquiry was sent; the other department must answer")},
               response_headers={201: REPLAYED})
def start_inquiry(ctx: Context) -> Reply:
    """Start a formal inquiry (部门函询) from the token's department: the letter is drafted and sent in
    one step, and the answer is due in `reply_days` working days."""
    body = ctx.body
    with ctx.write() as session:
        started, sent = inquiries.send(session, runtime(), ctx.actor, ctx.department, body.target_department, body.case_ref,
                                       {"inquiry_subject": body.inquiry_subject, "questions": body.questions,
                                        "reply_days": body.reply_days})
        reply = Reply(201, InquiryStarted(business_key=started.business_key, target_department=body.target_department,
                                          opened=_opened(session, sent)))
        return ctx.remember(session, reply, started.business_key)


@api.operation("POST", "/inquiries/{business_key}/answer", tag="inquiries", roles=STAFF, body=InquiryAnswer,
               path_params=INQUIRY_KEY, idempotent=True, problems=(404, 409), summary="Answer a formal inquiry",
               responses={200: (CompletionResult, "The answer was submitted")}, response_headers={200: REPLAYED})
def answer_inquiry(ctx: Context, business_key: str) -> Reply:
    """Answer an inquiry addressed to the token's department (the 拟写答复 step): claimed and completed
    in one go. 409 when the inquiry is not waiting for this department's answer."""
    with ctx.write() as session:
        case = session.execute(select(Case).where(Case.business_key == business_key)).scalar_one_or_none()
        if case is None or not may_open(session, case, ctx.actor):  # one who may not see it: as for no inquiry
            raise NotFound(f"no inquiry {business_key}")
        task_id, outcome = inquiries.answer(session, runtime(), ctx.actor, ctx.department, business_key,
                                            ctx.body.model_dump(exclude_none=True))
        reply = Reply(200, CompletionResult(task_id=task_id, business_key=business_key, case_status=outcome.status,
                                            error=_error(session, ctx, outcome), opened=_opened(session, outcome)))
        return ctx.remember(session, reply, business_key)
