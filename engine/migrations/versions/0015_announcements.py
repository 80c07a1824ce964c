"""Notices derived from the audit log (a step arriving, reminders, escalations, alerts): their watermark
starts at the log's current end, so an upgraded database does not announce its whole history

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("INSERT INTO kpi_progress (name, seq) SELECT 'notices', COALESCE(MAX(seq), 0) FROM audit_log"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM kpi_progress WHERE name = 'notices'"))
