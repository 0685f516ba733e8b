"""``SpamDetector``: comment spam, as a Signal the policy can act on, learning from reviewers.

The score of a comment is the linear model's probability (:mod:`.model`), raised when the comment
is close to a reported spam of a campaign (:mod:`.memory`) and lowered when it is close to a
comment the same site reported as ham. Reports are rows of ``spam_feedback``: :meth:`report` writes
one and learns it at once; every other process sharing the database learns it within
``poll_interval`` seconds (it polls the largest id, like the URL rules' version).

A comment's author fields (name, e-mail, URL) and its site are not part of a Post: a caller that
knows them (the Akismet route) passes them for the length of a check with :func:`comment_context`.
Without them the detector reads the text alone, as it does for every post.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import func, select

from leakwarden.audit import log as audit
from leakwarden.errors import InvalidInput
from leakwarden.model import Evidence, Signal, Subject, SubjectKind, Surface, utcnow
from leakwarden.signals.base import Attr, SignalSpec
from leakwarden.signals.spam.features import Comment, has_bait, lang_of
from leakwarden.signals.spam.memory import CampaignMemory, Match
from leakwarden.signals.spam.model import SpamModel
from leakwarden.signals.spam.private import PHONE_ONLY, exposed_person
from leakwarden.signals.spam.tables import SpamFeedbackRow
from leakwarden.store.db import Database

log = logging.getLogger(__name__)
LABELS = ("spam", "ham")
SOURCES = ("akismet", "console", "api", "library", "cli")
MAX_SITE = 300

SPAM_SIGNAL = SignalSpec(
    kind="spam", subjects=frozenset({SubjectKind.POST_TEXT}),
    doc="comment spam (SpamDetector): strength is the probability that the text is spam",
    attrs={
        "blatant": Attr(bool, doc="so sure that it may be discarded unseen (Akismet's 'discard')"),
        "campaign": Attr(bool, doc="close to spam a reviewer reported (a campaign)"),
        "review": Attr(bool, doc="uncertain: under the spam threshold, in the band a person should look at "
                                 "(a policy that acts on spam alone says review = false)"),
        "lang": Attr(str, values=("en", "ar", "other"), doc="the script of the text"),
    },
)

_context: ContextVar[tuple[Comment, str] | None] = ContextVar("leakwarden_spam_comment", default=None)


@contextlib.contextmanager
def comment_context(comment: Comment, site: str = "") -> Iterator[None]:
    """Within this block, a post whose text is ``comment.text`` is read with ``comment``'s author
    fields, as a comment of ``site``."""
    token = _context.set((comment, site))
    try:
        yield
    finally:
        _context.reset(token)


@dataclass(frozen=True)
class SpamScore:
    probability: float
    model: float  # the linear model's own probability
    spam: bool
    blatant: bool
    lang: str
    campaign: Match | None = None  # the reported spam it is close to
    ham: Match | None = None  # the reported ham (this site) it is close to
    review: bool = False  # uncertain: in the band under the spam threshold, or a phone said to be someone's
    private: str | None = None  # the label of a person's private information it exposes (not spam)


def check_site(site: str) -> str:
    site = site.strip()
    if len(site) > MAX_SITE:
        raise InvalidInput(f"a site name is at most {MAX_SITE} characters", code="invalid_site")
    return site


class SpamDetector:
    """Scores POST_TEXT subjects; emits a ``spam`` Signal when the probability reaches the model's
    spam threshold. ``db`` (optional) holds reports: without it the detector learns in memory only."""

    kind = SPAM_SIGNAL.kind
    subjects = SPAM_SIGNAL.subjects
    signal = SPAM_SIGNAL
    poll_interval = 0.5

    def __init__(self, db: Database | None = None, model: SpamModel | None = None,
                 memory: CampaignMemory | None = None) -> None:
        self.db = db
        self.model = model or SpamModel()
        self.memory = memory or CampaignMemory()
        self._seen = 0  # the largest feedback id learnt
        self._checked = 0.0
        self._lock = threading.Lock()
        self._local_id = 0
        self.refresh(force=True)

    # -- scoring -----------------------------------------------------------------------------
    def score(self, comment: Comment, site: str = "") -> SpamScore:
        self.refresh()
        rows = self.model.featurizer.rows([comment])
        p_model = float(self.model.probability(rows.model, [comment])[0])
        spam_match, ham_match = self.memory.nearest(rows.memory, site)
        p = p_model
        th = self.model.thresholds
        # close to a report: spam of a reported campaign is spam; a copy of what this site called ham is clean
        if spam_match is not None and (ham_match is None or spam_match.similarity > ham_match.similarity):
            p = max(p, min(0.995, max(th.spam, 0.5 + spam_match.similarity / 2)))
            ham_match = None
        elif ham_match is not None:
            p = max(0.0, min(p, 0.5 - ham_match.similarity / 2, th.review - 0.01))
            spam_match = None
        private = exposed_person(comment.text) if p >= min(th.review, th.spam) else None
        flagged = private is None
        # a phone number said to be someone else's is doxxing or a testimonial's contact bait ("whoever
        # wants his number"); the policy does not act on a lone number, so a person tells them apart
        unsure = private == PHONE_ONLY or (flagged and p < th.spam)
        return SpamScore(probability=p, model=p_model, spam=flagged and p >= th.spam,
                         blatant=flagged and p >= th.blatant, lang=lang_of(comment.text), campaign=spam_match,
                         ham=ham_match, review=unsure and p >= th.review, private=private)

    def detect(self, subject: Subject) -> list[Signal]:
        """Comments always; a post or message only when it has a way out (:func:`has_bait`: a
        link, contact details, "WhatsApp me"): spam without one sells nothing, and the check is
        then not worth its cost on every post."""
        if not subject.text.strip():
            return []
        if subject.surface is not Surface.COMMENT and not has_bait(subject.text):
            return []
        given = _context.get()
        comment, site = given if given is not None and given[0].text == subject.text else (Comment(subject.text), "")
        result = self.score(comment, site)
        if not (result.spam or result.review):
            return []
        summary = f"spam probability {result.probability:.2f} (model {result.model:.2f})"
        if result.private == PHONE_ONLY:
            summary = (f"uncertain: {summary}; it gives a phone number said to be someone else's (doxxing, or "
                       "a testimonial's contact bait)")
        elif result.review:
            summary = f"uncertain: {summary}, under the spam threshold {self.model.thresholds.spam:.2f}"
        data: dict[str, object] = {"probability": round(result.probability, 4), "model": round(result.model, 4),
                                   "lang": result.lang, "site": site}
        if result.campaign is not None:
            summary += f"; like spam report #{result.campaign.feedback_id} ({result.campaign.similarity:.2f})"
            data["campaign_report"] = result.campaign.feedback_id
            data["similarity"] = round(result.campaign.similarity, 4)
        return [Signal(kind=self.kind, strength=round(min(1.0, max(0.0, result.probability)), 4),
                       subject_kind=subject.kind, subject=subject.ref,
                       attrs={"blatant": result.blatant, "campaign": result.campaign is not None,
                              "lang": result.lang, "review": result.review},
                       evidence=[Evidence(summary=summary, subject=subject.ref, path=list(subject.path),
                                          item=f"spam-report:{result.campaign.feedback_id}"
                                          if result.campaign else None, data=data)])]

    # -- learning ----------------------------------------------------------------------------
    def report(self, comment: Comment, label: str, *, site: str = "", source: str = "library",
               actor: str = "library", post_id: str | None = None) -> int:
        """A reviewer says this comment is ``spam`` or ``ham``: record it and learn it now."""
        if label not in LABELS:
            raise InvalidInput("a report's label is spam or ham", code="invalid_label")
        if source not in SOURCES:
            raise InvalidInput(f"a report's source is one of {', '.join(SOURCES)}", code="invalid_source")
        if not comment.text.strip():
            raise InvalidInput("a report needs the comment's text", code="invalid_comment")
        site = check_site(site)
        if self.db is None:
            with self._lock:
                self._local_id += 1
                self._learn([(self._local_id, site, label, comment)])
                return self._local_id
        with self.db.session() as s:
            row = SpamFeedbackRow(site=site, label=label, source=source, actor=actor[:200], post_id=post_id,
                                  text=comment.text, author=comment.author[:300], email=comment.email[:300],
                                  url=comment.url[:2000], created_at=utcnow())
            s.add(row)
            s.flush()
            feedback_id = row.id
            audit.append(s, actor=actor[:200], kind="spam.reported", subject_type="spam_report",
                         subject_id=str(feedback_id),
                         payload={"label": label, "site": site, "source": source, "post_id": post_id})
        self.refresh(force=True)
        return feedback_id

    def refresh(self, *, force: bool = False) -> None:
        """Learn the reports other processes (or this one) wrote since the last refresh."""
        if self.db is None:
            return
        now = time.monotonic()
        if not force and now - self._checked < self.poll_interval:
            return
        with self._lock:
            self._checked = now
            with self.db.session() as s:
                newest = s.scalar(select(func.max(SpamFeedbackRow.id))) or 0
                if newest <= self._seen:
                    return
                rows = s.scalars(select(SpamFeedbackRow).where(SpamFeedbackRow.id > self._seen)
                                 .order_by(SpamFeedbackRow.id)).all()
            self._learn([(r.id, r.site, r.label, Comment(r.text, r.author, r.email, r.url)) for r in rows])
            self._seen = max(self._seen, newest)

    def _learn(self, reports: list[tuple[int, str, str, Comment]]) -> None:
        if not reports:
            return
        comments = [c for _, _, _, c in reports]
        labels = [1 if label == "spam" else 0 for _, _, label, _ in reports]
        rows = self.model.featurizer.rows(comments)
        self.model.learn(rows.model, labels, comments)
        for i, (feedback_id, site, _, _) in enumerate(reports):
            self.memory.add(feedback_id, site, labels[i], rows.memory[i])
        log.info("spam: learnt %d reports", len(reports))

    @property
    def reports_learnt(self) -> int:
        return len(self.memory)
