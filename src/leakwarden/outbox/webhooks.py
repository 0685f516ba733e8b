"""Webhook endpoints: register, list, remove; deliveries: list, replay.

An endpoint gets the events registered after it, filtered by type. Its secret (``whsec_`` and
base64 random bytes, as the Standard Webhooks specification has it) signs every delivery; it is
shown when the endpoint is added and never again, and stored encrypted with the reveal key (as
private values at rest are: ``signals.pii.atrest``), so a copy of the database cannot forge
deliveries. URLs that point at loopback, private or other non-public addresses are refused unless
``LEAKWARDEN_WEBHOOKS_ALLOW_PRIVATE=1`` (tests set it): the delivering client checks the address
again when it connects.
"""

from __future__ import annotations

import base64
import os
import secrets
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leakwarden.audit import log as audit
from leakwarden.errors import FetchError, InvalidInput, NotFound
from leakwarden.links.addresses import AllowList, is_public, system_resolver
from leakwarden.model import utcnow
from leakwarden.outbox.events import EVENT_TYPES, latest
from leakwarden.outbox.tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from leakwarden.signals.pii import atrest
from leakwarden.store.db import Database

ALLOW_PRIVATE_ENV = "LEAKWARDEN_WEBHOOKS_ALLOW_PRIVATE"
SECRET_PREFIX = "whsec_"
MAX_URL = 2000
STATES = ("pending", "delivered", "dead")


def allow_private() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")


def allow_list() -> AllowList:
    """What the delivering client may connect to beyond public addresses: everything, if allowed."""
    return AllowList.parse("0.0.0.0/0,::/0") if allow_private() else AllowList()


def check_url(url: str) -> str:
    """An absolute http(s) URL without credentials whose host is public (or allowed)."""
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError):
        raise InvalidInput("a webhook URL must be an absolute http or https URL", code="invalid_url") from None
    if parsed.scheme not in ("http", "https") or not parsed.host or len(url) > MAX_URL:
        raise InvalidInput("a webhook URL must be an absolute http or https URL", code="invalid_url")
    if parsed.userinfo:
        raise InvalidInput("a webhook URL may not carry a user name or password", code="invalid_url")
    if allow_private():
        return url
    try:
        addresses = system_resolver(parsed.host, 2.0)
    except FetchError:
        raise InvalidInput(f"the webhook host {parsed.host} does not resolve", code="unresolvable_url") from None
    if not all(is_public(a) for a in addresses):
        raise InvalidInput(f"the webhook host {parsed.host} is not a public address (set {ALLOW_PRIVATE_ENV}=1 "
                           "to allow private and loopback endpoints)", code="private_url")
    return url


def check_events(events: list[str] | None) -> list[str]:
    chosen = sorted({e.strip() for e in events or [] if e.strip()})
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(f"unknown event type {unknown[0]!r}; the types are {', '.join(EVENT_TYPES)}",
                           code="invalid_event_type")
    return chosen


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """A ``whsec_`` secret whose key is base64 of 24 to 64 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidInput(f"a webhook secret starts with {SECRET_PREFIX}", code="invalid_secret")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except ValueError:
        raise InvalidInput("a webhook secret is whsec_ and base64", code="invalid_secret") from None
    if not 24 <= len(key) <= 64:
        raise InvalidInput("a webhook secret's key is 24 to 64 bytes", code="invalid_secret")
    return secret


def endpoint_json(row: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "url": row.url, "events": row.events or list(EVENT_TYPES),
                            "all_events": not row.events, "description": row.description,
                            "created_at": row.created_at.isoformat(), "created_by": row.created_by}
    if secret:
        body["secret"] = atrest.open_text(row.secret)
    return body


def add(db: Database, url: str, *, events: list[str] | None = None, secret: str | None = None,
        description: str = "", actor: str = "cli") -> dict[str, Any]:
    """Register an endpoint for events from now on; returns it with its secret (shown this once)."""
    url, chosen = check_url(url), check_events(events)
    secret = check_secret(secret.strip()) if secret else new_secret()
    if len(description) > 500:
        raise InvalidInput("a description is at most 500 characters", code="invalid_description")
    start = latest(db)
    with db.session() as s:
        row = WebhookEndpoint(url=url, events=chosen, secret=atrest.seal_text(secret), description=description,
                              cursor=start,
                              created_at=utcnow(), created_by=actor)
        s.add(row)
        s.flush()
        audit.append(s, actor=actor, kind="webhook.added", subject_type="webhook", subject_id=str(row.id),
                     payload={"url": url, "events": chosen})
        return endpoint_json(row, secret=True)


def list_endpoints(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.removed_at.is_(None))
                         .order_by(WebhookEndpoint.id))
        counts = dict(s.execute(select(WebhookDelivery.endpoint_id, func.count()).where(
            WebhookDelivery.state == "dead").group_by(WebhookDelivery.endpoint_id)).all())
        return [{**endpoint_json(r), "dead": counts.get(r.id, 0)} for r in rows]


def _active(s: Session, endpoint_id: int) -> WebhookEndpoint:
    row = s.get(WebhookEndpoint, endpoint_id)
    if row is None or row.removed_at is not None:
        raise NotFound(f"no webhook {endpoint_id}")
    return row


def remove(db: Database, endpoint_id: int, *, actor: str = "cli") -> dict[str, Any]:
    """Stop delivering to an endpoint (its pending deliveries are not sent)."""
    with db.session() as s:
        row = _active(s, endpoint_id)
        row.removed_at, row.removed_by = utcnow(), actor
        audit.append(s, actor=actor, kind="webhook.removed", subject_type="webhook", subject_id=str(row.id),
                     payload={"url": row.url})
        return endpoint_json(row)


def delivery_json(row: WebhookDelivery, event: OutboxEvent) -> dict[str, Any]:
    return {"id": row.id, "endpoint_id": row.endpoint_id, "event": f"evt_{event.id}", "type": event.type,
            "state": row.state, "attempts": row.attempts, "next_attempt_at": _iso(row.next_attempt_at),
            "last_attempt_at": _iso(row.last_attempt_at), "last_status": row.last_status,
            "last_error": row.last_error, "delivered_at": _iso(row.delivered_at)}


def _iso(at: Any) -> str | None:
    from leakwarden.enforcement.standing import aware

    return None if at is None else aware(at).isoformat()  # type: ignore[union-attr]


def deliveries(db: Database, *, endpoint_id: int | None = None, state: str | None = None,
               limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries, newest first."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"a delivery state is one of {', '.join(STATES)}", code="invalid_state")
    with db.session() as s:
        query = (select(WebhookDelivery, OutboxEvent).join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                 .order_by(WebhookDelivery.id.desc()).limit(max(1, min(limit, 1000))))
        if endpoint_id is not None:
            query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
        if state is not None:
            query = query.where(WebhookDelivery.state == state)
        return [delivery_json(d, e) for d, e in s.execute(query).all()]


def replay(db: Database, delivery_id: int, *, actor: str = "cli") -> dict[str, Any]:
    """Send a delivery again (a dead one, or a delivered one a receiver lost), from its first attempt.
    It keeps its ``webhook-id``, so a receiver that already has it can tell."""
    with db.session() as s:
        row = s.get(WebhookDelivery, delivery_id)
        if row is None:
            raise NotFound(f"no delivery {delivery_id}")
        _active(s, row.endpoint_id)
        before = row.state
        row.state, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
        row.delivered_at = None
        audit.append(s, actor=actor, kind="webhook.replayed", subject_type="webhook",
                     subject_id=str(row.endpoint_id), payload={"delivery": row.id, "was": before})
        return delivery_json(row, s.get_one(OutboxEvent, row.event_id))
