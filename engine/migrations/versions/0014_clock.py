"""补正 (stop-the-clock): the periods a case's SLA clock stood, and the figures with and without them

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_pauses",
        sa.Column("id", ID, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("element_id", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("days", sa.Float(), nullable=True),
        sa.Column("held", sa.Text(), nullable=True),
    )
    op.create_index("ix_case_pauses_case", "case_pauses", ["case_id", "resumed_at"])
    with op.batch_alter_table("case_facts") as batch:
        batch.add_column(sa.Column("handling_gross_days", sa.Float(), nullable=True))
        batch.add_column(sa.Column("stopped_days", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_table("case_pauses")
    with op.batch_alter_table("case_facts") as batch:
        batch.drop_column("stopped_days")
        batch.drop_column("handling_gross_days")
