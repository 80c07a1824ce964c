"""A partial index for the inbox's steps waiting on a signer added before their holder (前加签): every inbox page
and tab count asks task_signers for a holder's pending 'before' rows, which ix_task_signers_task (task_id, state,
seq) cannot serve, so each ask read the whole table. Only pending 'before' rows enter the index: it stays small
whatever the history of signatures.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

WHERE = "state = 'pending' AND position = 'before'"  # as engine.models_office.PENDING_BEFORE at this revision


def upgrade() -> None:
    op.create_index("ix_task_signers_waiting", "task_signers", ["holder", "task_id"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_task_signers_waiting", table_name="task_signers")
