"""the audit chain head exists from the start, so the first appends also lock one row

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) SELECT 1, 0, :genesis "
                       "WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)").bindparams(genesis="0" * 64))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM audit_head WHERE id = 1 AND seq = 0"))
