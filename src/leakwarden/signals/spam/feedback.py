"""Reviewers' verdicts on stored posts, taught to the spam detector.

A post that came in through the Akismet route has its author fields and site in ``spam_comment``;
any other post is taught by its text alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from leakwarden.errors import NotFound
from leakwarden.signals.pii import atrest
from leakwarden.signals.spam.detector import SpamDetector
from leakwarden.signals.spam.features import Comment
from leakwarden.signals.spam.tables import SpamCommentRow
from leakwarden.store.db import Database
from leakwarden.store.tables import PostRow


def spam_detector(detectors: Iterable[object]) -> SpamDetector | None:
    """The engine's spam detector, if it runs one."""
    return next((d for d in detectors if isinstance(d, SpamDetector)), None)


def stored_comment(session: Session, post_id: str) -> tuple[Comment, str]:
    """A stored post as the spam model reads it, and its site ("" when unknown)."""
    post = session.get(PostRow, post_id)
    if post is None:
        raise NotFound(f"no post {post_id!r}")
    try:  # the clear text: the stored one has its private values masked
        text = str(atrest.clear_body(post.body).get("text", post.text))
    except atrest.SealedUnreadable:
        text = post.text
    meta = session.get(SpamCommentRow, post_id)
    if meta is None:
        return Comment(text), ""
    return Comment(text, meta.author, meta.email, meta.url), meta.site


def report_post(db: Database, detector: SpamDetector, post_id: str, label: str, *, actor: str,
                source: str) -> int:
    """Teach the detector that a stored post is ``spam`` or ``ham``; the report's id."""
    with db.session() as s:
        comment, site = stored_comment(s, post_id)
    return detector.report(comment, label, site=site, source=source, actor=actor, post_id=post_id)


def was_spam(decision: dict[str, object] | None) -> bool:
    """Did a stored decision have a spam signal?"""
    signals = (decision or {}).get("signals") or []
    return isinstance(signals, list) and any(isinstance(s, dict) and s.get("kind") == "spam" for s in signals)


def learn_from_review(db: Database, detectors: Iterable[object], post_id: str | None, act: str, *,
                      actor: str) -> int | None:
    """A moderator confirmed or overturned the decision on a post that had a spam signal: the
    detector learns it as spam (confirmed) or ham (overturned). Returns the report's id, if any."""
    detector = spam_detector(detectors)
    if detector is None or post_id is None or act not in ("confirm", "overturn"):
        return None
    with db.session() as s:
        row = s.get(PostRow, post_id)
        if row is None or not was_spam(row.decision):
            return None
    return report_post(db, detector, post_id, "spam" if act == "confirm" else "ham", actor=actor, source="console")
