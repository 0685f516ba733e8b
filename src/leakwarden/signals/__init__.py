"""Detectors: each looks at a Subject and emits Signals of one kind.

The URL-rule detector is built by the engine around its RuleBook; the others come from here.
"""

from __future__ import annotations

import os

from leakwarden.signals.base import TEXT_SUBJECTS, Detector
from leakwarden.store.db import Database


def default_detectors(db: Database) -> list[Detector]:
    """Every detector a default engine runs besides URL rules: private information, known material,
    comment spam.

    ``LEAKWARDEN_PII_HASH_KEY`` keys the hashes of private values kept as evidence (set it: short
    values such as SSNs can be recovered from an unkeyed hash); ``LEAKWARDEN_PII_REVEAL=1`` keeps
    clear values in evidence for reviewers who need them.
    """
    from leakwarden.signals.bank.detector import BankDetector
    from leakwarden.signals.images.detector import ImageHashDetector
    from leakwarden.signals.pii.detector import PiiDetector
    from leakwarden.signals.spam.detector import SpamDetector

    key = os.environ.get("LEAKWARDEN_PII_HASH_KEY")
    reveal = os.environ.get("LEAKWARDEN_PII_REVEAL", "0").lower() in ("1", "true", "yes")
    return [PiiDetector(reveal=reveal, hash_key=key.encode() if key else None), BankDetector(db),
            ImageHashDetector(db), SpamDetector(db)]


__all__ = ["TEXT_SUBJECTS", "Detector", "default_detectors"]
