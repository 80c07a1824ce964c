"""Designer uploads kept in the database until deployed or a day old (instead of piling up on disk)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "designer_uploads",
        sa.Column("id", ID, primary_key=True),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_designer_uploads_token", "designer_uploads", ["token"])
    op.create_index("ix_designer_uploads_user", "designer_uploads", ["username", "created_at"])
    op.create_index("ix_designer_uploads_created", "designer_uploads", ["created_at"])


def downgrade() -> None:
    op.drop_table("designer_uploads")
