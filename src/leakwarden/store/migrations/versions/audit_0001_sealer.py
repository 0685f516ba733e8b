"""audit: events written unsealed (an id of their own) and chained by a sealer; a signed chain head

Revision ID: audit_0001

``audit_events`` is rebuilt with an ``id`` primary key; ``seq``, ``prev_hash`` and ``hash`` stay as
they were for every event already chained (its ``id`` is its ``seq``) and are empty for an event not
sealed yet; ``mac`` is the writer's keyed MAC of a new event. ``audit_head`` gains the sealer's signature, and its row exists from now on: a database
without one has lost it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "audit_0001"
down_revision = None
branch_labels = ("audit",)
depends_on = "core_0001"

_COLUMNS = "at, actor, kind, subject_type, subject_id, payload, prev_hash, hash"
_GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_events_sealed",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subject_type", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(300), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.Column("mac", sa.String(100), nullable=True),
        sa.UniqueConstraint("seq", name="uq_audit_events_seq"),
        sa.UniqueConstraint("mac", name="uq_audit_events_mac"),
    )
    op.execute(f"INSERT INTO audit_events_sealed (id, seq, {_COLUMNS}) "
               f"SELECT seq, seq, {_COLUMNS} FROM audit_events")
    for index in ("ix_audit_events_at", "ix_audit_events_kind", "ix_audit_subject"):
        op.drop_index(index, table_name="audit_events")
    op.drop_table("audit_events")
    op.rename_table("audit_events_sealed", "audit_events")
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_kind", "audit_events", ["kind"])
    op.create_index("ix_audit_subject", "audit_events", ["subject_type", "subject_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # the next id follows the copied ones
        op.execute("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM audit_events), 0) + 1, false)")
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("signature", sa.String(128), nullable=True))
    head = bind.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    if head is None:
        op.execute(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{_GENESIS}')")
    elif head[0] > 0:  # the chain so far is trusted as it stands now, and signed
        from leakwarden.audit import signing

        now = datetime.now(UTC)
        _, kid, signature = signing.sign_head(signing.signing_key(), int(head[0]), str(head[1]), now)
        bind.execute(sa.text("UPDATE audit_head SET signed_at = :at, key_id = :kid, signature = :sig WHERE id = 1"),
                     {"at": now, "kid": kid, "sig": signature})
    _adopt_rows(bind)


def _adopt_rows(bind: sa.Connection) -> None:
    """Strikes, sanctions and actions written before the log covered them: one unsealed event
    records them as they stand (sealed by the next seal)."""
    from leakwarden.audit import coverage, log

    rows = coverage.baseline(bind)
    if rows:
        at, subject, payload = datetime.now(UTC), ",".join(sorted(rows)), log.canonical_json(rows)
        mac = log.writer_mac(at=at, actor="system", kind=coverage.KIND, subject_type="rows", subject_id=subject,
                             payload=payload)
        event = {"at": at, "actor": "system", "kind": coverage.KIND, "subject_type": "rows", "subject_id": subject,
                 "payload": payload, "mac": mac}
        bind.execute(sa.text("INSERT INTO audit_events (at, actor, kind, subject_type, subject_id, payload, mac) "
                             "VALUES (:at, :actor, :kind, :subject_type, :subject_id, :payload, :mac)"), event)


def downgrade() -> None:
    raise NotImplementedError("the audit chain cannot be taken back to one global lock")
