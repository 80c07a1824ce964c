"""the public notice (公示) of an approved subsidy: its opaque number, period, amount and area

Revision ID: w0002
Revises: w0001
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "w0002"
down_revision = "w0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("notice_id", sa.String(16), nullable=True))
        batch.add_column(sa.Column("notice_from", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notice_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("amount", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("area", sa.String(50), nullable=True))
        batch.create_unique_constraint("uq_applications_notice_id", ["notice_id"])
    op.create_index("ix_applications_notice", "applications", ["status", "notice_until"])


def downgrade() -> None:
    op.drop_index("ix_applications_notice", table_name="applications")
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint("uq_applications_notice_id", type_="unique")
        for column in ("area", "amount", "notice_until", "notice_from", "notice_id"):
            batch.drop_column(column)
