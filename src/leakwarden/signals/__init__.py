"""Detectors: each looks at a Subject and emits Signals of one kind.

The URL-rule detector is built by the engine around its RuleBook; the others come from here.
"""

from __future__ import annotations

from leakwarden.signals.base import TEXT_SUBJECTS, Detector
from leakwarden.store.db import Database


def default_detectors(db: Database) -> list[Detector]:
    """Every detector a default engine runs besides URL rules: private information, known material."""
    detectors: list[Detector] = []
    try:  # TODO(lead): make these imports unconditional once the modules land
        from leakwarden.signals.pii.detector import PiiDetector

        detectors.append(PiiDetector())
    except ImportError:
        pass
    try:
        from leakwarden.signals.bank.detector import BankDetector

        detectors.append(BankDetector(db))
    except ImportError:
        pass
    return detectors


__all__ = ["TEXT_SUBJECTS", "Detector", "default_detectors"]
