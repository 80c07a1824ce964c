"""Departments' sub-units (street offices of 街道办): a parent and an area

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.add_column(sa.Column("parent_code", sa.String(16), nullable=True))
        batch.add_column(sa.Column("district", sa.String(32), nullable=True))
        batch.add_column(sa.Column("covers", sa.Text(), nullable=True))
        batch.create_index("ix_departments_parent", ["parent_code"])


def downgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.drop_index("ix_departments_parent")
        batch.drop_column("covers")
        batch.drop_column("district")
        batch.drop_column("parent_code")
