"""The policy module's tables (migration: store/migrations/versions/policy_0001_shadow.py).

``policy_deployments`` holds at most two rows: the ``live`` policy once one was promoted, and the
``shadow`` policy while one is deployed, each with the text of its file. ``policy_shadow_decisions``
keeps, for every post ingested while a shadow policy is deployed, what the shadow would have decided
beside what the live policy decided: never enforced, only compared.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leakwarden.store.db import Base

TS = DateTime(timezone=True)


class PolicyDeploymentRow(Base):
    __tablename__ = "policy_deployments"
    slot: Mapped[str] = mapped_column(String(10), primary_key=True)  # live|shadow
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)  # the policy file's text
    fmt: Mapped[str] = mapped_column(String(10))  # toml|yaml
    deployed_at: Mapped[datetime] = mapped_column(TS)
    deployed_by: Mapped[str] = mapped_column(String(200))


class ShadowDecisionRow(Base):
    __tablename__ = "policy_shadow_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(200), index=True)
    author: Mapped[str] = mapped_column(String(200))
    live_policy: Mapped[str] = mapped_column(String(200))  # name@version
    shadow_policy: Mapped[str] = mapped_column(String(200))
    shadow_sha256: Mapped[str] = mapped_column(String(64))
    live_verdict: Mapped[str] = mapped_column(String(20))
    shadow_verdict: Mapped[str] = mapped_column(String(20))
    live_actions: Mapped[list[str]] = mapped_column(JSON)
    shadow_actions: Mapped[list[str]] = mapped_column(JSON)
    live_clauses: Mapped[list[str]] = mapped_column(JSON)
    shadow_clauses: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[Any]] = mapped_column(JSON)  # the shadow's reasons, in words
    differs: Mapped[bool] = mapped_column(Boolean, index=True)
    decided_at: Mapped[datetime] = mapped_column(TS, index=True)
    __table_args__ = (UniqueConstraint("post_id", "shadow_sha256", name="uq_policy_shadow_decision"),)
