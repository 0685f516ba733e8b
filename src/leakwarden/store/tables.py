"""The core tables. Other modules (banks, link cache) declare theirs beside their code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leakwarden.store.db import Base

TS = DateTime(timezone=True)


class Meta(Base):
    """Counters other processes poll to see that something changed (``rules_version``...)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    # Set when a moderator reinstates: automatic clauses cannot re-sanction on evidence seen before.
    reinstated_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    reinstated_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    limited: Mapped[bool] = mapped_column(Boolean, default=False)
    # Evidence fingerprints a moderator already judged when reinstating: automatic clauses skip them.
    cleared_evidence: Mapped[list[str]] = mapped_column(JSON, default=list)


class PostRow(Base):
    __tablename__ = "posts"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    author: Mapped[str] = mapped_column(String(200), index=True)
    surface: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the Post as received
    status: Mapped[str] = mapped_column(String(20), default="visible")  # visible|labelled|restricted|removed
    verdict: Mapped[str] = mapped_column(String(20))
    policy: Mapped[str] = mapped_column(String(200))
    policy_version: Mapped[str] = mapped_column(String(200))
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    ingested_at: Mapped[datetime] = mapped_column(TS, index=True)
    decided_at: Mapped[datetime] = mapped_column(TS)


class PostLink(Base):
    """Every canonical URL a stored post links to (and every hop it led to): for retro-scans."""

    __tablename__ = "post_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(300), index=True)
    __table_args__ = (UniqueConstraint("post_id", "url", name="uq_post_link"),)


class UrlRuleRow(Base):
    __tablename__ = "url_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))  # exact|prefix|domain
    value: Mapped[str] = mapped_column(Text)  # as given
    pattern: Mapped[str] = mapped_column(Text)  # canonical
    action: Mapped[str] = mapped_column(String(10))  # block|warn|allow
    reason: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(200))
    source: Mapped[bool] = mapped_column(Boolean, default=False)  # marked as a source of the material
    created_at: Mapped[datetime] = mapped_column(TS)
    removed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer, index=True)  # meta.rules_version at last change


class EnforcementAction(Base):
    """An action applied to a post or account. Unique per (post, type, clause, target): idempotent."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str | None] = mapped_column(String(200), index=True, nullable=True)
    account: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[str] = mapped_column(String(20))
    clause: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(Text, default="")  # url for block_link, label text...
    duration_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    actor: Mapped[str] = mapped_column(String(200))
    policy_version: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TS, index=True)
    reversed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    reversed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    __table_args__ = (UniqueConstraint("post_id", "type", "clause", "target", name="uq_action"),)


class Strike(Base):
    __tablename__ = "strikes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(200), index=True)
    post_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    clause: Mapped[str] = mapped_column(String(200))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    removed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    __table_args__ = (UniqueConstraint("account", "post_id", "clause", name="uq_strike"),)


class Sanction(Base):
    """A suspension (until a time) or a ban (until NULL) of an account."""

    __tablename__ = "sanctions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # suspend|ban
    post_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    clause: Mapped[str] = mapped_column(String(200))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(TS)
    until: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    lifted_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str | None] = mapped_column(String(200), index=True, nullable=True)
    account: Mapped[str | None] = mapped_column(String(200), index=True, nullable=True)
    source: Mapped[str] = mapped_column(String(20))  # policy|detector|report|appeal
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open|escalated|closed
    resolution: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS, index=True)
    updated_at: Mapped[datetime] = mapped_column(TS)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditHead(Base):
    """One row: the last sealed event's sequence number and hash, signed by the sealer (``audit.log``)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True)


class AuditEventRow(Base):
    """An audit event. Written unsealed (``seq``, ``prev_hash`` and ``hash`` empty) by the change it
    records; the sealer gives it its place in the chain."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    at: Mapped[datetime] = mapped_column(TS, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    mac: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)  # the writer's: nonce.hmac
    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id"),)


class OutsideRequestRow(Base):
    __tablename__ = "outside_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))  # campaign|government|court|law_enforcement|rights_holder|other
    requester: Mapped[str] = mapped_column(String(300))
    asked: Mapped[str] = mapped_column(Text)
    concerns: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"posts": [], "urls": [], "accounts": []}
    outcome: Mapped[str] = mapped_column(String(30))  # complied|partially_complied|rejected|pending
    done: Mapped[str] = mapped_column(Text, default="")
    action_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(TS, index=True)
    recorded_by: Mapped[str] = mapped_column(String(200))


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class PolicyVersionRow(Base):
    __tablename__ = "policy_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(TS)
    __table_args__ = (UniqueConstraint("name", "sha256", name="uq_policy_version"),)


__all__ = [
    "Account", "ApiKey", "AuditEventRow", "AuditHead", "CaseRow", "EnforcementAction", "Meta",
    "OutsideRequestRow", "PolicyVersionRow", "PostLink", "PostRow", "Sanction", "Strike", "UrlRuleRow",
]
