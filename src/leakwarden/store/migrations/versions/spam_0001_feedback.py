"""spam: reviewers' spam/ham reports, and the Akismet fields of comments

Revision ID: spam_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "spam_0001"
down_revision = None
branch_labels = ("spam",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "spam_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("site", sa.String(300), nullable=False),
        sa.Column("label", sa.String(4), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("post_id", sa.String(200), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(300), nullable=False),
        sa.Column("email", sa.String(300), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_spam_feedback_site", "spam_feedback", ["site"])
    op.create_index("ix_spam_feedback_post_id", "spam_feedback", ["post_id"])
    op.create_table(
        "spam_comment",
        sa.Column("post_id", sa.String(200), primary_key=True),
        sa.Column("site", sa.String(300), nullable=False),
        sa.Column("author", sa.String(300), nullable=False),
        sa.Column("email", sa.String(300), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("spam_comment")
    op.drop_index("ix_spam_feedback_post_id", table_name="spam_feedback")
    op.drop_index("ix_spam_feedback_site", table_name="spam_feedback")
    op.drop_table("spam_feedback")
