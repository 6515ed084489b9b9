"""dialer rules: weekdays, holidays, per-number caps, retries per outcome, shared rate limits, scheduler lease

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-24 09:10:00
"""

import sqlalchemy as sa
from alembic import op

import callbot.db

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

READY = "status IN ('callable', 'callback') AND next_attempt_at IS NULL"
WAITING = "status IN ('callable', 'callback') AND next_attempt_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weekdays", sa.String(length=7), nullable=False, server_default="123456"))
        batch_op.add_column(sa.Column("holiday_country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("extra_holidays", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("max_calls_per_number", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("number_cap_hours", sa.Integer(), nullable=False, server_default="24"))
        batch_op.add_column(sa.Column("retry_policy", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("calls_per_second", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lead_timezones", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("status_note", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("auto_complete", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.drop_column("retry_delay_seconds")
    # Existing campaigns keep their presets' meaning: the permissive preset has no day or number limits.
    op.execute("UPDATE campaigns SET holiday_country = 'VN' WHERE rules_preset = 'vn'")
    op.execute("UPDATE campaigns SET holiday_country = 'US' WHERE rules_preset = 'us'")
    op.execute("UPDATE campaigns SET weekdays = '1234567', max_calls_per_number = 0 WHERE rules_preset = 'permissive'")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("timezone", sa.String(length=200), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_leads_ready ON leads (campaign_id, priority DESC, score DESC, "
            f"registered_at DESC NULLS LAST, id DESC) WHERE {READY}"
        )
    else:
        op.execute(
            "CREATE INDEX ix_leads_ready ON leads (campaign_id, priority DESC, score DESC, registered_at DESC, "
            f"id DESC) WHERE {READY}"
        )
    op.create_index(
        "ix_leads_waiting",
        "leads",
        ["next_attempt_at"],
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )

    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("checked_at", callbot.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE call_attempts SET to_number = (SELECT phone_e164 FROM leads WHERE leads.id = call_attempts.lead_id)"
    )
    op.create_index("ix_call_attempts_number_time", "call_attempts", ["to_number", "created_at"])
    op.create_index(
        "ix_call_attempts_live_campaign",
        "call_attempts",
        ["campaign_id"],
        sqlite_where=sa.text("live"),
        postgresql_where=sa.text("live"),
    )

    op.create_table(
        "rate_limits",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rate_limits")),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )

    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    op.create_index(op.f("ix_apscheduler_jobs_next_run_time"), "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index(op.f("ix_apscheduler_jobs_next_run_time"), table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_table("leases")
    op.drop_table("rate_limits")
    op.drop_index("ix_call_attempts_live_campaign", table_name="call_attempts")
    op.drop_index("ix_call_attempts_number_time", table_name="call_attempts")
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
        batch_op.drop_column("to_number")
    op.drop_index("ix_leads_waiting", table_name="leads")
    op.drop_index("ix_leads_ready", table_name="leads")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("priority")
        batch_op.drop_column("wait_reason")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_delay_seconds", sa.Integer(), nullable=False, server_default="1800"))
        for column in (
            "auto_complete",
            "status_note",
            "lead_timezones",
            "calls_per_second",
            "retry_policy",
            "number_cap_hours",
            "max_calls_per_number",
            "extra_holidays",
            "holiday_country",
            "weekdays",
        ):
            batch_op.drop_column(column)
