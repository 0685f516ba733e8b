"""ImageHashDetector: images (attachments, fetched images, scanned PDFs' pages) matched against the
banks' image hashes (kind ``bank``, method ``pdq`` or ``md5``), so a policy's clauses on known
material act on them as on a text match. What an image's text matches is the BankDetector's: it
reads the OCR text like any other."""

from __future__ import annotations

import logging

from leakwarden.links.ocr import ImageRead
from leakwarden.model import Evidence, Signal, Subject, SubjectKind
from leakwarden.signals.bank.detector import BANK_SIGNAL
from leakwarden.signals.images.bank import HashMatch, ImageHashIndex
from leakwarden.signals.images.pdq import BITS, DEFAULT_THRESHOLD
from leakwarden.store.db import Database

log = logging.getLogger(__name__)
IMAGE_SUBJECTS = frozenset({SubjectKind.ATTACHMENT, SubjectKind.PAGE, SubjectKind.DOCUMENT})


def hash_signal(m: HashMatch, subject: Subject) -> Signal:
    page = f", page {m.page}" if m.page else ""
    summary = (f"{m.method} match with {m.bank}/{m.item}{page} ({m.label})" if m.method == "md5" else
               f"pdq match with {m.bank}/{m.item}{page}, {m.distance} of {BITS} bits apart ({m.label})")
    return Signal(
        kind="bank", strength=max(0.5, 1.0 - m.distance / 64), subject_kind=subject.kind, subject=subject.ref,
        attrs={"bank": m.bank, "item": m.item, "method": m.method, "label": m.label, "review": False},
        evidence=[Evidence(summary=summary, subject=subject.ref, item=f"{m.bank}/{m.item}", path=list(subject.path),
                           data={"distance": m.distance, "page": m.page})],
    )


class ImageHashDetector:
    kind = "bank"
    subjects: frozenset[SubjectKind] = IMAGE_SUBJECTS
    signal = BANK_SIGNAL

    def __init__(self, db: Database, *, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.index = ImageHashIndex(db, threshold=threshold)

    def detect(self, subject: Subject) -> list[Signal]:
        if not isinstance(subject.image, ImageRead):
            return []
        try:
            matches = self.index.match(subject.image)
        except Exception as exc:  # a detector must not fail the whole check
            log.warning("image hash match failed on %s: %s", subject.kind.value, type(exc).__name__)
            return []
        return [hash_signal(m, subject) for m in matches]
