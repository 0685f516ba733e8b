"""``POST /v1/moderations``: OpenAI's moderation endpoint, answered by leakwarden's detectors.

Takes ``{"input": str | [str] | [{"type": "text", "text": str}], "model": str}`` and returns
OpenAI's moderation object (``id``, ``model``, ``results[]`` with ``flagged``, ``categories``,
``category_scores`` and ``category_applied_input_types``). Nothing is stored: each input is
checked as a Post (``check``) under the server's policy, or the preset named by ``?policy=``.

OpenAI's standard categories are all reported (so clients that read them parse the answer), but
leakwarden does **not assess** them: they are always ``false`` with score 0 and no applied input
types. leakwarden adds its own: ``private-information``, ``hacked-material``, ``blocked-link`` and
``spam``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from leakwarden.errors import InvalidInput
from leakwarden.model import MAX_TEXT_CHARS, Decision, Post, Surface
from leakwarden.service.deps import EngineDep, SubmitterDep
from leakwarden.service.routes.posts import engine_for

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

#: OpenAI's categories, which leakwarden does not assess (always false, score 0).
NOT_ASSESSED = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
                "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence",
                "violence/graphic")
#: leakwarden's own categories, and the signals behind them.
OWN = ("private-information", "hacked-material", "blocked-link", "spam")
MAX_INPUTS = 32
MODEL = "leakwarden-moderation-1"


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]
    text: str = Field(max_length=MAX_TEXT_CHARS)


class ModerationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: str | list[str] | list[TextPart]
    model: str | None = Field(default=None, max_length=200)

    @field_validator("input", mode="before")
    @classmethod
    def _only_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("input must not be an empty list")
            if len(value) > MAX_INPUTS:
                raise ValueError(f"at most {MAX_INPUTS} inputs per request")
            for part in value:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    raise ValueError("leakwarden moderates text only; image inputs are not assessed")
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"an input is at most {MAX_TEXT_CHARS} characters")
        return value

    def texts(self) -> list[str]:
        if isinstance(self.input, str):
            return [self.input]
        out: list[str] = []
        for part in self.input:
            text = part.text if isinstance(part, TextPart) else part
            if len(text) > MAX_TEXT_CHARS:
                raise InvalidInput(f"an input is at most {MAX_TEXT_CHARS} characters", code="input_too_large")
            out.append(text)
        return out


def _own_scores(decision: Decision) -> dict[str, float]:
    scores = dict.fromkeys(OWN, 0.0)
    for s in decision.signals:
        if s.kind == "pii" and s.attrs.get("unredacted"):
            scores["private-information"] = max(scores["private-information"], s.strength)
        elif s.kind == "bank":
            scores["hacked-material"] = max(scores["hacked-material"], s.strength)
        elif s.kind == "url_rule" and s.attrs.get("action") == "block":
            scores["blocked-link"] = max(scores["blocked-link"], s.strength)
        elif s.kind == "spam" and not s.attrs.get("review"):  # an uncertain one is for a person to see
            scores["spam"] = max(scores["spam"], s.strength)
    return scores


def result_of(decision: Decision) -> dict[str, Any]:
    own = _own_scores(decision)
    categories: dict[str, bool] = dict.fromkeys(NOT_ASSESSED, False)
    scores: dict[str, float] = dict.fromkeys(NOT_ASSESSED, 0.0)
    applied: dict[str, list[str]] = {c: [] for c in NOT_ASSESSED}
    for name, score in own.items():
        categories[name] = score > 0
        scores[name] = round(score, 6)
        applied[name] = ["text"]
    return {"flagged": any(categories.values()), "categories": categories, "category_scores": scores,
            "category_applied_input_types": applied,
            "leakwarden": {"verdict": decision.verdict.value, "policy": decision.policy_version,
                           "reasons": sorted({r.clause for r in decision.reasons})}}


@router.post("/moderations")
def moderations(body: ModerationIn, request: Request, engine: EngineDep, _: SubmitterDep,
                policy: Annotated[str | None, Query(description="a preset name; default: the server's")] = None,
                surface: Annotated[Surface, Query(description="the surface each input is checked as")] = Surface.POST,
                ) -> dict[str, Any]:
    """Moderate one text or a list: OpenAI's moderation object, with leakwarden's categories."""
    chosen = engine_for(request, engine, policy)
    results = []
    for i, text in enumerate(body.texts()):
        post = Post(id=f"moderation-{i}", author="moderation", text=text, surface=surface)
        results.append(result_of(chosen.check(post)))
    return {"id": f"modr-{uuid.uuid4().hex}", "model": body.model or MODEL, "results": results}
