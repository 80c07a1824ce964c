"""抄送: cases copied to people for information, and when they read them

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_copies",
        sa.Column("id", ID, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("from_step", sa.String(200), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_case_copies_user", "case_copies", ["username", "read_at", "created_at"])
    op.create_index("ix_case_copies_case", "case_copies", ["case_id", "username"])


def downgrade() -> None:
    op.drop_table("case_copies")
