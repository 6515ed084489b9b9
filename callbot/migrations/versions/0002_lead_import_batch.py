"""lead import batch; numbers looked up per campaign; one callable lead per number per campaign

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 07:23:44.728910
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CALLABLE_ONLY = "verdict IN ('ok', 'suspect')"
NOT_DUPLICATE = "verdict <> 'duplicate' AND phone_e164 IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_batch", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_import_batch"), ["import_batch"], unique=False)
        batch_op.create_index("ix_leads_campaign_phone", ["campaign_id", "phone_e164"], unique=False)
        # Blocked rows may repeat a number too: only callable leads must hold a number alone.
        batch_op.drop_index("uq_leads_campaign_phone")
        batch_op.create_index(
            "uq_leads_campaign_callable_phone",
            ["campaign_id", "phone_e164"],
            unique=True,
            sqlite_where=sa.text(CALLABLE_ONLY),
            postgresql_where=sa.text(CALLABLE_ONLY),
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("uq_leads_campaign_callable_phone")
        batch_op.create_index(
            "uq_leads_campaign_phone",
            ["campaign_id", "phone_e164"],
            unique=True,
            sqlite_where=sa.text(NOT_DUPLICATE),
            postgresql_where=sa.text(NOT_DUPLICATE),
        )
        batch_op.drop_index("ix_leads_campaign_phone")
        batch_op.drop_index(batch_op.f("ix_leads_import_batch"))
        batch_op.drop_column("import_batch")
