"""What a step's draft holds, as a column: the inbox tags a delegate's answer waiting for confirmation (委派办结待确认)
by it, instead of matching '"kept": ' in the draft's text, which a form field named `kept` matched too. Filled from
the drafts themselves: a holder's draft names its kind at the top level ("kept"); any other is a delegate's answer,
as the inbox counted it until now

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-30
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("draft_kind", sa.String(8)))
    tasks = sa.table("tasks", sa.column("id", sa.String), sa.column("draft", sa.Text),
                     sa.column("draft_kind", sa.String))
    bind = op.get_bind()
    drafts = bind.execute(sa.select(tasks.c.id, tasks.c.draft).where(tasks.c.draft.is_not(None))).all()
    for task_id, draft in drafts:  # open steps only: a closed step keeps no draft
        kind = {"self": "self", "signer": "signer", "returned": "returned"}.get(json.loads(draft).get("kept"), "delegate")
        bind.execute(tasks.update().where(tasks.c.id == task_id).values(draft_kind=kind))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("draft_kind")
