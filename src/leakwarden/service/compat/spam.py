"""``POST /v1/spam/reports``: a reviewer's spam/ham verdict, in leakwarden's own JSON.

Either ``post_id`` (a stored post: its text, and for an Akismet comment its author fields and
site) or ``text`` (with optional ``author``, ``email``, ``url``, ``site``). The spam detector
learns it at once; every process sharing the database within half a second.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leakwarden.errors import InvalidInput
from leakwarden.model import MAX_TEXT_CHARS
from leakwarden.service.deps import EngineDep, SubmitterDep
from leakwarden.signals.spam.features import Comment
from leakwarden.signals.spam.feedback import report_post, spam_detector

router = APIRouter(prefix="/v1/spam", tags=["spam"])


class SpamReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Literal["spam", "ham"]
    post_id: str | None = Field(default=None, min_length=1, max_length=200)
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS)
    author: str = Field(default="", max_length=300)
    email: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=2000)
    site: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _one_of(self) -> SpamReportIn:
        if (self.post_id is None) == (self.text is None):
            raise ValueError("give either post_id or text")
        return self


@router.post("/reports", status_code=201)
def report(body: SpamReportIn, engine: EngineDep, who: SubmitterDep) -> dict[str, Any]:
    """Teach the spam detector: learnt at once, for the site and globally."""
    detector = spam_detector(engine.detectors)
    if detector is None:
        raise InvalidInput("this server runs no spam detector", code="no_spam_detector")
    if body.post_id is not None:
        report_id = report_post(engine.db, detector, body.post_id, body.label, actor=who.name, source="api")
    else:
        comment = Comment(body.text or "", body.author, body.email, body.url)
        report_id = detector.report(comment, body.label, site=body.site, source="api", actor=who.name)
    return {"id": report_id, "label": body.label, "learnt": True}
