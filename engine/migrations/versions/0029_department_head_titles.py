"""What each department calls its head (局长 of a bureau, 主任 of an office or commission), in both languages

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.add_column(sa.Column("head_title_zh", sa.String(20), nullable=True))
        batch.add_column(sa.Column("head_title_en", sa.String(60), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+): a batch rebuild of the table fails while memberships and steps refer to it
    op.drop_column("departments", "head_title_en")
    op.drop_column("departments", "head_title_zh")
