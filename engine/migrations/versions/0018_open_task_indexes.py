"""Partial indexes on open steps, in the orders the inbox, the team page and the API read them, so that a
page costs the same at a million cases (deep keyset pages, sort by arrival, filter by process, workload)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEXES = (  # as engine.models.OPEN_TASK_INDEXES at this revision
    ("ix_tasks_open_due", ("department_code", "due_at", "id", "assignee")),
    ("ix_tasks_open_received", ("department_code", "created_at", "id")),
    ("ix_tasks_open_process", ("department_code", "process_key", "due_at", "id")),
    ("ix_tasks_open_mine", ("assignee", "due_at", "id")),
    ("ix_tasks_open_mine_received", ("assignee", "created_at", "id")),
)


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "tasks", list(columns), postgresql_where=sa.text("state = 'open'"),
                        sqlite_where=sa.text("state = 'open'"))


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="tasks")
