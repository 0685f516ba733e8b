"""The images tables (migration: store/migrations/versions/images_0001_hashes.py).

``images_hash`` holds the perceptual (PDQ) and exact (MD5) hashes of banked material, keyed by bank
item: one row per image, and one PDQ row per rendered page of a banked PDF (``page`` from 1). Rows
are only added or removed with their item, so readers poll the largest ``id`` and load what is newer.

``images_evidence`` keeps a fetched image that held private information (a hop of a stored post's
link chain), encrypted with the reveal key (``signals.pii.atrest``), so the console can show it to a
reviewer blurred, and in clear after an audited reveal. An attachment's bytes are in the post itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leakwarden.model import utcnow
from leakwarden.store.db import Base


class ImageHashRow(Base):
    __tablename__ = "images_hash"
    __table_args__ = (Index("ix_images_hash_value", "signal_type", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("lw_bank_item.id", ondelete="CASCADE"), index=True)
    signal_type: Mapped[str] = mapped_column(String(20))  # pdq | md5
    value: Mapped[str] = mapped_column(String(64))  # lowercase hex
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ImageEvidenceRow(Base):
    __tablename__ = "images_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str] = mapped_column(Text)  # the evidence's subject ref: post → url → image url
    sha256: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(Text)  # Fernet token of the image's bytes
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
