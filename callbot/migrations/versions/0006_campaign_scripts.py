"""campaign scripts: own texts, voice, recordings played, answering-machine action, call recording

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("script_texts", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("voice", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("audio", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("machine_action", sa.String(length=10), nullable=False, server_default="message"))
        batch_op.add_column(sa.Column("record_calls", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("recording_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_column("recording_seconds")
        batch_op.drop_column("recording_url")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        for column in ("record_calls", "machine_action", "audio", "voice", "script_texts"):
            batch_op.drop_column(column)
