"""加签 / 减签: signers a holder adds before or after themselves, and the task's signing state

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "task_signers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(8), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("decision", sa.String(12), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(64), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_task_signers_task", "task_signers", ["task_id", "state", "seq"])
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("signing", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_table("task_signers")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("signing")
