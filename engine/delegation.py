"""委派 (delegate): the holder of a task lets a colleague do the work; what the colleague submits comes
back to the holder, who confirms it (or changes it) and completes the step, or sends it back to the colleague to
redo with a reason (退回重办). All of it is recorded, and the step counts as done by the one who confirmed it."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from . import audit, notices, separation, wallclock
from .errors import Conflict, InvalidInput, Message, PermissionDenied, StepName, catalogue
from .models import AuditEntry, Case, Task
from .routing import Actor
from .runtime import Runtime
from .steps import Outcome
from .holding import able, colleagues, draft, held_open_task, named, text

MAX_NOTE = 500
MESSAGES = catalogue({
    "delegated_already": "task {task!r} is already delegated by {user}",
    "delegation_raced": "task {task!r} changed just now; nothing was delegated",
    "redo_reason": "sending an answer back to the delegate needs a reason",
    "redo_no_answer": "task {task!r} holds no delegate's answer to send back",
    "redo_delegate_gone": "{user} can no longer take {task!r}; confirm the answer or delegate the step afresh",
    "redo_raced": "task {task!r} changed just now; nothing was sent back",
    "own_answer": "{user} did {task!r} as a delegate (委派), so someone other than {user} must confirm it",
})


def _now() -> datetime:
    return wallclock.now()


def delegate(session: Session, rt: Runtime, actor: Actor, task_id: str, to_user: str, note: str = "") -> Task:
    """Let a colleague who may take the task do the work; it comes back to `actor` to confirm."""
    note = text(note, "note", "", MAX_NOTE, required=False)
    task = held_open_task(session, actor, task_id, "delegate")
    if task.delegated_by is not None:
        raise Conflict(Message("delegated_already", task=StepName.of(task), user=task.delegated_by))
    if to_user not in {name for name, _ in colleagues(session, task, actor.username)}:
        raise InvalidInput(Message("cannot_take", user=named(to_user), task=StepName.of(task)),
                           {"to_user": Message("not_able", role=task.role, department=task.department_code)})
    # they will confirm
    separation.require(session, rt, actor.username, task.case_id, task.element_id, StepName.of(task))
    now = _now()
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.delegated_by.is_(None),
                                               or_(Task.assignee.is_(None), Task.assignee == task.assignee))
                            .values(assignee=to_user, claimed_at=now, delegated_by=actor.username,
                                    draft=task.draft if _kept(task) else None,
                                    draft_kind=task.draft_kind if _kept(task) else None),
                            execution_options={"synchronize_session": False})
    if moved.rowcount != 1:
        raise Conflict(Message("delegation_raced", task=StepName.of(task)))
    key = session.execute(select(Case.business_key).where(Case.id == task.case_id)).scalar_one()
    audit.append(session, [audit.Event("task_delegated", actor.username, {"task": task.name, "element": task.element_id,
                                                                          "to": to_user, "note": note},
                                       task.department_code, task.case_id, key, task_id)], now)
    notices.notify(session, [to_user], "delegated", key, task_id,
                   {"step": StepName.of(task), "by": actor.display_name or actor.username, "note": note}, now)
    session.expire(task)
    return session.get(Task, task_id)


def _kept(task: Task) -> bool:
    """Whether a step's draft is what its holder typed (暂存, or kept when adding a signer): it goes with the step to
    the delegate; a former delegate's answer does not."""
    kept = draft(task)
    return kept is not None and kept[0] in ("self", "signer")


def hand_back(session: Session, actor: Actor, task, case_id: int, values: dict) -> Outcome:
    """The delegate's answer (already checked against the form) goes back to the delegator to confirm, whoever sent it
    for the delegate (their deputy, 代理, too). A delegator who can no longer take the step (no longer active, or
    no longer of its department and role) cannot confirm it: it goes to the department's queue instead, unclaimed,
    for whoever takes it to confirm (event "delegation_returned_to_queue")."""
    now = _now()
    delegator = task.delegated_by
    gone = delegator not in {name for name, _ in able(session, task.department_code, task.role)}
    held = Task.assignee == task.assignee if task.assignee is not None else Task.assignee.is_(None)
    answer = {"by": actor.username, "values": values}
    if task.assignee not in (None, actor.username):  # a deputy standing in for the delegate: an author too
        answer["for"] = task.assignee
    moved = session.execute(update(Task).where(Task.id == task.id, Task.state == "open", held,
                                               Task.delegated_by == delegator)
                            .values(assignee=None if gone else delegator, delegated_by=None,
                                    claimed_at=None if gone else now,
                                    draft=json.dumps(answer, ensure_ascii=False, default=str), draft_kind="delegate"),
                            execution_options={"synchronize_session": False})
    if moved.rowcount != 1:
        raise Conflict(Message("task_changed_now", task=StepName.of(task)))
    event = "delegation_returned_to_queue" if gone else "delegation_returned"
    details = {"task": task.name, "element": task.element_id, "data": values,
               **({"delegated_by": delegator} if gone else {"to": delegator})}
    if "for" in answer:
        details["acting_for"] = answer["for"]
    audit.append(session, [audit.Event(event, actor.username, details, task.department_code, case_id,
                                       task.business_key, task.id)], now)
    said = {"step": StepName.of(task), "by": actor.display_name or actor.username}
    if gone:  # those who may take it from the queue and confirm it: not its authors (`authors_of`)
        others = {name for name, _ in able(session, task.department_code, task.role)} - authors_of(answer)
        notices.notify(session, others, "delegation_queued", task.business_key, task.id, said, now)
    else:
        notices.notify(session, [delegator], "delegation_returned", task.business_key, task.id, said, now)
    return Outcome(case_id, task.business_key, "running", [], [], [event], None)


def not_its_author(session: Session, actor: Actor, task) -> None:
    """Refuse `actor` the claim or completion of a step holding their own answer as a delegate, to confirm (a
    delegated answer is confirmed by someone other than its author: four-eyes). `task`: cases.TaskRef; only such a
    step's draft is read. 改派 gives the step outright (the answer becomes a saved text), so it is not refused."""
    if task.draft_kind == "delegate" and authored(session.get(Task, task.id), actor.username):
        raise PermissionDenied(Message("own_answer", user=actor.username, task=StepName.of(task)))


def authored(task, username: str) -> bool:
    """Whether the open step holds, to confirm, an answer `username` is an author of as a delegate (委派,
    `authors_of`): not theirs to confirm (`not_its_author`), nor to claim from the queue (the inbox asks
    `authored_among`, the API and the task page ask this). `task`: a Task, or a row of its state, draft, draft_kind,
    delegated_by and signing."""
    kept = draft(task) if task.delegated_by is None and task.signing is None else None
    return kept is not None and kept[0] == "delegate" and username in authors_of(kept[1])


def authors_of(answer: dict) -> set[str]:
    """The authors of a delegate's answer (a draft's {"by", "for"?, "values"}), for four-eyes: who typed it and, when
    a deputy (代理) typed it, the delegate they stood in for, on whose behalf it was given. An answer kept before
    "for" was recorded names only who typed it."""
    return {name for name in (answer.get("by"), answer.get("for")) if name}


def author(task) -> str | None:
    """The delegate (委派) whose answer the open step holds for confirmation, whoever typed it for them
    (`delegate_of`; `task` as for `authored`)."""
    kept = draft(task) if task.delegated_by is None and task.signing is None else None
    return delegate_of(kept[1]) if kept is not None and kept[0] == "delegate" else None


def delegate_of(answer: dict) -> str:
    """The delegate a delegate's answer (a draft's {"by", "for"?, "values"}) is from: the one the step was delegated
    to, whoever typed it for them (their deputy, 代理); a send-back (退回重办) goes to them."""
    return answer.get("for") or answer["by"]


def unchanged(task) -> list:
    """Column expressions: the step's 委派 is as `task` (cases.TaskRef) read it (a write guarded so loses a race)."""
    return [Task.delegated_by.is_(None) if task.delegated_by is None else Task.delegated_by == task.delegated_by,
            Task.draft_kind.is_(None) if task.draft_kind is None else Task.draft_kind == task.draft_kind]


def ended(session: Session, task) -> tuple[dict, dict]:
    """改派 gives a step to its new holder outright: a 委派 of it (out with the delegate, or their answer back with
    the delegator to confirm) ends. The columns that end it, and what the audit entry records of it (who had
    delegated it, and to whom); nothing for a step nobody delegated (`task`: cases.TaskRef). The delegate's answer,
    to confirm or sent back to them to redo, stays in the form as a saved answer (暂存) of theirs, from when they
    submitted it; what anyone saved (暂存) stays as it was."""
    confirming = task.delegated_by is None and task.draft_kind == "delegate"
    if task.delegated_by is None and not confirming:
        return {}, {}
    kind, kept = draft(session.execute(select(Task.draft, Task.draft_kind, Task.state)
                                       .where(Task.id == task.id)).one()) or (None, {})
    delegate = delegate_of(kept) if kind in ("delegate", "returned") else task.assignee  # not their deputy
    values, recorded = {"delegated_by": None}, {"delegation_ended": task.delegated_by, "delegate": delegate}
    if kind in ("delegate", "returned"):
        back = session.execute(select(AuditEntry.event, AuditEntry.at).where(
            AuditEntry.case_id == task.case_id, AuditEntry.task_id == task.id,
            AuditEntry.event.in_(("delegation_returned", "delegation_returned_to_queue")))
            .order_by(AuditEntry.seq.desc()).limit(1)).first()
        values.update(draft=json.dumps({"by": delegate, "at": (back.at if back else _now()).isoformat(),
                                        "values": kept["values"]}, ensure_ascii=False, default=str), draft_kind="self")
        if confirming and back is not None and back.event == "delegation_returned":  # not one left in the queue
            recorded["delegation_ended"] = task.assignee
    return values, recorded if recorded["delegation_ended"] else {}


def to_confirm():
    """A column expression: the open step holds a delegate's answer for its holder to confirm. It reads
    `draft_kind`, not the draft, whose text holds the form's own field names and values."""
    return and_(Task.draft_kind == "delegate", Task.delegated_by.is_(None), Task.signing.is_(None))


def out_with_delegate(holder: str) -> list:
    """Column expressions, one for each index to read by: the open steps `holder` has out with a delegate, those
    the delegate is still working on and those whose answer came back for `holder` to confirm (委派办结待确认)."""
    return [Task.delegated_by == holder, and_(Task.assignee == holder, to_confirm())]


def answered_by(session: Session, task_ids: list[str]) -> dict[str, str]:
    """task id → the delegate whose answer each of these steps holds for confirmation (a page's worth)."""
    return {row.id: author(row) for row in _confirming(session, task_ids)}


def authored_among(session: Session, task_ids: list[str], username: str) -> set[str]:
    """The ids of those of these steps (a page's worth) that hold `username`'s own answer as a delegate, to confirm
    (`authored`): someone else claims and confirms them."""
    return {row.id for row in _confirming(session, task_ids) if authored(row, username)}


def _confirming(session: Session, task_ids: list[str]) -> list:
    """The rows `author` reads of those of these steps that hold a delegate's answer for confirmation."""
    return session.execute(select(Task.id, Task.state, Task.draft, Task.draft_kind, Task.delegated_by, Task.signing)
                           .where(Task.id.in_(sorted(set(task_ids))), to_confirm())).all()


def send_back_to_delegate(session: Session, actor: Actor, task_id: str, reason: str) -> Task:
    """退回重办: the delegate's answer waiting for confirmation goes back to the delegate with a reason (required);
    their answer stays in the form for them to change, and what they submit comes back to the holder again."""
    reason = text(reason, "reason", Message("redo_reason"), MAX_NOTE)
    task = held_open_task(session, actor, task_id, "send back")
    answer, kept = draft_of(task), draft(task)
    if task.assignee is None or task.signing is not None or answer is None or kept[0] != "delegate":  # 加签's is not
        raise Conflict(Message("redo_no_answer", task=StepName.of(task)))
    holder, to_user = task.assignee, delegate_of(answer)
    if to_user not in {name for name, _ in colleagues(session, task, holder)}:
        raise Conflict(Message("redo_delegate_gone", user=to_user, task=StepName.of(task)))
    now = _now()
    kept = json.dumps({"by": to_user, "at": now.isoformat(), "values": answer["values"]}, ensure_ascii=False,
                      default=str)
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.assignee == holder,
                                               Task.delegated_by.is_(None), Task.signing.is_(None),
                                               Task.draft == task.draft)
                            .values(assignee=to_user, claimed_at=now, delegated_by=holder, draft=kept,
                                    draft_kind="returned"),
                            execution_options={"synchronize_session": False})
    if moved.rowcount != 1:
        raise Conflict(Message("redo_raced", task=StepName.of(task)))
    key = session.execute(select(Case.business_key).where(Case.id == task.case_id)).scalar_one()
    details = {"task": task.name, "element": task.element_id, "to": to_user, "reason": reason}
    if actor.username != holder:
        details["acting_for"] = holder
    audit.append(session, [audit.Event("delegation_sent_back", actor.username, details, task.department_code,
                                       task.case_id, key, task_id)], now)
    notices.notify(session, [to_user], "delegation_sent_back", key, task_id,
                   {"step": StepName.of(task), "by": actor.display_name or actor.username, "reason": reason}, now)
    session.expire(task)
    return session.get(Task, task_id)


def returned(task: Task) -> dict | None:
    """{"by", "at", "values"} of a delegate's own answer sent back to them to redo (退回重办), while the step is with
    them and they have not saved (暂存) anything over it."""
    kept = draft(task) if task.delegated_by is not None else None
    return kept[1] if kept and kept[0] == "returned" else None


def redo_reason(session: Session, task: Task) -> dict | None:
    """{"by", "at", "reason"} of the send-back (退回重办) that gave the delegate this step again, while it is with them
    (read from the audit log: what they save (暂存) meanwhile does not hide it)."""
    if task.state != "open" or task.delegated_by is None:
        return None
    row = session.execute(select(AuditEntry.event, AuditEntry.actor, AuditEntry.at, AuditEntry.details)
                          .where(AuditEntry.case_id == task.case_id, AuditEntry.task_id == task.id,
                                 AuditEntry.event.in_(("task_delegated", "delegation_sent_back")))
                          .order_by(AuditEntry.seq.desc()).limit(1)).first()
    if row is None or row.event != "delegation_sent_back":
        return None
    return {"by": row.actor, "at": row.at, "reason": json.loads(row.details or "{}").get("reason", "")}


def draft_of(task: Task) -> dict | None:
    """{"by", "values"} of a delegate's answer waiting for confirmation, or of what the holder typed before adding a
    signer (its `draft_kind` "signer"), if any; an answer saved for later (暂存) is engine/saving.py's `saved`."""
    kept = draft(task) if task.delegated_by is None else None
    return kept[1] if kept and kept[0] in ("delegate", "signer") else None
