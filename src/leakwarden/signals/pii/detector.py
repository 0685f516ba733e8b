"""``PiiDetector``: private information in a subject, as one Signal the policy can act on."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from leakwarden.model import Evidence, Signal, Subject, SubjectKind
from leakwarden.signals.base import TEXT_SUBJECTS, Attr, SignalSpec
from leakwarden.signals.pii import keys
from leakwarden.signals.pii.atrest import find_all
from leakwarden.signals.pii.find import check_regions
from leakwarden.signals.pii.finding import ID_LABELS, LABELS, Finding
from leakwarden.signals.pii.redact import masked_value, value_hash
from leakwarden.signals.pii.scan import DEFAULT_REGIONS

log = logging.getLogger(__name__)


def is_dossier(findings: Sequence[Finding]) -> bool:
    """A home address and a government ID number (SSN, full or partial, or a national ID); a
    published sample number (078-05-1120) is no one's and does not count, nor does the address of
    a public place (an embassy, a clinic)."""
    labels = {f.label for f in findings if _private(f)}
    return "STREET_ADDRESS" in labels and bool(labels & ID_LABELS)


def _private(f: Finding) -> bool:
    """A person's private information: neither a published sample nor a public place or contact point."""
    return not f.sample and not f.public


PII_SIGNAL = SignalSpec(
    kind="pii", subjects=TEXT_SUBJECTS, doc="private information in a text (PiiDetector)",
    attrs={
        "labels": Attr(str, values=LABELS, many=True,
                       doc="the labels found (published samples and public contact points left out)"),
        "unredacted": Attr(bool, doc="a person's value is in clear (not a sample, not a public contact point)"),
        "redacted": Attr(bool, doc="a value is partly masked"),
        "dossier": Attr(bool, doc="a home address with an SSN or national ID in one subject"),
        "count": Attr(int, doc="how many findings"),
        "sample": Attr(bool, doc="a value is a published sample that belongs to no one"),
        "sample_labels": Attr(str, values=LABELS, many=True, doc="the labels of the samples"),
        "public": Attr(bool, doc="a value is a public place or contact point (an embassy, a hotline)"),
        "public_labels": Attr(str, values=LABELS, many=True, doc="the labels of the public values"),
    },
)


class PiiDetector:
    """Finds private information in text subjects.

    One Signal per subject with findings: ``strength`` is the highest confidence; ``attrs`` has
    ``labels`` (of a person's private information), ``count``, ``unredacted`` (a value in clear),
    ``redacted`` (a partly masked value), ``dossier``, and ``sample`` with ``sample_labels``
    (published example values such as the sample SSN 078-05-1120: reported, but neither in
    ``labels`` nor ``unredacted`` nor a dossier), and ``public`` with ``public_labels`` (public
    places and contact points: an embassy's address, a toll-free number, ``press@``; left out of
    ``labels``, ``unredacted`` and ``dossier`` likewise, with confidence 0.5). Evidence holds masked
    values and keyed hashes (HMAC-SHA-256); the clear value only with ``reveal=True`` (for reviewers who need it).
    ``hash_key`` is the HMAC key; without one, :func:`~leakwarden.signals.pii.keys.hash_key`
    provides it (``LEAKWARDEN_PII_HASH_KEY``, or a key file made once): it is resolved here, so a
    detector that cannot get a key fails at start, not at its first finding.
    """

    kind = "pii"
    signal = PII_SIGNAL
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
        self.hash_key = hash_key or keys.hash_key()

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
                    "labels": sorted({f.label for f in findings if _private(f)}),
                    "unredacted": any(not f.masked and _private(f) for f in findings),
                    "redacted": any(f.masked for f in findings),
                    "dossier": is_dossier(findings),
                    "count": len(findings),
                    "sample": any(f.sample for f in findings),
                    "sample_labels": sorted({f.label for f in findings if f.sample}),
                    "public": any(f.public for f in findings),
                    "public_labels": sorted({f.label for f in findings if f.public}),
                },
                evidence=[self._evidence(f, subject) for f in findings],
            )
        ]

    def _find(self, text: str) -> list[Finding]:
        """find_pii over the whole text: a long document (a fetched PDF) in overlapping chunks."""
        return find_all(text, regions=self.regions, min_confidence=self.min_confidence)

    def _evidence(self, f: Finding, subject: Subject) -> Evidence:
        data: dict[str, object] = {
            "label": f.label,
            "masked_value": masked_value(f),
            "sha256": value_hash(f, self.hash_key),
            "masked": f.masked,
            "confidence": round(f.confidence, 3),
            "context": f.context,
        }
        if f.sample:
            data["sample"] = True
        if f.public:
            data["public"] = True
        if self.reveal:
            data["value"] = f.text
        summary = (f"{f.label} (masked)" if f.masked else f"{f.label} (published sample)" if f.sample
                   else f"{f.label} (public contact point)" if f.public else f.label)
        return Evidence(
            summary=summary,
            subject=subject.ref,
            span=(f.start, f.end),
            path=list(subject.path),
            data=data,
        )
