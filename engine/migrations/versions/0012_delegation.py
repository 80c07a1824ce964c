"""委派 (who delegated an open task and the delegate's answer waiting for confirmation) and 督办 items

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "supervision_items",
        sa.Column("id", ID, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
    )
    op.create_index("ix_supervision_open", "supervision_items", ["closed_at", "due_at"])
    op.create_index("ix_supervision_case", "supervision_items", ["case_id"])
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("delegated_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("draft", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_table("supervision_items")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("draft")
        batch.drop_column("delegated_by")
