"""Attachments kept at a step (an inquiry's answer with its supporting documents) name that step's task; the
scanned materials brought to the window name none

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("task_id", sa.String(36)))
    op.create_index("ix_attachments_task", "attachments", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_attachments_task", table_name="attachments")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("task_id")
