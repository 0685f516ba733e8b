"""Following links: expand a URL into its chain; decide a stored post again with fresh fetches."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.links.chain import ChainExpander, refusal, shared_expander
from leakwarden.model import Decision, LinkChain
from leakwarden.service.deps import EngineDep, ModeratorDep, SubmitterDep
from leakwarden.signals.pii import atrest

router = APIRouter(prefix="/v1", tags=["links"])


class ExpandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=8192)
    depth: int = Field(default=2, ge=0, le=4)
    budget: float = Field(default=10.0, gt=0, le=60)


@router.post("/expand", response_model=LinkChain, responses={422: {"description": "a bad or refused URL"}})
def expand(body: ExpandIn, engine: EngineDep, _: SubmitterDep) -> LinkChain:
    """Follow a URL through redirects, pages and documents, safely, and return the chain.

    A URL that is refused before any fetch (not a URL, not http(s), a user name, a port or an
    address that is not fetched) is a 422 with the refusal's code; what a fetched URL leads to,
    failures included, is described hop by hop in the chain."""
    expander = engine.expander if isinstance(engine.expander, ChainExpander) else shared_expander()
    [chain] = expander.expand([body.url], budget_s=body.budget, max_depth=body.depth)
    refused = refusal(chain)
    if refused is not None:
        raise refused
    return atrest.masked_chain(chain)


@router.post("/posts/{post_id}/refetch", response_model=Decision)
def refetch(post_id: str, engine: EngineDep, who: ModeratorDep) -> Decision:
    """Fetch a stored post's links again (bypassing the cache) and decide it again."""
    return engine.redecide(post_id, actor=who.name, refetch=True, kind="decision.refetched")
