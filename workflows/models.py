"""Tables specific to the joint-review processes (migrated with the engine's schema by `init-db`)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.models import ID, UTCDateTime


class Base(DeclarativeBase):
    metadata = MetaData()


class RegistryRecord(Base):
    """One record of a department registry, as imported from the CSV exports departments exchange."""

    __tablename__ = "registry_records"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    department: Mapped[str] = mapped_column(String(16))
    dataset: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text)  # JSON object
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(255))

    __table_args__ = (UniqueConstraint("department", "dataset", "key"),)


class Application(Base):
    """A subsidy application as fraud screening sees it: who, what, which bank account."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    business_key: Mapped[str] = mapped_column(String(64), unique=True)
    applicant_id: Mapped[str] = mapped_column(String(18))
    applicant_name: Mapped[str] = mapped_column(String(50))
    subsidy_type: Mapped[str] = mapped_column(String(20))
    bank_account: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, notice, objected, paid, rejected
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the public notice (公示), once approved: an opaque number anyone may object under, the period, the amount
    notice_id: Mapped[str | None] = mapped_column(String(16), unique=True)
    notice_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    amount: Mapped[int | None] = mapped_column(Integer)
    area: Mapped[str | None] = mapped_column(String(50))

    __table_args__ = (
        Index("ix_applications_applicant", "applicant_id", "subsidy_type", "year"),
        Index("ix_applications_bank", "bank_account"),
        Index("ix_applications_notice", "status", "notice_until"),
    )
