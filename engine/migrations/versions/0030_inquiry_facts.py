"""Formal inquiries as the figures see them, one row per inquiry: a case may call several (函询 from its steps);
filled from the inquiry cases' own facts, so the figures stay as they were until the facts are next rebuilt

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inquiry_facts",
        sa.Column("case_id", ID, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("process_key", sa.String(100), nullable=False),
        sa.Column("addressee", sa.String(16), nullable=False),
        sa.Column("asked_at", WHEN, nullable=False),
        sa.Column("answered_at", WHEN),
        sa.Column("reply_due_at", WHEN),
        sa.Column("reply_days", sa.Float()),
    )
    op.create_index("ix_inquiry_facts_asked", "inquiry_facts", ["asked_at"])
    op.execute("INSERT INTO inquiry_facts (case_id, number, process_key, addressee, asked_at, answered_at, reply_due_at,"
               " reply_days) SELECT case_id, 0, process_key, addressee, accepted_at, answered_at, reply_due_at, reply_days"
               " FROM case_facts WHERE addressee IS NOT NULL AND accepted_at IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_inquiry_facts_asked", table_name="inquiry_facts")
    op.drop_table("inquiry_facts")
