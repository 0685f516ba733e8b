"""URL rules: add, list, remove, apply retroactively."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.links.url import canonicalize
from leakwarden.model import MAX_ID
from leakwarden.service.deps import EngineDep, IdPath, ModeratorDep, SubmitterDep

router = APIRouter(prefix="/v1", tags=["rules"])


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["exact", "prefix", "domain"]
    value: str = Field(min_length=1, max_length=8192)
    action: Literal["block", "warn", "allow"]
    reason: str = Field(min_length=1, max_length=2000)
    source: bool = Field(default=False, description="marks a source of hacked material")


class UrlIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=8192)


@router.get("/rules")
def list_rules(engine: EngineDep, _: ModeratorDep) -> list[dict[str, Any]]:
    return engine.rules.list()


@router.post("/rules", status_code=201)
def add_rule(rule: RuleIn, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    return engine.rules.add(rule.kind, rule.value, rule.action, rule.reason, who.name, source=rule.source)


@router.delete("/rules/{rule_id}")
def remove_rule(rule_id: IdPath, engine: EngineDep, who: ModeratorDep) -> dict[str, Any]:
    return engine.rules.remove(rule_id, who.name)


@router.post("/rules/retro")
def apply_retro(engine: EngineDep, _: ModeratorDep,
                since_version: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> dict[str, Any]:
    """Enforce the rules on stored posts that link to newly blocked URLs."""
    decisions = list(engine.retro_rules(since_version))
    return {"rechecked": len(decisions),
            "posts": [{"post_id": d.post_id, "verdict": d.verdict.value} for d in decisions]}


@router.post("/canonicalize")
def canonical(url: UrlIn, _: SubmitterDep) -> dict[str, str]:
    return {"url": url.url, "canonical": canonicalize(url.url)}
