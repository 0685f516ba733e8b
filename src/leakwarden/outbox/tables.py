"""The outbox's tables: events written with each change, webhook endpoints, deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leakwarden.store.db import Base

TS = DateTime(timezone=True)


class OutboxEvent(Base):
    """One change a platform must hear about. ``seq`` is NULL until the sequencer numbers it,
    after its transaction committed (see :func:`leakwarden.outbox.events.sequence`)."""

    __tablename__ = "outbox_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    type: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TS)


class OutboxHead(Base):
    """One row: the last sequence number handed out. Only the sequencer locks it, briefly."""

    __tablename__ = "outbox_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)


class WebhookEndpoint(Base):
    __tablename__ = "outbox_endpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)  # event types; empty: every type
    secret: Mapped[str] = mapped_column(Text)  # whsec_...: signs deliveries; sealed with the reveal key
    description: Mapped[str] = mapped_column(String(500), default="")
    cursor: Mapped[int] = mapped_column(Integer, default=0)  # the last event seq fanned out to it
    created_at: Mapped[datetime] = mapped_column(TS)
    created_by: Mapped[str] = mapped_column(String(200))
    removed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class WebhookDelivery(Base):
    """One event for one endpoint: pending (due at ``next_attempt_at``), delivered, or dead."""

    __tablename__ = "outbox_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("outbox_endpoints.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(TS, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id", name="uq_outbox_delivery"),)
