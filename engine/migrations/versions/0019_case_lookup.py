"""Case lookup: keyed digests of the searchable values of each case (applicant's name, ID number), so that
staff find a case by an exact value through an index, with no plain personal data in it

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_lookup",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("case_id", ID, primary_key=True),
        sa.Column("field", sa.String(100), primary_key=True),
    )
    op.create_index("ix_case_lookup_case", "case_lookup", ["case_id"])


def downgrade() -> None:
    op.drop_table("case_lookup")
