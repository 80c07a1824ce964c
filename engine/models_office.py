"""The office's working tables: designer uploads awaiting deploy, notices, deputies, the mail outbox, copies,
supervision items and added signers; and the formal inquiries as the figures see them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .models import ID, Base, UTCDateTime


class DesignerUpload(Base):
    """A file a designer uploaded and checked but has not deployed yet (kept a day at most)."""

    __tablename__ = "designer_uploads"
    __table_args__ = (Index("ix_designer_uploads_token", "token"), Index("ix_designer_uploads_user", "username", "created_at"),
                      Index("ix_designer_uploads_created", "created_at"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    username: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """A message to one user in the in-app notification centre (task arrived, sent back, urged …)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user", "username", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    business_key: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the words' parameters (step, who, reason …)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Deputy(Base):
    """代理: `deputy` acts for `principal` from `starts_at` until `ends_at` (named by either or a supervisor)."""

    __tablename__ = "deputies"
    __table_args__ = (Index("ix_deputies_deputy", "deputy", "ends_at"), Index("ix_deputies_principal", "principal"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    principal: Mapped[str] = mapped_column(String(64))
    deputy: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    named_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailOut(Base):
    """A mail waiting in the outbox: written with the change it reports, sent by the worker."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "due_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    dedupe: Mapped[str] = mapped_column(String(100), unique=True)  # one mail per event, whatever retries
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # given up after MAX_ATTEMPTS
    last_error: Mapped[str | None] = mapped_column(Text)


class CaseCopy(Base):
    """抄送: a case copied to a person for information (read-only), from a step, with when they read it."""

    __tablename__ = "case_copies"
    __table_args__ = (Index("ix_case_copies_user", "username", "read_at", "created_at"),
                      Index("ix_case_copies_case", "case_id", "username"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ID)
    task_id: Mapped[str | None] = mapped_column(String(36))
    from_step: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupervisionItem(Base):
    """督办: the joint-review office presses an overdue case, with its own deadline, until it closes the item."""

    __tablename__ = "supervision_items"
    __table_args__ = (Index("ix_supervision_open", "closed_at", "due_at"), Index("ix_supervision_case", "case_id"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ID)
    opened_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closing_note: Mapped[str | None] = mapped_column(Text)


PENDING_BEFORE = "state = 'pending' AND position = 'before'"


class TaskSigner(Base):
    """加签: a signer the holder of a step added before or after themselves, with what they signed."""

    __tablename__ = "task_signers"
    __table_args__ = (
        Index("ix_task_signers_task", "task_id", "state", "seq"),
        # the inbox asks on every page and tab count which steps wait on a signer their holder added before
        # themselves (web/inbox.py signing_part): only the pending 前加签 rows, read by holder
        Index("ix_task_signers_waiting", "holder", "task_id",
              postgresql_where=text(PENDING_BEFORE), sqlite_where=text(PENDING_BEFORE)),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[int] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(Integer)
    position: Mapped[str] = mapped_column(String(8))  # before | after
    username: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(64))  # whose step it is; it comes back to them
    added_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))  # pending, signed, removed
    answer: Mapped[str | None] = mapped_column(Text)  # after: the holder's answer this signer is asked to sign
    decision: Mapped[str | None] = mapped_column(String(12))  # agree | disagree (the latest)
    opinion: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(64))
    removed_reason: Mapped[str | None] = mapped_column(Text)


class CasePause(Base):
    """补正: a period in which a case's SLA clock stood because it waited on the applicant; or one in which a
    department waited on another's reply (reason department; engine/clock.py)."""

    __tablename__ = "case_pauses"
    __table_args__ = (Index("ix_case_pauses_case", "case_id", "resumed_at"),
                      Index("ix_case_pauses_waits", "reason", "resumed_at"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ID)
    element_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(16))
    stopped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    days: Mapped[float | None] = mapped_column(Float)  # working days it stood, once it runs again
    held: Mapped[str | None] = mapped_column(Text)  # SLA timers held while it stands: id → {due, since}
    department: Mapped[str | None] = mapped_column(String(16))  # reason department: the department that waits


class RateWindow(Base):
    """Requests of one rate-limit key in one minute (engine/ratelimit.py), shared by every process."""

    __tablename__ = "rate_windows"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(ID, primary_key=True)  # minutes since the epoch
    hits: Mapped[int] = mapped_column(Integer)


class WorkerHeartbeat(Base):
    """A worker process saying it is alive (engine/heartbeats.py); /readyz wants a recent one."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LegalHold(Base):
    """A legal hold on a case (an auditor's or administrator's, with a reason): no purge while it stands."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_case", "case_id", "lifted_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lift_reason: Mapped[str | None] = mapped_column(Text)


class CaseLookup(Base):
    """A keyed digest of one searchable value of a case (an applicant's name or ID number, engine/lookup.py):
    staff find a case by the exact value without any plain personal data in an index."""

    __tablename__ = "case_lookup"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ID, primary_key=True)
    field: Mapped[str] = mapped_column(String(100), primary_key=True)
    __table_args__ = (Index("ix_case_lookup_case", "case_id"),)


class CalendarNotice(Base):
    """One year's official holiday notice (国务院办公厅关于部分节假日安排的通知), imported by an administrator:
    it replaces the holidays package's data (or guess) for that year in every process (engine/calendar_notices.py)."""

    __tablename__ = "calendar_notices"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text)
    holidays: Mapped[str] = mapped_column(Text)  # JSON {"YYYY-MM-DD": name}
    workdays: Mapped[str] = mapped_column(Text)  # JSON {"YYYY-MM-DD": reason}
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleVersion(Base):
    """A version of a shared rule table (a DMN decision several departments apply, engine/rules.py): proposed by a
    deploy, co-signed by every department that applies it in a `rule_confirmation` case, then active."""

    __tablename__ = "rule_versions"
    __table_args__ = (Index("ix_rule_versions_decision", "decision", "version", unique=True),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    decision: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    departments: Mapped[str] = mapped_column(Text)  # the departments that apply it, comma separated
    status: Mapped[str] = mapped_column(String(12))  # proposed, active, superseded, refused
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_key: Mapped[str | None] = mapped_column(String(64))  # the rule_confirmation case
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was refused


class DesignerDraft(Base):
    """A BPMN or DMN file a designer is editing in the browser modeler, kept on the server per user until deployed
    or deleted (engine/drafts.py)."""

    __tablename__ = "designer_drafts"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A scanned material of a case, or a document kept with a step's answer (engine/attachments.py): the file lives
    outside the database, named by its SHA-256; the row says what it is, who brought it in, when and at which step."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_case", "case_id", "id"), Index("ix_attachments_sha", "sha256"),
                      Index("ix_attachments_task", "task_id"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(64))  # what it is: a material's code, or "other"
    filename: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(16))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    task_id: Mapped[str | None] = mapped_column(String(36))  # the step it was kept at (an answer's documents)


class InquiryFact(Base):
    """One formal inquiry (函询) as the node assessment sees it, derived from a case's milestones (engine/facts.py):
    asked (`accepted`), answered (`answered`), the reply's deadline and working days, for the department asked
    (the process's `kpi_addressee_field`). A case of its own has one; a case whose steps call the inquiry process
    has one per call."""

    __tablename__ = "inquiry_facts"
    __table_args__ = (Index("ix_inquiry_facts_asked", "asked_at"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0, 1 … in the order asked
    process_key: Mapped[str] = mapped_column(String(100))  # the case's process
    addressee: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_days: Mapped[float | None] = mapped_column(Float)
