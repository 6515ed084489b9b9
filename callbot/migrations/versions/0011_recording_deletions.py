"""recording deletions: call recordings still to delete at Twilio after an erasure or the retention job

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import callbot.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=40), nullable=True),
        sa.Column("recording_sids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("requested_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("tried_at", callbot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_deletions")),
    )
    op.create_index(op.f("ix_recording_deletions_call_sid"), "recording_deletions", ["call_sid"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recording_deletions_call_sid"), table_name="recording_deletions")
    op.drop_table("recording_deletions")
