"""outbox: events written with each change, webhook endpoints and deliveries

Revision ID: outbox_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "outbox_0001"
down_revision = None
branch_labels = ("outbox",)
depends_on = "core_0001"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer, nullable=True),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("subject_type", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(300), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_outbox_events_seq", "outbox_events", ["seq"], unique=True)
    head = op.create_table(
        "outbox_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0}])
    op.create_table(
        "outbox_endpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("cursor", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("removed_at", TS, nullable=True),
        sa.Column("removed_by", sa.String(200), nullable=True),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("endpoint_id", sa.Integer, sa.ForeignKey("outbox_endpoints.id"), nullable=False),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("outbox_events.id"), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_attempt_at", TS, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_outbox_delivery"),
    )
    op.create_index("ix_outbox_deliveries_endpoint_id", "outbox_deliveries", ["endpoint_id"])
    op.create_index("ix_outbox_deliveries_next_attempt_at", "outbox_deliveries", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox_deliveries")
    op.drop_table("outbox_endpoints")
    op.drop_table("outbox_head")
    op.drop_index("ix_outbox_events_seq", table_name="outbox_events")
    op.drop_table("outbox_events")
