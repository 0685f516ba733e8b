"""The event feed (``GET /v1/events``) and webhook endpoints (admin)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from leakwarden.model import MAX_ID
from leakwarden.outbox import events as feed
from leakwarden.outbox import webhooks
from leakwarden.service.deps import AdminDep, EngineDep, IdPath, ModeratorDep

router = APIRouter(prefix="/v1", tags=["events"])
EventType = Literal[feed.EVENT_TYPES]  # type: ignore[valid-type]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=webhooks.MAX_URL)
    events: list[EventType] = Field(default_factory=list, max_length=len(feed.EVENT_TYPES),
                                    description="event types to deliver; empty: every type")
    secret: str | None = Field(default=None, max_length=200, description="a whsec_ secret; default: a new one")
    description: str = Field(default="", max_length=500)


@router.get("/events")
def list_events(engine: EngineDep, _: ModeratorDep,
                after: Annotated[int, Query(ge=0, le=MAX_ID, description="the cursor: `next` of the last page")] = 0,
                limit: Annotated[int, Query(ge=1, le=feed.MAX_PAGE)] = 100,
                type: Annotated[list[EventType] | None, Query()] = None) -> dict[str, Any]:
    """Events in the order they committed, from a cursor: pass the returned ``next`` as ``after`` to
    resume. None is ever skipped, also when concurrent transactions commit out of order."""
    page = feed.read(engine.db, after, limit, list(type) if type else None)
    return {"events": page.events, "next": page.next}


@router.get("/webhooks")
def list_webhooks(engine: EngineDep, _: AdminDep) -> list[dict[str, Any]]:
    return webhooks.list_endpoints(engine.db)


@router.post("/webhooks", status_code=201)
def add_webhook(body: WebhookIn, engine: EngineDep, who: AdminDep) -> dict[str, Any]:
    """Register an endpoint; the answer carries its signing secret, shown this once."""
    return webhooks.add(engine.db, body.url, events=list(body.events), secret=body.secret,
                        description=body.description, actor=who.name)


@router.delete("/webhooks/{webhook_id}")
def remove_webhook(webhook_id: IdPath, engine: EngineDep, who: AdminDep) -> dict[str, Any]:
    return webhooks.remove(engine.db, webhook_id, actor=who.name)


@router.get("/webhooks/deliveries")
def list_deliveries(engine: EngineDep, _: AdminDep,
                    webhook: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                    state: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    return webhooks.deliveries(engine.db, endpoint_id=webhook, state=state, limit=limit)


@router.post("/webhooks/deliveries/{delivery_id}/replay")
def replay_delivery(delivery_id: IdPath, engine: EngineDep, who: AdminDep) -> dict[str, Any]:
    return webhooks.replay(engine.db, delivery_id, actor=who.name)
