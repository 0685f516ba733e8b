"""The spam detector's tables (migration: store/migrations/versions/spam_0001_feedback.py).

``spam_feedback`` is append-only: every report (Akismet ``submit-spam``/``submit-ham``, a
moderator's verdict in the console, ``POST /v1/spam/feedback``) with the comment it is about.
Every process polls its largest ``id`` and learns only the rows that are new. ``spam_comment``
keeps, for a comment that came in through the Akismet route, the fields a Post has no room for (the
site, the author's name, e-mail and URL), so that a moderator's verdict on it teaches the model
what the model saw.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leakwarden.model import utcnow
from leakwarden.store.db import Base

TS = DateTime(timezone=True)


class SpamFeedbackRow(Base):
    __tablename__ = "spam_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(300), default="", index=True)
    label: Mapped[str] = mapped_column(String(4))  # spam | ham
    source: Mapped[str] = mapped_column(String(20))  # akismet | console | api | library | cli
    actor: Mapped[str] = mapped_column(String(200))
    post_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)


class SpamCommentRow(Base):
    __tablename__ = "spam_comment"

    post_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    site: Mapped[str] = mapped_column(String(300), default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(TS, default=utcnow)
