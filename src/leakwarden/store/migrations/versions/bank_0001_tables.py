"""bank: banks, known items, passages, change feed

Revision ID: bank_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bank_0001"
down_revision = None
branch_labels = ("bank",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lw_bank",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "lw_bank_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bank_id", sa.Integer, sa.ForeignKey("lw_bank.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ext_id", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False, server_default=""),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("origin", sa.String(2000), nullable=False, server_default=""),
        sa.Column("lang", sa.String(20), nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("words", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sha256_bytes", sa.String(64), nullable=True),
        sa.Column("sha256_text", sa.String(64), nullable=False, server_default=""),
        sa.Column("minhash", sa.LargeBinary, nullable=True),
        sa.Column("fingerprints", sa.LargeBinary, nullable=True),
        sa.Column("numbers", sa.Text, nullable=False, server_default=""),
        sa.Column("embedder", sa.String(200), nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("bank_id", "ext_id", name="uq_lw_bank_item_ext"),
    )
    op.create_index("ix_lw_bank_item_bank_id", "lw_bank_item", ["bank_id"])
    op.create_index("ix_lw_bank_item_sha256_bytes", "lw_bank_item", ["sha256_bytes"])
    op.create_index("ix_lw_bank_item_sha256_text", "lw_bank_item", ["sha256_text"])
    op.create_table(
        "lw_bank_passage",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("lw_bank_item.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("words", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lang", sa.String(20), nullable=False, server_default=""),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_lw_bank_passage_item_id", "lw_bank_passage", ["item_id"])
    op.create_table(
        "lw_bank_change",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lw_bank_change_item_id", "lw_bank_change", ["item_id"])


def downgrade() -> None:
    op.drop_table("lw_bank_change")
    op.drop_table("lw_bank_passage")
    op.drop_table("lw_bank_item")
    op.drop_table("lw_bank")
