"""What a PII recognizer reports: :class:`Finding`, and the labels it may carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

Label = Literal[
    "US_SSN",
    "US_SSN_PARTIAL",
    "STREET_ADDRESS",
    "PHONE",
    "EMAIL",
    "DATE_OF_BIRTH",
    "SA_NATIONAL_ID",
    "EG_NATIONAL_ID",
    "AE_EMIRATES_ID",
    "CREDIT_CARD",
    "IBAN",
]
LABELS: tuple[Label, ...] = get_args(Label)

#: Labels that identify a person by a government number (with an address they make a dossier).
ID_LABELS: frozenset[str] = frozenset(
    {"US_SSN", "US_SSN_PARTIAL", "SA_NATIONAL_ID", "EG_NATIONAL_ID", "AE_EMIRATES_ID"}
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of private information in a text.

    ``start``/``end`` index the ORIGINAL text (``text == original[start:end]``). ``context`` says
    what raised it (a keyword cue, a checksum, a format). ``masked`` is true when the value is
    shown partly masked (``XXX-XX-1234``, ``**** **** **** 4242``): a fully masked value is never
    a finding. ``sample`` is true when the value is a published example that belongs to no one
    (the sample SSN 078-05-1120): it is reported, with low confidence, so that a policy can tell
    documentation and training material from a person's data. ``public`` is true when the value is
    a public place or contact point (an embassy's address, a ministry's hotline, ``press@``): it is
    reported with low confidence and is no one's private information
    (:mod:`leakwarden.signals.pii.public`).
    """

    label: Label
    start: int
    end: int
    text: str
    confidence: float
    context: str = ""
    masked: bool = False
    sample: bool = False
    public: bool = False

    def to_json(self) -> dict[str, Any]:
        """The JSON form used by the CLI and the HTTP API. Contains the clear value."""
        return {
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "confidence": round(self.confidence, 3),
            "context": self.context,
            "masked": self.masked,
            "sample": self.sample,
            "public": self.public,
        }
