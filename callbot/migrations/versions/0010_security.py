"""security: sign-in failures for throttling across workers, consent source and time per lead

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 16:00:00
"""

import sqlalchemy as sa
from alembic import op

import callbot.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_at", callbot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_lookup", "sign_in_failures", ["scope", "key", "failed_at"], unique=False)
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_source", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("consent_at", callbot.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("consent_at")
        batch_op.drop_column("consent_source")
    op.drop_index("ix_sign_in_failures_lookup", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
