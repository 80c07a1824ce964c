"""The in-app notification centre (one row per user and message) and deputies (代理)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", ID, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("business_key", sa.String(64), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_user", "notifications", ["username", "read_at", "created_at"])
    op.create_table(
        "deputies",
        sa.Column("id", ID, primary_key=True),
        sa.Column("principal", sa.String(64), nullable=False),
        sa.Column("deputy", sa.String(64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("named_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_deputies_deputy", "deputies", ["deputy", "ends_at"])
    op.create_index("ix_deputies_principal", "deputies", ["principal"])


def downgrade() -> None:
    op.drop_table("deputies")
    op.drop_table("notifications")
