"""bank: anchors (cross-script name skeletons) of every item

Revision ID: bank_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bank_0002"
down_revision = "bank_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lw_bank_item") as batch:
        batch.add_column(sa.Column("anchors", sa.Text, nullable=True))
        batch.add_column(sa.Column("names", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lw_bank_item") as batch:
        batch.drop_column("names")
        batch.drop_column("anchors")
