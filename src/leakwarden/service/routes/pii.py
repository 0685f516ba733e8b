"""Private information over HTTP: ``POST /v1/pii`` (findings) and ``POST /v1/redact``."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.model import MAX_TEXT_CHARS
from leakwarden.service.deps import require_role
from leakwarden.signals.pii import Style, find_pii, redact
from leakwarden.signals.pii.find import check_regions
from leakwarden.signals.pii.scan import DEFAULT_REGIONS

router = APIRouter(tags=["pii"])
HASH_KEY_ENV = "LEAKWARDEN_PII_HASH_KEY"


class PiiIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=MAX_TEXT_CHARS)
    regions: list[str] = Field(default_factory=lambda: list(DEFAULT_REGIONS), min_length=1, max_length=50)
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class RedactIn(PiiIn):
    style: Style = "mask"
    styles: dict[str, Style] = Field(default_factory=dict, max_length=20,
                                     description="Per-label style, e.g. {\"US_SSN\": \"hash\"}")


@router.post("/v1/pii", dependencies=[Depends(require_role("submitter"))])
def pii(body: PiiIn) -> dict[str, Any]:
    """The private information in ``text``: label, span, text, confidence, context, masked."""
    findings = find_pii(body.text, regions=check_regions(body.regions), min_confidence=body.min_confidence)
    return {"findings": [f.to_json() for f in findings]}


@router.post("/v1/redact", dependencies=[Depends(require_role("submitter"))])
def redact_text(body: RedactIn) -> dict[str, Any]:
    """``text`` with every finding replaced (mask, label or hash per label), safe to republish.
    The findings come back without their values."""
    findings = find_pii(body.text, regions=check_regions(body.regions), min_confidence=body.min_confidence)
    key = os.environ.get(HASH_KEY_ENV, "").encode() or None
    redacted = redact(body.text, findings, body.styles, default=body.style, key=key)
    return {
        "text": redacted,
        "findings": [
            {"label": f.label, "start": f.start, "end": f.end, "confidence": round(f.confidence, 3),
             "masked": f.masked}
            for f in findings
        ],
    }
