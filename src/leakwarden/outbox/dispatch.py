"""The dispatcher: from the outbox to each endpoint, signed, retried with backoff, then dead-lettered.

One round (:meth:`Dispatcher.run_once`):

1. **fan out**: each endpoint's new events (``seq`` above its cursor, of the types it asked for)
   become ``pending`` delivery rows, and the cursor moves, in one transaction;
2. **claim**: a due delivery is claimed by moving its ``next_attempt_at`` a lease ahead, with a
   conditional update that only one dispatcher can win (any number may run, in any process);
3. **send**: one POST with the Standard Webhooks headers (``webhook-id``: the event's id, the same
   on every attempt and replay; ``webhook-timestamp``; ``webhook-signature``: ``v1,`` and the
   base64 HMAC-SHA256 of ``id.timestamp.body`` under the endpoint's ``whsec_`` secret). Redirects
   are not followed, connect/read/total times are bounded, and the address is checked when the
   connection is made (loopback and private addresses only with ``LEAKWARDEN_WEBHOOKS_ALLOW_PRIVATE``);
4. **record**: a 2xx answer marks it ``delivered``; anything else schedules the next attempt after
   ``min(max, base·2^(n-1))`` seconds, jittered to between half and all of it, and after
   ``max_attempts`` failures the delivery is ``dead`` until someone replays it.

Every state lives in the database, so a dispatcher that stops (or crashes mid-send: its lease runs
out and the delivery is due again) loses nothing; a receiver may see an attempt twice in that case
and tells by ``webhook-id``.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import os
import random
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import certifi
import httpcore
import httpx
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from leakwarden.errors import FetchError, InvalidInput
from leakwarden.links.addresses import system_resolver
from leakwarden.links.transport import GuardedBackend, deadline
from leakwarden.model import utcnow
from leakwarden.outbox.events import as_json, sequence
from leakwarden.outbox.tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from leakwarden.outbox.webhooks import allow_list
from leakwarden.signals.pii import atrest
from leakwarden.store.db import Database

log = logging.getLogger("leakwarden.webhooks")
USER_AGENT = "leakwarden-webhooks/0.1"
_FAN_OUT_BATCH = 1000


def _env_number(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", code="invalid_setting") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low:g} and {high:g}", code="invalid_setting")
    return value


@dataclass(frozen=True)
class Settings:
    """Retry and timeout limits; the environment (``LEAKWARDEN_WEBHOOKS_*``) sets the defaults."""

    max_attempts: int = field(default_factory=lambda: int(_env_number(
        "LEAKWARDEN_WEBHOOKS_MAX_ATTEMPTS", 8, 1, 100)))
    retry_base_s: float = field(default_factory=lambda: _env_number("LEAKWARDEN_WEBHOOKS_RETRY_BASE_S", 30, 0, 86400))
    retry_max_s: float = field(default_factory=lambda: _env_number("LEAKWARDEN_WEBHOOKS_RETRY_MAX_S", 6 * 3600, 0,
                                                                   7 * 86400))
    timeout_s: float = field(default_factory=lambda: _env_number("LEAKWARDEN_WEBHOOKS_TIMEOUT_S", 10, 0.1, 60))
    concurrency: int = 4
    batch: int = 100

    @property
    def lease_s(self) -> float:
        """How long a claimed delivery is left alone: longer than any one attempt can take."""
        return self.timeout_s * 3 + 30


def backoff(failures: int, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt after ``failures`` failed ones: exponential, capped, with
    "equal jitter" (between half and all of the exponential delay), so that many deliveries failing
    together do not all come back at once."""
    ceiling = min(max_s, base_s * 2 ** max(0, failures - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def signed_headers(secret: str, msg_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt, signed with the published library."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, at, body)}


def body_of(event: OutboxEvent) -> str:
    """The delivered bytes: the same for every attempt and replay of an event."""
    return json.dumps(as_json(event), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Sender(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """POST once; the status code. Network failures raise ``DeliveryError``."""
        ...


class DeliveryError(Exception):
    pass


class HttpSender:
    """One POST per attempt: no redirects followed, bounded times, checked addresses."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        backend = GuardedBackend(system_resolver, allow_list(), min(timeout_s, 2.0))
        self._pool = httpcore.ConnectionPool(ssl_context=ssl.create_default_context(cafile=certifi.where()),
                                             network_backend=backend, max_connections=16, keepalive_expiry=15.0)

    def close(self) -> None:
        self._pool.close()

    def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
        host = f"[{host}]" if ":" in host else host
        if parsed.port is not None:
            host = f"{host}:{parsed.port}"
        sent = [("Host", host), ("User-Agent", USER_AGENT), ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))), *headers.items()]
        t = self.timeout_s
        try:
            with deadline(time.monotonic() + t), self._pool.stream(
                    "POST", url, headers=sent, content=body,
                    extensions={"timeout": {"connect": t, "read": t, "write": t, "pool": t}}) as response:
                return int(response.status)
        except FetchError as exc:
            raise DeliveryError(f"{exc.code}: {exc.message}") from None
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                httpcore.UnsupportedProtocol, OSError) as exc:
            raise DeliveryError(type(exc).__name__) from None


@dataclass
class Round:
    """What one round did."""

    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def add(self, other: Round) -> None:
        self.fanned_out += other.fanned_out
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead


class Dispatcher:
    def __init__(self, db: Database, settings: Settings | None = None, sender: Sender | None = None,
                 rng: random.Random | None = None) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.sender: Sender = sender or HttpSender(self.settings.timeout_s)
        self._rng = rng or random.Random()

    def close(self) -> None:
        close = getattr(self.sender, "close", None)
        if callable(close):
            close()

    # -- one round ---------------------------------------------------------------------------
    def run_once(self) -> Round:
        """Fan out new events, then attempt every delivery that is due now, each at most once (one
        due again at once is the next round's). Endpoints are served side by side; each one gets its
        deliveries one at a time, in the order of their events."""
        result = Round(fanned_out=self.fan_out())
        tried: set[int] = set()
        with concurrent.futures.ThreadPoolExecutor(self.settings.concurrency) as pool:
            while True:
                claimed = self.claim(exclude=tried)
                if not claimed:
                    return result
                tried.update(d for d, _ in claimed)
                by_endpoint: dict[int, list[int]] = {}
                for delivery_id, endpoint_id in claimed:
                    by_endpoint.setdefault(endpoint_id, []).append(delivery_id)
                for outcome in pool.map(self._attempt_in_turn, by_endpoint.values()):
                    result.add(outcome)

    def _attempt_in_turn(self, delivery_ids: list[int]) -> Round:
        done = Round()
        for delivery_id in delivery_ids:
            done.add(self.attempt(delivery_id))
        return done

    def run(self, stop: threading.Event, poll_s: float = 1.0) -> Round:
        """Rounds until ``stop`` is set, ``poll_s`` apart when there was nothing to do."""
        total = Round()
        while not stop.is_set():
            done = self.run_once()
            total.add(done)
            if not (done.fanned_out or done.delivered or done.failed):
                stop.wait(poll_s)
        return total

    # -- the steps ---------------------------------------------------------------------------
    def fan_out(self) -> int:
        sequence(self.db)
        with self.db.session() as s:
            endpoints = s.execute(select(WebhookEndpoint.id, WebhookEndpoint.events)
                                  .where(WebhookEndpoint.removed_at.is_(None))).all()
        created = 0
        for endpoint_id, events in endpoints:
            while (made := self._fan_out_to(endpoint_id, set(events or []))) is not None:
                created += made
        return created

    def _fan_out_to(self, endpoint_id: int, types: set[str]) -> int | None:
        """Deliveries for the next batch of events; None when there are none (or another took them)."""
        with self.db.session() as s:
            cursor = s.scalar(select(WebhookEndpoint.cursor).where(WebhookEndpoint.id == endpoint_id))
            rows = s.execute(select(OutboxEvent.id, OutboxEvent.seq, OutboxEvent.type)
                             .where(OutboxEvent.seq > (cursor or 0)).order_by(OutboxEvent.seq)
                             .limit(_FAN_OUT_BATCH)).all()
            if cursor is None or not rows:
                return None
            moved = s.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                            WebhookEndpoint.cursor == cursor)
                              .values(cursor=rows[-1][1]))
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                return None  # another dispatcher fanned these out
            now = utcnow()
            made = [WebhookDelivery(endpoint_id=endpoint_id, event_id=event_id, state="pending", attempts=0,
                                    next_attempt_at=now, created_at=now)
                    for event_id, _, kind in rows if not types or kind in types]
            s.add_all(made)
            return len(made)

    def claim(self, exclude: set[int] | None = None) -> list[tuple[int, int]]:
        """Due deliveries this dispatcher won, each leased for ``lease_s``: (delivery, endpoint) ids."""
        now = utcnow()
        with self.db.session() as s:
            due = list(s.execute(
                select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
                       WebhookEndpoint.removed_at.is_(None), WebhookDelivery.id.not_in(exclude or set()))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(self.settings.batch)).all())
        if not due:
            return []
        lease = now + timedelta(seconds=self.settings.lease_s)
        with self.db.session() as s:  # one statement: a row another dispatcher leased meanwhile is not due
            won = set(s.scalars(update(WebhookDelivery).where(
                WebhookDelivery.id.in_([d for d, _ in due]), WebhookDelivery.state == "pending",
                WebhookDelivery.next_attempt_at <= now).values(next_attempt_at=lease)
                .returning(WebhookDelivery.id)))
        return [(d, e) for d, e in due if d in won]

    def attempt(self, delivery_id: int) -> Round:
        """Send one claimed delivery and record what happened."""
        with self.db.session() as s:
            delivery = s.get_one(WebhookDelivery, delivery_id)
            endpoint = s.get_one(WebhookEndpoint, delivery.endpoint_id)
            event = s.get_one(OutboxEvent, delivery.event_id)
            url, secret, body = endpoint.url, atrest.open_text(endpoint.secret), body_of(event)
        at = utcnow()
        status: int | None = None
        error: str | None = None
        try:
            status = self.sender.post(url, signed_headers(secret, f"evt_{event.id}", body, at), body.encode())
            if not 200 <= status < 300:
                error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
        except DeliveryError as exc:
            error = str(exc)[:300]
        return self._record(delivery_id, at, status, error)

    def _record(self, delivery_id: int, at: datetime, status: int | None, error: str | None) -> Round:
        with self.db.session() as s:
            row = s.get_one(WebhookDelivery, delivery_id)
            row.attempts += 1
            row.last_attempt_at, row.last_status, row.last_error = at, status, error
            if error is None:
                row.state, row.delivered_at = "delivered", utcnow()
                log.info("webhook delivery %s to endpoint %s delivered", row.id, row.endpoint_id)
                return Round(delivered=1)
            if row.attempts >= self.settings.max_attempts:
                row.state = "dead"
                log.warning("webhook delivery %s to endpoint %s dead after %s attempts: %s", row.id,
                            row.endpoint_id, row.attempts, error)
                return Round(failed=1, dead=1)
            wait = backoff(row.attempts, self.settings.retry_base_s, self.settings.retry_max_s, self._rng)
            row.next_attempt_at = utcnow() + timedelta(seconds=wait)
            log.info("webhook delivery %s to endpoint %s failed (%s); attempt %s in %.0f s", row.id,
                     row.endpoint_id, error, row.attempts + 1, wait)
            return Round(failed=1)
