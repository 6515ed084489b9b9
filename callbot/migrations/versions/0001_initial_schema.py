"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 06:53:44.236188
"""

import sqlalchemy as sa
from alembic import op

import callbot.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("starts_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rules_preset", sa.String(length=20), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Time(), nullable=False),
        sa.Column("window_end", sa.Time(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("callback_delay_seconds", sa.Integer(), nullable=False),
        sa.Column("max_concurrent_calls", sa.Integer(), nullable=False),
        sa.Column("ring_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("created_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_table(
        "do_not_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("created_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_do_not_call")),
        sa.UniqueConstraint("phone_e164", name=op.f("uq_do_not_call_phone_e164")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("phone_raw", sa.String(length=100), nullable=True),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=50), nullable=True),
        sa.Column("registered_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_outcome", sa.String(length=30), nullable=True),
        sa.Column("pre_score", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("score_reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_leads_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["leads.id"], name=op.f("fk_leads_duplicate_of_id_leads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_dial_order", ["campaign_id", "status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_phone_e164"), ["phone_e164"], unique=False)
        batch_op.create_index(
            "uq_leads_campaign_phone",
            ["campaign_id", "phone_e164"],
            unique=True,
            sqlite_where=sa.text("verdict <> 'duplicate' AND phone_e164 IS NOT NULL"),
            postgresql_where=sa.text("verdict <> 'duplicate' AND phone_e164 IS NOT NULL"),
        )

    op.create_table(
        "call_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("answered_by", sa.String(length=30), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("identity_confirmed", sa.Boolean(), nullable=True),
        sa.Column("interest", sa.String(length=20), nullable=True),
        sa.Column("flow_state", sa.JSON(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_call_attempts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_call_attempts_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_attempts")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_call_attempts_call_sid")),
        sa.UniqueConstraint("lead_id", "attempt_no", name=op.f("uq_call_attempts_lead_id")),
    )
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_attempts_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_attempts_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            "uq_call_attempts_live_lead",
            ["lead_id"],
            unique=True,
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        )

    op.create_table(
        "queue_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("enqueued_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(length=30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("follow_up_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposed_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_queue_items_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["claimed_by_id"], ["users.id"], name=op.f("fk_queue_items_claimed_by_id_users")),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_queue_items_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_items")),
        sa.UniqueConstraint("lead_id", name=op.f("uq_queue_items_lead_id")),
    )
    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queue_items_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=80), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("received_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["call_attempts.id"],
            name=op.f("fk_call_events_attempt_id_call_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
        sa.UniqueConstraint("call_sid", "dedupe_key", name=op.f("uq_call_events_call_sid")),
    )
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_events_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_events_call_sid"), ["call_sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_events_call_sid"))
        batch_op.drop_index(batch_op.f("ix_call_events_attempt_id"))

    op.drop_table("call_events")
    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_items_campaign_id"))

    op.drop_table("queue_items")
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_call_attempts_live_lead", sqlite_where=sa.text("live"), postgresql_where=sa.text("live")
        )
        batch_op.drop_index(batch_op.f("ix_call_attempts_lead_id"))
        batch_op.drop_index(batch_op.f("ix_call_attempts_campaign_id"))

    op.drop_table("call_attempts")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_leads_campaign_phone",
            sqlite_where=sa.text("verdict <> 'duplicate' AND phone_e164 IS NOT NULL"),
            postgresql_where=sa.text("verdict <> 'duplicate' AND phone_e164 IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_leads_phone_e164"))
        batch_op.drop_index("ix_leads_dial_order")

    op.drop_table("leads")
    op.drop_table("audit_log")
    op.drop_table("users")
    op.drop_table("do_not_call")
    op.drop_table("campaigns")
