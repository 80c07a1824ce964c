"""Database tables (SQLAlchemy 2.0 typed declarative); the schema itself evolves through Alembic."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive UTC text) and PostgreSQL (timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the engine stores aware datetimes only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    aliases: Mapped[str] = mapped_column(Text, default="")  # one lane name per line
    parent_code: Mapped[str | None] = mapped_column(String(16))  # a unit's department (a street office's 街道办)
    district: Mapped[str | None] = mapped_column(String(32))  # a unit's area: its district …
    covers: Mapped[str | None] = mapped_column(Text)  # … and the places it covers, one per line
    head_title_zh: Mapped[str | None] = mapped_column(String(20))  # its head's title (局长, 主任)
    head_title_en: Mapped[str | None] = mapped_column(String(60))

    __table_args__ = (Index("ix_departments_parent", "parent_code"),)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(100), default="")  # designer, auditor, admin (comma separated)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    email: Mapped[str | None] = mapped_column(String(254))
    mail_on: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    mail_kinds: Mapped[str] = mapped_column(String(200), default="", server_default="")  # empty: every kind
    mail_digest: Mapped[bool] = mapped_column(default=False, server_default=text("false"))  # one mail a day instead
    digest_sent_on: Mapped[str | None] = mapped_column(String(10))  # the local date of the last digest


class Membership(Base):
    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # reviewer, supervisor, head


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class DeploymentFile(Base):
    __tablename__ = "deployment_files"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("deployment_id", "filename"),)


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    files: Mapped[str] = mapped_column(Text)  # the files this process uses, one per line
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    owner_department: Mapped[str | None] = mapped_column(String(64))  # the BPMN's owner_department (answers for it)

    __table_args__ = (UniqueConstraint("process_key", "version"),)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_started", "started_at", "id"),)  # searches list the latest started first

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    business_key: Mapped[str] = mapped_column(String(64), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running, completed, stuck, failed
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    summary: Mapped[str] = mapped_column(Text, default="{}")
    visited: Mapped[str] = mapped_column(Text, default="", server_default="")  # element ids passed, one per line
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its data removed under the retention policy


OPEN_TASK_INDEXES = (  # (name, columns) of the partial indexes on open steps (migration 0018)
    ("ix_tasks_open_due", ("department_code", "due_at", "id", "assignee")),
    ("ix_tasks_open_received", ("department_code", "created_at", "id")),
    ("ix_tasks_open_process", ("department_code", "process_key", "due_at", "id")),
    ("ix_tasks_open_mine", ("assignee", "due_at", "id")),
    ("ix_tasks_open_mine_received", ("assignee", "created_at", "id")),
)
DELEGATED_OPEN = "state = 'open' AND delegated_by IS NOT NULL"


class Task(Base):
    """An inbox row: one ready user task, routed to a department."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12))  # open, completed, cancelled
    assignee: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str | None] = mapped_column(Text)
    delegated_by: Mapped[str | None] = mapped_column(String(64))  # 委派: who gets it back to confirm
    draft: Mapped[str | None] = mapped_column(Text)  # what was typed on the way: 暂存, a delegate's answer …
    # what `draft` holds: "self" (暂存), "signer" (the holder's answer kept while a signer signs or after one refused
    # it), "delegate" (a delegate's answer to confirm) or "returned" (a delegate's answer sent back to them to redo,
    # 退回重办); the inbox tags by it without reading user data
    draft_kind: Mapped[str | None] = mapped_column(String(8))
    signing: Mapped[str | None] = mapped_column(String(8))  # 加签: "signer" while with an added signer, "after" if some follow

    __table_args__ = (
        Index("ix_tasks_department_cases", "department_code", "case_id"),  # cases a department took part in
        Index("ix_tasks_case", "case_id", "state"),
        # open steps only, walked in page order by the inbox, the team page and the API (keyset cursors)
        *(Index(name, *columns, postgresql_where=text("state = 'open'"), sqlite_where=text("state = 'open'"))
          for name, columns in OPEN_TASK_INDEXES),
        # 我委派的 (web/inbox.py delegated_parts) on every inbox page's tab count: the few open steps out with a delegate,
        # read by delegator in page order (migration 0033)
        Index("ix_tasks_open_delegated", "delegated_by", "due_at", "id", postgresql_where=text(DELEGATED_OPEN),
              sqlite_where=text(DELEGATED_OPEN)),
    )


class AuditEntry(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # auditors filter by date range
    actor: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ID, index=True)
    business_key: Mapped[str | None] = mapped_column(String(64))
    task_id: Mapped[str | None] = mapped_column(String(36))
    event: Mapped[str] = mapped_column(String(40), index=True)
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # details removed by a purge (retention.py)


class AuditHead(Base):
    """The end of the hash chain: one row, locked by every append so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(ID)
    hash: Mapped[str] = mapped_column(String(64))


class KeySequence(Base):
    """Counters for business keys such as ADM-2026-000123, one per prefix."""

    __tablename__ = "key_sequences"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(ID)


class ApiToken(Base):
    """A bearer token for the REST API, bound to one role (and department); only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in a list
    username: Mapped[str | None] = mapped_column(String(64))  # a person's token acts as that person
    role: Mapped[str] = mapped_column(String(16))  # portal, reviewer, supervisor, head, designer, auditor, admin
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class IdempotencyRecord(Base):
    """The answer to a submission made with an Idempotency-Key, replayed when the caller retries."""

    __tablename__ = "idempotency_keys"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text, default="{}")  # the answer's own headers (Location …), as JSON
    business_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed login: hashed account (name and address) and address keys, for throttling."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_account", "account_key", "at"),
                      Index("ix_login_failures_address", "address_key", "at"),
                      Index("ix_login_failures_at", "at"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseFact(Base):
    """What the figures need of one case, derived from its audit history (rebuilt, never edited)."""

    __tablename__ = "case_facts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    business_key: Mapped[str] = mapped_column(String(64))
    process_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    addressee: Mapped[str | None] = mapped_column(String(16))  # the department a formal inquiry is addressed to
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_outcome: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(64))
    success: Mapped[bool | None] = mapped_column()
    changed: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    handling_days: Mapped[float | None] = mapped_column(Float)  # with the stopped time (补正) left out
    handling_gross_days: Mapped[float | None] = mapped_column(Float)  # with it
    stopped_days: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # working days the clock stood, in all
    disbursement_days: Mapped[float | None] = mapped_column(Float)
    reply_days: Mapped[float | None] = mapped_column(Float)
    appeals: Mapped[int] = mapped_column(Integer, default=0)
    objections: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[bool] = mapped_column(default=False)
    rating: Mapped[int | None] = mapped_column(Integer)


class StepFact(Base):
    """One user task as the node assessment sees it: working days taken and whether it was on time."""

    __tablename__ = "step_facts"
    __table_args__ = (Index("ix_step_facts_department_closed", "department_code", "closed_at"),
                      Index("ix_step_facts_closed", "closed_at"), Index("ix_step_facts_case", "case_id"),
                      Index("ix_step_facts_open", "state", "due_at"))

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    work_days: Mapped[float | None] = mapped_column(Float)
    on_time: Mapped[bool | None] = mapped_column()


class KpiProgress(Base):
    """How far the facts have been brought up to date: the last audit entry read."""

    __tablename__ = "kpi_progress"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(ID)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Setting(Base):
    """An administrator's setting (JSON), e.g. the node assessment's weights; every change is audited."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRule(Base):
    """A stagnation rule an administrator set: idle N working days, a step past N % of its SLA, or a
    case older than N working days."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    threshold: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertWatch(Base):
    """When a case (or one of its steps) will cross a rule's threshold, and whether the alert was raised
    and cleared. The worker reads the unraised ones through the index on fire_at."""

    __tablename__ = "alert_watches"
    __table_args__ = (Index("ix_alert_watches_due", "fire_at", postgresql_where=text("raised_at IS NULL"),
                            sqlite_where=text("raised_at IS NULL")),
                      Index("ix_alert_watches_case", "case_id"),
                      Index("ix_alert_watches_open", "department_code", "cleared_at", "raised_at"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"))
    kind: Mapped[str] = mapped_column(String(8))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    department_code: Mapped[str | None] = mapped_column(String(16))
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseRating(Base):
    """The applicant's one rating (好差评) of a finished case, from the portal or at the window."""

    __tablename__ = "case_ratings"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))  # portal or window
    rated_by: Mapped[str] = mapped_column(String(64))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    follow_up: Mapped[str | None] = mapped_column(String(64))  # business key of the follow-up case of a bad rating


class _Summed:
    """The summed values of a rollup row: count, total, histogram (hundredths → count), named counters."""

    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    hist: Mapped[str] = mapped_column(Text)
    extra: Mapped[str] = mapped_column(Text)


class CaseRollup(_Summed, Base):
    """Case facts summed per month, process, street office, category and department ('' = all departments):
    what the dashboard reads, so that its cost does not grow with the number of cases. `metric` says which
    moment puts a case in the month (accepted, decided, paid, finished, inquiry); `hist` holds the durations
    in working days as {hundredths: count}, from which medians and p90 are read."""

    __tablename__ = "kpi_case_rollups"
    __table_args__ = (Index("ix_kpi_case_rollups", "month", "metric", "department"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(12))
    process_key: Mapped[str] = mapped_column(String(100))
    area: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(16))


class StepRollup(_Summed, Base):
    """Step facts summed per month (of closing, or of escalation), process, department and step."""

    __tablename__ = "kpi_step_rollups"
    __table_args__ = (Index("ix_kpi_step_rollups", "month", "metric", "department"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(12))
    process_key: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(16))
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))


class DirtyMonth(Base):
    """A month whose rollups must be summed again (its facts changed)."""

    __tablename__ = "kpi_dirty_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)


class OpenSteps(Base):
    """Open and overdue steps per process and department, counted by the worker (at most a minute old):
    the dashboard reads these instead of counting open steps on every request."""

    __tablename__ = "kpi_open_steps"

    process_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    department: Mapped[str] = mapped_column(String(16), primary_key=True)
    open: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditCheckpoint(Base):
    """A signed head of the audit chain (see engine/checkpoints.py); copies live outside the database too."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(ID)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))



# The office's working tables (uploads, notices, deputies, mail) live in models_office.py; importing them
# here registers them with the metadata and keeps `from engine.models import …` working.
from .models_office import (CaseCopy, CasePause, DesignerUpload, Deputy, MailOut, Notification,  # noqa: E402,F401
                            CaseLookup, InquiryFact, LegalHold, RateWindow, SupervisionItem, TaskSigner,
                            WorkerHeartbeat)
