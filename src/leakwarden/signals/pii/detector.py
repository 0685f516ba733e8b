"""``PiiDetector``: private information in a subject, as one Signal the policy can act on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from leakwarden.model import MAX_TEXT_CHARS, Evidence, Signal, Subject, SubjectKind
from leakwarden.signals.base import TEXT_SUBJECTS
from leakwarden.signals.pii.find import check_regions, find_pii
from leakwarden.signals.pii.finding import ID_LABELS, Finding
from leakwarden.signals.pii.redact import masked_value, value_hash
from leakwarden.signals.pii.scan import DEFAULT_REGIONS

log = logging.getLogger(__name__)
_OVERLAP = 2_000  # longer than any single finding


def is_dossier(findings: Sequence[Finding]) -> bool:
    """A home address and a government ID number (SSN, full or partial, or a national ID)."""
    labels = {f.label for f in findings}
    return "STREET_ADDRESS" in labels and bool(labels & ID_LABELS)


class PiiDetector:
    """Finds private information in text subjects.

    One Signal per subject with findings: ``strength`` is the highest confidence; ``attrs`` has
    ``labels``, ``count``, ``unredacted`` (a value in clear), ``redacted`` (a partly masked value)
    and ``dossier``. Evidence holds masked values and hashes; the clear value only with
    ``reveal=True`` (for reviewers who need it). ``hash_key`` salts the hashes (HMAC).
    """

    kind = "pii"
    subjects: frozenset[SubjectKind] = TEXT_SUBJECTS

    def __init__(
        self,
        regions: Sequence[str] = DEFAULT_REGIONS,
        reveal: bool = False,
        *,
        min_confidence: float = 0.5,
        hash_key: bytes | None = None,
    ) -> None:
        self.regions = check_regions(regions)
        self.reveal = reveal
        self.min_confidence = min_confidence
        self.hash_key = hash_key

    def detect(self, subject: Subject) -> list[Signal]:
        try:
            findings = self._find(subject.text)
        except Exception as exc:  # a detector must not fail a check; log the kind, never the text
            log.warning("pii detector skipped subject %s: %s", subject.ref, type(exc).__name__)
            return []
        if not findings:
            return []
        log.debug("pii: %d findings in %s", len(findings), subject.ref)
        return [
            Signal(
                kind=self.kind,
                strength=max(f.confidence for f in findings),
                subject_kind=subject.kind,
                subject=subject.ref,
                attrs={
                    "labels": sorted({f.label for f in findings}),
                    "unredacted": any(not f.masked for f in findings),
                    "redacted": any(f.masked for f in findings),
                    "dossier": is_dossier(findings),
                    "count": len(findings),
                },
                evidence=[self._evidence(f, subject) for f in findings],
            )
        ]

    def _find(self, text: str) -> list[Finding]:
        """find_pii over the whole text: a long document (a fetched PDF) in overlapping chunks."""
        if len(text) <= MAX_TEXT_CHARS:
            return find_pii(text, regions=self.regions, min_confidence=self.min_confidence)
        step, overlap = MAX_TEXT_CHARS - _OVERLAP, _OVERLAP
        out: list[Finding] = []
        for base in range(0, len(text), step):
            chunk = text[base : base + step + overlap]
            for f in find_pii(chunk, regions=self.regions, min_confidence=self.min_confidence):
                if out and base + f.start < out[-1].end:
                    continue  # already found in the previous chunk's overlap
                out.append(replace(f, start=base + f.start, end=base + f.end))
        return out

    def _evidence(self, f: Finding, subject: Subject) -> Evidence:
        data: dict[str, object] = {
            "label": f.label,
            "masked_value": masked_value(f),
            "sha256": value_hash(f, self.hash_key),
            "masked": f.masked,
            "confidence": round(f.confidence, 3),
            "context": f.context,
        }
        if self.reveal:
            data["value"] = f.text
        return Evidence(
            summary=f"{f.label} (masked)" if f.masked else f.label,
            subject=subject.ref,
            span=(f.start, f.end),
            path=list(subject.path),
            data=data,
        )
