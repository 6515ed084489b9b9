"""live transfer: agents' phones and availability, the campaign's choice, the transfer of each call

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 11:30:00
"""

import sqlalchemy as sa
from alembic import op

import callbot.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("transfer_attempt_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("transfer_until", callbot.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("live_transfer", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("transfer_timeout_seconds", sa.Integer(), nullable=False, server_default="20"))
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transfer_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("transfer_status", sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_call_attempts_transfer_to_id_users"), "users", ["transfer_to_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_call_attempts_transfer_to_id_users"), type_="foreignkey")
        batch_op.drop_column("transfer_status")
        batch_op.drop_column("transfer_to_id")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("transfer_timeout_seconds")
        batch_op.drop_column("live_transfer")
    with op.batch_alter_table("users", schema=None) as batch_op:
        for column in ("transfer_until", "transfer_attempt_id", "available", "phone"):
            batch_op.drop_column(column)
