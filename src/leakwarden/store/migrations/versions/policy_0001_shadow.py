"""policy: deployed policies (live, shadow) and the shadow policy's decisions

Revision ID: policy_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "policy_0001"
down_revision = None
branch_labels = ("policy",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "policy_deployments",
        sa.Column("slot", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("fmt", sa.String(10), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "policy_shadow_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("post_id", sa.String(200), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("live_policy", sa.String(200), nullable=False),
        sa.Column("shadow_policy", sa.String(200), nullable=False),
        sa.Column("shadow_sha256", sa.String(64), nullable=False),
        sa.Column("live_verdict", sa.String(20), nullable=False),
        sa.Column("shadow_verdict", sa.String(20), nullable=False),
        sa.Column("live_actions", sa.JSON, nullable=False),
        sa.Column("shadow_actions", sa.JSON, nullable=False),
        sa.Column("live_clauses", sa.JSON, nullable=False),
        sa.Column("shadow_clauses", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("differs", sa.Boolean, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("post_id", "shadow_sha256", name="uq_policy_shadow_decision"),
    )
    op.create_index("ix_policy_shadow_decisions_post_id", "policy_shadow_decisions", ["post_id"])
    op.create_index("ix_policy_shadow_decisions_differs", "policy_shadow_decisions", ["differs"])
    op.create_index("ix_policy_shadow_decisions_decided_at", "policy_shadow_decisions", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_policy_shadow_decisions_decided_at", table_name="policy_shadow_decisions")
    op.drop_index("ix_policy_shadow_decisions_differs", table_name="policy_shadow_decisions")
    op.drop_index("ix_policy_shadow_decisions_post_id", table_name="policy_shadow_decisions")
    op.drop_table("policy_shadow_decisions")
    op.drop_table("policy_deployments")
