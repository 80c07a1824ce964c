"""Where a step stands now, for someone whose action on it lost a race: between their opening the step and their
pressing 提交 or 暂存, a colleague claimed it (签收), a supervisor reassigned it (改派), the holder transferred (转办)
or delegated (委派) it, someone completed it, the engine withdrew it, it was sent back (退回), or the case moved on.
An adapter says what happened and gives back what they typed; this module tells it what the engine knows, and no
more than the actor may know: one who is no longer of the step's department learns only that."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import delegation, forms
from .models import AuditEntry, Case, Task
from .routing import Actor

READERS = frozenset({"auditor", "admin"})  # roles that read any step and act on none

# the audit event that last gave an open step to someone, by what it was
_HANDED = {"task_claimed": "claimed", "task_reassigned": "reassigned", "task_transferred": "transferred",
           "task_delegated": "delegated", "delegation_returned": "delegation_returned"}


@dataclass(frozen=True)
class Whereabouts:
    """What became of a step: `how` is one of outside (not the actor's department any more), reader (one who only
    reads steps, of no department: an auditor, an administrator), closed_case (its case
    is no longer running), completed, cancelled, sent_back, with_signer (加签), not_allowed (the actor's role no longer
    suffices, or incompatible duties), claimed, reassigned, transferred, delegated, delegation_returned (someone else
    holds it, `who`; delegation_returned: the delegate's answer is back with the delegator to confirm),
    delegation_queued (the actor's own answer as a delegate waits in the department's queue for someone else to
    confirm), or open (nobody else holds it: the actor may act on it again)."""

    how: str
    who: str | None = None  # who holds it now, or who closed it
    at: datetime | None = None

    @property
    def elsewhere(self) -> bool:
        """Whether the actor can no longer act on the step (anything but `open`)."""
        return self.how != "open"


def of(session: Session, actor: Actor, task_id: str, refused: bool = False) -> Whereabouts | None:
    """Where the step `task_id` stands now for `actor` (None: no such step); `refused`: the engine refused the actor
    permission (so a step still open to their role is one they may not act on, e.g. for incompatible duties)."""
    task = session.get(Task, task_id)
    if task is None:
        return None
    if actor.rank_in(task.department_code) == 0:  # an auditor or administrator reads steps, and never acts on one
        return Whereabouts("reader" if not actor.departments and READERS & actor.roles else "outside")
    if task.state != "open":
        return Whereabouts(task.state, None if task.state == "cancelled" else task.completed_by, task.closed_at)
    if session.execute(select(Case.status).where(Case.id == task.case_id)).scalar_one() != "running":
        return Whereabouts("closed_case")
    if task.signing == "signer":
        return Whereabouts("with_signer", task.assignee)
    if not actor.may_work_on(task.department_code, task.role):
        return Whereabouts("not_allowed")
    if task.assignee is None and delegation.authored(task, actor.username):  # four-eyes: another confirms it
        at = session.execute(select(AuditEntry.at).where(
            AuditEntry.case_id == task.case_id, AuditEntry.task_id == task_id,
            AuditEntry.event == "delegation_returned_to_queue").order_by(AuditEntry.seq.desc()).limit(1)).scalar()
        return Whereabouts("delegation_queued", None, at)
    if task.assignee is None or actor.holds(task.assignee):
        return Whereabouts("not_allowed" if refused else "open")
    last = session.execute(select(AuditEntry.event, AuditEntry.at)
                           .where(AuditEntry.case_id == task.case_id, AuditEntry.task_id == task_id,
                                  AuditEntry.event.in_(list(_HANDED)))
                           .order_by(AuditEntry.seq.desc()).limit(1)).first()
    return Whereabouts(_HANDED[last.event] if last else "claimed", task.assignee, last.at if last else task.claimed_at)


def step_form(model: Any, element_id: str) -> list[forms.FormField]:
    """The form of a step as its process defines it, whatever became of the step (the fields a person could type in;
    [] for an element without a form)."""
    process = model.process_of(element_id)
    spec = model.spec if process == model.process_key else model.subprocess_specs.get(process)
    task_spec = spec.task_specs.get(element_id) if spec is not None else None
    return [f for f in forms.fields_of(task_spec) if not f.readonly] if task_spec is not None else []
