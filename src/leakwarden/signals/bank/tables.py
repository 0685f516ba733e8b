"""The bank's tables (migration: store/migrations/versions/bank_0001_tables.py).

Binary columns hold raw little-endian numpy bytes, never pickles (see README.md, "Storage"):
``minhash`` uint32[128]; ``fingerprints`` uint64[n] hashes followed by uint32[n] word positions;
``vector`` float32[dim]. ``lw_bank_change`` is an append-only change feed: readers poll its
largest ``seq`` and load only what is newer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from leakwarden.model import utcnow
from leakwarden.store.db import Base


class BankRow(Base):
    __tablename__ = "lw_bank"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ItemRow(Base):
    __tablename__ = "lw_bank_item"
    __table_args__ = (UniqueConstraint("bank_id", "ext_id", name="uq_lw_bank_item_ext"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("lw_bank.id", ondelete="CASCADE"), index=True)
    ext_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20))  # text | file | url | import
    origin: Mapped[str] = mapped_column(String(2000), default="")  # file name or URL
    lang: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # None for imported signals
    words: Mapped[int] = mapped_column(Integer, default=0)
    sha256_bytes: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    sha256_text: Mapped[str] = mapped_column(String(64), default="", index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    fingerprints: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    numbers: Mapped[str] = mapped_column(Text, default="")  # space-separated number hashes
    # space-separated anchor hashes (``anchors.py``): skeletons of the item's words, and of its likely
    # names; NULL for items stored before anchors existed (computed from the text when loaded)
    anchors: Mapped[str | None] = mapped_column(Text, nullable=True)
    names: Mapped[str | None] = mapped_column(Text, nullable=True)
    embedder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PassageRow(Base):
    __tablename__ = "lw_bank_passage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("lw_bank_item.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    words: Mapped[int] = mapped_column(Integer, default=0)
    lang: Mapped[str] = mapped_column(String(20), default="")
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ChangeRow(Base):
    __tablename__ = "lw_bank_change"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(10))  # add | enable | disable | remove
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
