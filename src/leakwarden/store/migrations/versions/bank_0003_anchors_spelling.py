"""bank: anchors and figures again (Arabic words' frequency in their written spelling; Arabic number words)

``anchors.word_zipf`` now counts "الشركة" (folded "الشركه") as the common word it is, and
``numbers`` reads Arabic number words ("مئتي ألف"), so items' stored anchors, names and figures are
computed again from their text. Items without text (imported signals) keep theirs.

Revision ID: bank_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bank_0003"
down_revision = "bank_0002"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    from leakwarden.signals.bank.anchors import anchor_hashes
    from leakwarden.signals.bank.numbers import number_hashes
    from leakwarden.signals.bank.sketch import sketch

    bind = op.get_bind()
    items = sa.table("lw_bank_item", sa.column("id", sa.Integer), sa.column("text", sa.Text),
                     sa.column("lang", sa.String), sa.column("anchors", sa.Text), sa.column("names", sa.Text),
                     sa.column("numbers", sa.Text))
    last = 0
    while True:
        rows = bind.execute(sa.select(items.c.id, items.c.text, items.c.lang)
                            .where(items.c.id > last, items.c.text.is_not(None))
                            .order_by(items.c.id).limit(_BATCH)).all()
        if not rows:
            break
        for rid, text, lang in rows:
            sk = sketch(text, None, lang or None)
            bind.execute(items.update().where(items.c.id == rid).values(
                anchors=" ".join(sorted(anchor_hashes(sk.keys()))),
                names=" ".join(sorted(anchor_hashes(sk.names()))),
                numbers=" ".join(sorted(number_hashes(sk.numbers())))))
        last = rows[-1][0]


def downgrade() -> None:
    """The older anchors are not kept; items keep the ones computed here."""
