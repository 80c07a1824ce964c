"""Waits of a department on another's reply (函询), kept with the department that waits

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_pauses") as batch:
        batch.add_column(sa.Column("department", sa.String(16), nullable=True))
        batch.create_index("ix_case_pauses_waits", ["reason", "resumed_at"])


def downgrade() -> None:
    with op.batch_alter_table("case_pauses") as batch:
        batch.drop_index("ix_case_pauses_waits")
        batch.drop_column("department")
