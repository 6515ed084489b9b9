"""telesales: each lead's disposition history, indexes for "next lead", follow-ups and an agent's items

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 13:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("history", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_index(batch_op.f("ix_queue_items_claimed_by_id"), ["claimed_by_id"], unique=False)
        batch_op.create_index(
            "ix_queue_items_open",
            ["score", "enqueued_at", "id"],
            unique=False,
            sqlite_where=sa.text("disposition IS NULL"),
            postgresql_where=sa.text("disposition IS NULL"),
        )
        batch_op.create_index(
            "ix_queue_items_follow_up",
            ["follow_up_at"],
            unique=False,
            sqlite_where=sa.text("disposition = 'follow_up'"),
            postgresql_where=sa.text("disposition = 'follow_up'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("queue_items", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_items_follow_up")
        batch_op.drop_index("ix_queue_items_open")
        batch_op.drop_index(batch_op.f("ix_queue_items_claimed_by_id"))
        batch_op.drop_column("history")
