"""加签 / 减签: the holder of a step adds a signer before or after themselves; a supervisor (or the holder
who added them) removes a pending signer. Every change needs a reason.

Rules:
- Signers are active colleagues who may take the step (its department, at least its role), not the holder,
  and not someone kept apart from the step (不相容岗位). Any user task can take them, each instance of a
  会签 (multi-instance) task included.
- **Before (前加签)**: the step goes to the signer at once; they sign (agree or disagree, with an opinion) and
  it comes back to the holder, who then completes it. One signer before at a time. What the holder had typed
  in the form is kept as the step's draft (Task.draft, as 委派 keeps a delegate's answer): the signer reads it
  and the form is filled from it when the step comes back. The draft is not copied into the audit log (a draft
  never submitted is not on the permanent record); the 加签 entry names who added whom, how and why.
- **After (后加签)**: the holder completes the form as usual, but the step is not done yet: the answer goes to
  the signers after, in the order they were added, each signing exactly that answer. When the last agrees,
  the step completes with the holder's answer and counts as the holder's. A disagreement sends it back to
  the holder with the opinion and the answer prefilled; a changed answer is signed again by all of them.
- **减签**: removing the signer who has the step passes it on (back to the holder, to the next signer after,
  or, when none is left, completes it with the answer they were signing).
- While the step is with a signer, nobody transfers, delegates, sends back or copies it (holding.py).
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from . import audit, cases, forms, holding, notices, separation, wallclock
from .errors import Conflict, EngineError, InvalidInput, Message, NotFound, PermissionDenied, StepName, catalogue
from .models import Case, Task, TaskSigner
from .routing import ROLE_RANK, Actor
from .runtime import Runtime
from .steps import Outcome, find_task, open_case

MAX_TEXT = 500
POSITIONS = ("before", "after")
DECISIONS = ("agree", "disagree")
MESSAGES = catalogue({
    "signer_reason": "an added signer needs a reason",
    "signer_position": "a signer is added before or after oneself",
    "signer_position_field": "must be before or after",
    "signer_other": "a signer is someone other than the holder",
    "signer_is_holder": "is the holder",
    "signer_asked": "{user} is already asked to sign {task!r}",
    "signer_before_waits": "task {task!r} already waits for a signature before yours; add the next one after it",
    "signer_raced": "task {task!r} changed just now; no signer was added",
    "sign_decision": "a signature agrees or disagrees",
    "sign_decision_field": "must be agree or disagree",
    "sign_opinion": "a disagreement needs an opinion",
    "sign_not_asked": "{user} is not asked to sign {task!r} now",
    "signer_remove_reason": "removing a signer needs a reason",
    "signer_missing": "no added signer #{signer}",
    "signer_remove_refused": "only a supervisor of {department} or {by}, who added {user}, may remove them",
    "signer_not_pending": "{user} is no longer a pending signer of {task!r}",
    "signer_remove_self": "a signer does not remove themselves: sign, or disagree with an opinion",
    "signer_step_done": "task {task!r} is no longer waiting for input",
    "signer_step_changed": "the step changed just now; reload it",
})
_NO_SYNC = {"synchronize_session": False}


def _now() -> datetime:
    return wallclock.now()


def listed(session: Session, task_id: str) -> list[TaskSigner]:
    """The signers added to a step, in order (removed ones included, for the record)."""
    return list(session.execute(select(TaskSigner).where(TaskSigner.task_id == task_id)
                                .order_by(TaskSigner.seq)).scalars())


def current(session: Session, task: Task) -> TaskSigner | None:
    """The signer who has the step now, if it is with one."""
    if task.state != "open" or task.signing != "signer":
        return None
    return session.execute(select(TaskSigner).where(TaskSigner.task_id == task.id, TaskSigner.state == "pending",
                                                    TaskSigner.username == task.assignee)
                           .order_by(TaskSigner.seq).limit(1)).scalar_one_or_none()


def add(session: Session, rt: Runtime, actor: Actor, task_id: str, to_user: str, position: str, reason: str,
        values: dict | None = None) -> TaskSigner:
    """The holder adds a signer before or after themselves (claiming the step if it was unclaimed). `values`: what
    the holder has typed in the form so far, kept as the step's draft (checked as 暂存 checks it: it is not an answer yet)."""
    reason = holding.text(reason, "reason", Message("signer_reason"), MAX_TEXT)
    values = holding.unfinished(values) if values else values  # the signer reads it, as a colleague reads a saved answer
    if position not in POSITIONS:
        raise InvalidInput(Message("signer_position"), {"position": Message("signer_position_field")})
    task = holding.held_open_task(session, actor, task_id, "add a signer to")
    if task.delegated_by is not None:
        raise Conflict(Message("task_delegated", task=StepName.of(task), user=task.delegated_by))
    holder = task.assignee or actor.username
    if to_user in (actor.username, holder):
        raise InvalidInput(Message("signer_other"), {"to_user": Message("signer_is_holder")})
    if to_user not in {name for name, _ in holding.colleagues(session, task, holder)}:
        raise InvalidInput(Message("cannot_sign", user=holding.named(to_user), task=StepName.of(task)),
                           {"to_user": Message("not_able", role=task.role, department=task.department_code)})
    pending = [s for s in listed(session, task_id) if s.state == "pending"]
    if any(s.username == to_user for s in pending):
        raise Conflict(Message("signer_asked", user=to_user, task=StepName.of(task)))
    if position == "before" and any(s.position == "before" for s in pending):
        raise Conflict(Message("signer_before_waits", task=StepName.of(task)))
    separation.require(session, rt, to_user, task.case_id, task.element_id, StepName.of(task))
    now = _now()
    unchanged = Task.assignee.is_(None) if task.assignee is None else Task.assignee == task.assignee
    kept = {"draft": json.dumps({"by": actor.username, "values": values}, ensure_ascii=False, default=str),
            "draft_kind": "signer"} if values else {}
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", unchanged)
                            .values(assignee=to_user if position == "before" else holder, claimed_at=now,
                                    signing="signer" if position == "before" else "after", **kept),
                            execution_options=_NO_SYNC)
    if moved.rowcount != 1:
        raise Conflict(Message("signer_raced", task=StepName.of(task)))
    seq = (session.execute(select(func.max(TaskSigner.seq)).where(TaskSigner.task_id == task_id)).scalar() or 0) + 1
    row = TaskSigner(task_id=task_id, case_id=task.case_id, seq=seq, position=position, username=to_user, holder=holder,
                     added_by=actor.username, reason=reason, state="pending", created_at=now)
    session.add(row)
    key = _key(session, task.case_id)
    # the draft stays on the step (Task.draft) and out of the permanent audit log: it was never submitted
    _audit(session, actor.username, "signer_added", task, key, {"signer": to_user, "position": position, "reason": reason},
           now)
    if position == "before":
        notices.notify(session, [to_user], "sign_requested", key, task_id,
                       {"step": StepName.of(task), "by": actor.display_name or actor.username, "reason": reason}, now)
    session.flush()
    return row


def submitted(session: Session, actor: Actor, task, case_id: int, clean: dict) -> Outcome | None:
    """The form of a step with signers was submitted (from cases.complete): an added signer signs instead;
    the holder's answer goes to the signers after. None when no signer is left: the step completes now."""
    after = [s for s in listed(session, task.id) if s.state in ("pending", "signed") and s.position == "after"]
    if not after:  # all removed meanwhile: nothing to wait for
        session.execute(update(Task).where(Task.id == task.id).values(signing=None), execution_options=_NO_SYNC)
        return None
    now = _now()
    answer = json.dumps(clean, ensure_ascii=False, default=str)
    holder = task.assignee or actor.username  # whoever holds the step now: it may have been reassigned (改派) or transferred
    for s in after:  # a (new) answer is signed again by every signer after; it comes back to, and is done as, its holder's
        s.state, s.answer, s.decision, s.opinion, s.decided_at = "pending", answer, None, None, None
        s.holder = holder
    first = after[0]
    _move(session, task.id, task.assignee, first.username, "signer", now, draft=None, draft_kind=None)
    _audit(session, actor.username, "sent_for_signature", task, task.business_key,
           {"signer": first.username, "data": clean}, now)
    notices.notify(session, [first.username], "sign_requested", task.business_key, task.id,
                   {"step": StepName.of(task), "by": actor.display_name or actor.username, "reason": first.reason}, now)
    return Outcome(case_id, task.business_key, "running", [], [], ["sent_for_signature"], None)


def sign(session: Session, rt: Runtime, actor: Actor, task_id: str, decision: str, opinion: str = "") -> Outcome:
    """The signer who has the step signs it: agree passes it on, disagree returns it to the holder."""
    if decision not in DECISIONS:
        raise InvalidInput(Message("sign_decision"), {"decision": Message("sign_decision_field")})
    opinion = holding.text(opinion, "opinion", Message("sign_opinion"), MAX_TEXT, required=decision == "disagree")
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(Message("no_task", task=task_id))
    me = current(session, task)
    if me is None or not actor.holds(me.username):
        raise PermissionDenied(Message("sign_not_asked", user=actor.username, task=StepName.of(task)))
    now = _now()
    me.decision, me.opinion, me.decided_at = decision, opinion, now
    key = _key(session, task.case_id)
    _audit(session, actor.username, "task_signed", task, key, {"signer": me.username, "position": me.position,
                                                                "decision": decision, "opinion": opinion}, now)
    if decision == "agree":
        me.state = "signed"
    elif me.position == "after":  # stays pending: the revised answer comes back to be signed
        _back_to_holder(session, task, me, now, draft=me.answer)
        notices.notify(session, [me.holder], "sign_refused", key, task_id,
                       {"step": StepName.of(task), "by": actor.display_name or actor.username, "opinion": opinion}, now)
        return Outcome(task.case_id, key, "running", [], [], ["task_signed"], None)
    else:
        me.state = "signed"
    notices.notify(session, [me.holder], "signed", key, task_id,
                   {"step": StepName.of(task), "by": actor.display_name or actor.username,
                    "decision": decision, "opinion": opinion}, now)
    return _pass_on(session, rt, task, me, now, key)


def remove(session: Session, rt: Runtime, actor: Actor, signer_id: int, reason: str) -> Outcome:
    """减签: a supervisor of the step's department, or the one who added the signer, removes a pending signer."""
    reason = holding.text(reason, "reason", Message("signer_remove_reason"), MAX_TEXT)
    row = session.get(TaskSigner, signer_id)
    task = session.get(Task, row.task_id) if row is not None else None
    if task is None:
        raise NotFound(Message("signer_missing", signer=signer_id))
    refused = _removal_refused(actor, task, row)
    if refused is not None:
        raise refused
    now = _now()
    was_current = task.signing == "signer" and task.assignee == row.username
    row.state, row.removed_by, row.removed_reason, row.decided_at = "removed", actor.username, reason, now
    key = _key(session, task.case_id)
    _audit(session, actor.username, "signer_removed", task, key, {"signer": row.username, "reason": reason}, now)
    notices.notify(session, [row.username], "signer_removed", key, task.id,
                   {"step": StepName.of(task), "by": actor.display_name or actor.username, "reason": reason}, now)
    if was_current:
        return _pass_on(session, rt, task, row, now, key)
    if not any(s.state == "pending" for s in listed(session, task.id)):
        _move(session, task.id, task.assignee, task.assignee, None, now)
    return Outcome(task.case_id, key, "running", [], [], ["signer_removed"], None)


def may_remove(actor: Actor, task: Task, row: TaskSigner) -> bool:
    """Whether `actor` may remove (减签) this added signer now: a pending signer of an open step, by a supervisor of
    the step's department or the one who added them, never by the signer themselves (they sign or disagree). The
    panel offers 减签 by it; `remove` refuses by the same rule, saying which part of it failed."""
    return _removal_refused(actor, task, row) is None


def _removal_refused(actor: Actor, task: Task, row: TaskSigner) -> EngineError | None:
    """Why `actor` may not remove this signer now (the rule of `may_remove`), or None."""
    if actor.username == row.username:
        return PermissionDenied(Message("signer_remove_self"))
    if not (actor.rank_in(task.department_code) >= ROLE_RANK["supervisor"] or actor.holds(row.added_by)):
        return PermissionDenied(Message("signer_remove_refused", department=task.department_code, by=row.added_by,
                                        user=row.username))
    if row.state != "pending" or task.state != "open":
        return Conflict(Message("signer_not_pending", user=row.username, task=StepName.of(task)))
    return None


def _pass_on(session: Session, rt: Runtime, task: Task, done: TaskSigner, now: datetime, key: str) -> Outcome:
    """After `done` signed or was removed: back to the holder, to the next signer after, or complete the step."""
    pending = [s for s in listed(session, task.id) if s.state == "pending"]
    if done.position == "before":
        _back_to_holder(session, task, done, now, signing="after" if pending else None)
        return Outcome(task.case_id, key, "running", [], [], ["task_signed"], None)
    following = [s for s in pending if s.position == "after"]
    if following:
        following[0].answer = done.answer
        _move(session, task.id, task.assignee, following[0].username, "signer", now)
        notices.notify(session, [following[0].username], "sign_requested", key, task.id,
                       {"step": StepName.of(task), "by": done.holder, "reason": following[0].reason}, now)
        return Outcome(task.case_id, key, "running", [], [], ["task_signed"], None)
    _move(session, task.id, task.assignee, done.holder, None, now)  # the step is the holder's to complete
    ref, case = cases._task_and_case(session, task.id)
    model, op, wf = open_case(session, rt, Actor(done.holder, done.holder), case, now)
    spiff_task = find_task(wf, task.id, TaskState.READY)
    if spiff_task is None:
        raise Conflict(Message("signer_step_done", task=StepName.of(task)))
    answer = forms.validate(forms.fields_of(spiff_task.task_spec), json.loads(done.answer or "{}"), spiff_task.data)
    return cases.finish(session, ref, case, model, op, wf, spiff_task, answer)


def _back_to_holder(session: Session, task: Task, signer: TaskSigner, now: datetime, signing: str | None = "after",
                    draft: str | None = None) -> None:
    """The step back with its holder; `draft`: their answer a signer after refused, kept as theirs (as what they
    typed before adding a signer is), not as a delegate's answer to confirm."""
    values = {"draft": json.dumps({"by": signer.holder, "values": json.loads(draft)}, ensure_ascii=False),
              "draft_kind": "signer"} if draft else {}
    _move(session, task.id, task.assignee, signer.holder, signing, now, **values)


def draft_values(task: Task) -> dict | None:
    """The holder's draft kept when a signer was added (what a signer before reads), if any."""
    kept = holding.draft(task)
    return kept[1].get("values") if kept and kept[0] == "signer" else None


def _move(session: Session, task_id: str, from_user: str | None, to_user: str, signing: str | None, now: datetime,
          **values) -> None:
    session.flush()  # the signer rows changed so far go first: the task is re-read after the move
    moved = session.execute(update(Task).where(Task.id == task_id, Task.state == "open", Task.assignee == from_user)
                            .values(assignee=to_user, claimed_at=now, signing=signing, **values),
                            execution_options=_NO_SYNC)
    if moved.rowcount != 1:
        raise Conflict(Message("signer_step_changed"))
    session.expire_all()


def _key(session: Session, case_id: int) -> str:
    return session.execute(select(Case.business_key).where(Case.id == case_id)).scalar_one()


def _audit(session: Session, username: str, event: str, task, key: str, details: dict, now: datetime) -> None:
    audit.append(session, [audit.Event(event, username, {"task": task.name, "element": task.element_id, **details},
                                       task.department_code, task.case_id, key, task.id)], now)

