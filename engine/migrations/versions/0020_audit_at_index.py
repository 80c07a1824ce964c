"""An index on the audit log's time, for auditors who search a date range

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
