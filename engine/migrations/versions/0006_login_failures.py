"""Failed logins kept in the database (throttling shared by every server process) and session versions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", ID, primary_key=True),
        sa.Column("account_key", sa.String(64), nullable=False),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_account", "login_failures", ["account_key", "at"])
    op.create_index("ix_login_failures_address", "login_failures", ["address_key", "at"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
    op.drop_table("login_failures")
