"""A partial index for 我委派的 (the open steps a user has out with a delegate, 委派): the inbox counts them on every
page and lists them by delegator in deadline order (web/inbox.py delegated_parts), which no index served, so each ask
read every open step of the user's departments. Only open delegated steps enter the index: it stays small.

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

WHERE = "state = 'open' AND delegated_by IS NOT NULL"  # as engine.models.DELEGATED_OPEN at this revision


def upgrade() -> None:
    op.create_index("ix_tasks_open_delegated", "tasks", ["delegated_by", "due_at", "id"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_tasks_open_delegated", table_name="tasks")
