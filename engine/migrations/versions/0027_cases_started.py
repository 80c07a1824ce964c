"""Cases by when they started: case searches list the latest started first (cases taken over from an earlier
system, or the demo's history, have later row ids than newer cases)

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30
"""
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_started", "cases", ["started_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_started", table_name="cases")
