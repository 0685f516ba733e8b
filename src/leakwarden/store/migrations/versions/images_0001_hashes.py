"""images: PDQ and MD5 hashes of banked images and of banked PDFs' pages; fetched images kept
(encrypted) as evidence

Revision ID: images_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "images_0001"
down_revision = None
branch_labels = ("images",)
depends_on = "bank_0001"


def upgrade() -> None:
    op.create_table(
        "images_hash",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("lw_bank_item.id", ondelete="CASCADE"), nullable=False),
        sa.Column("signal_type", sa.String(20), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("page", sa.Integer, nullable=True),
        sa.Column("quality", sa.Integer, nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_images_hash_item_id", "images_hash", ["item_id"])
    op.create_index("ix_images_hash_value", "images_hash", ["signal_type", "value"])
    op.create_table(
        "images_evidence",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(200), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_images_evidence_post_id", "images_evidence", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_images_evidence_post_id", table_name="images_evidence")
    op.drop_table("images_evidence")
    op.drop_index("ix_images_hash_value", table_name="images_hash")
    op.drop_index("ix_images_hash_item_id", table_name="images_hash")
    op.drop_table("images_hash")
