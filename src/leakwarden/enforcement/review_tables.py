"""Appeals: an account's request to reverse an action, once per action (see ``enforcement.review``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leakwarden.store.db import Base
from leakwarden.store.tables import TS


class AppealRow(Base):
    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), unique=True)  # one appeal per action
    account: Mapped[str] = mapped_column(String(200), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    statement: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime] = mapped_column(TS)
    filed_by: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)  # granted|denied
    resolved_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
