"""Facts the figures are computed from (one row per case and per step), the refresh watermark, settings,
stagnation alert rules and their watches, service ratings, monthly rollups, signed audit checkpoints

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_facts",
        sa.Column("case_id", ID, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("business_key", sa.String(64), nullable=False),
        sa.Column("process_key", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("area", sa.String(64)),
        sa.Column("category", sa.String(64)),
        sa.Column("addressee", sa.String(16)),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("accepted_at", WHEN),
        sa.Column("decided_at", WHEN),
        sa.Column("first_outcome", sa.String(64)),
        sa.Column("outcome", sa.String(64)),
        sa.Column("success", sa.Boolean()),
        sa.Column("changed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("approved_at", WHEN),
        sa.Column("paid_at", WHEN),
        sa.Column("answered_at", WHEN),
        sa.Column("reply_due_at", WHEN),
        sa.Column("ended_at", WHEN),
        sa.Column("handling_days", sa.Float()),
        sa.Column("disbursement_days", sa.Float()),
        sa.Column("reply_days", sa.Float()),
        sa.Column("appeals", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("objections", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("requests", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("withdrawn", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("rating", sa.Integer()),
    )
    for column in ("accepted_at", "decided_at", "paid_at", "ended_at", "answered_at"):
        op.create_index(f"ix_case_facts_{column}", "case_facts", [column])
    op.create_table(
        "step_facts",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("case_id", ID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("process_key", sa.String(100), nullable=False),
        sa.Column("element_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("department_code", sa.String(16), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("closed_at", WHEN),
        sa.Column("due_at", WHEN),
        sa.Column("escalated_at", WHEN),
        sa.Column("work_days", sa.Float()),
        sa.Column("on_time", sa.Boolean()),
    )
    op.create_index("ix_step_facts_department_closed", "step_facts", ["department_code", "closed_at"])
    op.create_index("ix_step_facts_closed", "step_facts", ["closed_at"])
    op.create_index("ix_step_facts_case", "step_facts", ["case_id"])
    op.create_table(
        "kpi_progress",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("seq", ID, nullable=False),
        sa.Column("updated_at", WHEN),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", ID, primary_key=True),
        sa.Column("process_key", sa.String(100), nullable=False),
        sa.Column("element_id", sa.String(100)),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "alert_watches",
        sa.Column("id", ID, primary_key=True),
        sa.Column("rule_id", ID, sa.ForeignKey("alert_rules.id"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("case_id", ID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("task_id", sa.String(36)),
        sa.Column("department_code", sa.String(16)),
        sa.Column("fire_at", WHEN, nullable=False),
        sa.Column("raised_at", WHEN),
        sa.Column("cleared_at", WHEN),
    )
    op.create_index("ix_alert_watches_due", "alert_watches", ["fire_at"],
                    postgresql_where=sa.text("raised_at IS NULL"), sqlite_where=sa.text("raised_at IS NULL"))
    op.create_index("ix_alert_watches_case", "alert_watches", ["case_id"])
    op.create_index("ix_alert_watches_open", "alert_watches", ["department_code", "cleared_at", "raised_at"])
    for table, dims in (("kpi_case_rollups", [sa.Column("area", sa.String(64), nullable=False),
                                              sa.Column("category", sa.String(64), nullable=False),
                                              sa.Column("department", sa.String(16), nullable=False)]),
                        ("kpi_step_rollups", [sa.Column("department", sa.String(16), nullable=False),
                                              sa.Column("element_id", sa.String(100), nullable=False),
                                              sa.Column("name", sa.String(200), nullable=False)])):
        op.create_table(
            table,
            sa.Column("id", ID, primary_key=True),
            sa.Column("month", sa.String(7), nullable=False),
            sa.Column("metric", sa.String(12), nullable=False),
            sa.Column("process_key", sa.String(100), nullable=False),
            *dims,
            sa.Column("n", sa.Integer(), nullable=False),
            sa.Column("total", sa.Float(), nullable=False),
            sa.Column("hist", sa.Text(), nullable=False),
            sa.Column("extra", sa.Text(), nullable=False),
        )
        op.create_index(f"ix_{table}", table, ["month", "metric", "department"])
    op.create_table("kpi_dirty_months", sa.Column("month", sa.String(7), primary_key=True))
    op.create_table(
        "kpi_open_steps",
        sa.Column("process_key", sa.String(100), primary_key=True),
        sa.Column("department", sa.String(16), primary_key=True),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("counted_at", WHEN, nullable=False),
    )
    op.create_index("ix_step_facts_open", "step_facts", ["state", "due_at"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", ID, primary_key=True),
        sa.Column("seq", ID, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_table(
        "case_ratings",
        sa.Column("case_id", ID, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("rated_by", sa.String(64), nullable=False),
        sa.Column("rated_at", WHEN, nullable=False),
        sa.Column("follow_up", sa.String(64)),
    )


def downgrade() -> None:
    for table in ("audit_checkpoints", "case_ratings", "kpi_open_steps", "kpi_dirty_months", "kpi_step_rollups", "kpi_case_rollups", "alert_watches", "alert_rules", "settings", "kpi_progress", "step_facts", "case_facts"):
        op.drop_table(table)
