"""registry records and subsidy applications

Revision ID: w0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "w0001"
down_revision = None
branch_labels = ("workflows",)
depends_on = "0002"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "registry_records",
        sa.Column("id", ID, nullable=False),
        sa.Column("department", sa.String(length=16), nullable=False),
        sa.Column("dataset", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("department", "dataset", "key"),
    )
    op.create_table(
        "applications",
        sa.Column("id", ID, nullable=False),
        sa.Column("business_key", sa.String(length=64), nullable=False),
        sa.Column("applicant_id", sa.String(length=18), nullable=False),
        sa.Column("applicant_name", sa.String(length=50), nullable=False),
        sa.Column("subsidy_type", sa.String(length=20), nullable=False),
        sa.Column("bank_account", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("business_key"),
    )
    op.create_index("ix_applications_applicant", "applications", ["applicant_id", "subsidy_type", "year"])
    op.create_index("ix_applications_bank", "applications", ["bank_account"])


def downgrade() -> None:
    op.drop_index("ix_applications_bank", table_name="applications")
    op.drop_index("ix_applications_applicant", table_name="applications")
    op.drop_table("applications")
    op.drop_table("registry_records")
