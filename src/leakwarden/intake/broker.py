"""The broker seam: publish, consume with ack-after-commit or nak, and dead letters.

An adapter is chosen by the URL's scheme (``LEAKWARDEN_BROKER_URL`` or ``--broker``):

    nats://host:4222        NATS JetStream (the tested default)       intake.jetstream
    redis://host:6379/0     Redis Streams with consumer groups         intake.redis_streams

Query parameters every adapter reads: ``namespace`` (stream names' prefix, default ``leakwarden``;
two deployments, or two tests, sharing one broker keep apart) and ``ack_wait`` (seconds a delivered
message may stay unacknowledged before it is given to another worker, default 60).

Delivery is at least once: a worker acknowledges a message only after its transaction committed,
and processing is idempotent on the post id, so the effect is exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

from leakwarden.errors import InvalidInput, LeakwardenError

#: The topics: posts to decide, and partial decisions to complete (slow work off the decision path)
POSTS = "posts"
COMPLETE = "complete"
TOPICS = (POSTS, COMPLETE)
#: Seconds a worker spends following a post's links: none on the decision path, time on ``complete``
DECIDE_BUDGET_S = 0.0
COMPLETE_BUDGET_S = 120.0
T = TypeVar("T")
_SCHEMES = {"nats": "NATS JetStream", "redis": "Redis Streams", "rediss": "Redis Streams (TLS)"}


class BrokerUnavailable(LeakwardenError):
    """The broker cannot be reached, or did not confirm that it stored a message."""

    code = "broker_unavailable"
    status = 503


class Delivery(Protocol):
    """One message handed to a consumer."""

    data: bytes
    attempts: int  # this is the n-th delivery (1 = first)

    async def ack(self) -> None: ...  # done: never deliver again
    async def nak(self, delay_s: float) -> None: ...  # deliver again after a while
    async def touch(self) -> None: ...  # still working on it: do not give it to another consumer yet
    async def dead(self, reason: str) -> None: ...  # move to the dead-letter stream, with the reason


@dataclass
class DeadLetter:
    id: str  # the adapter's id for the dead letter (stream sequence, entry id)
    topic: str
    reason: str
    attempts: int
    data: bytes
    at: str = ""

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "topic": self.topic, "reason": self.reason, "attempts": self.attempts,
                "at": self.at, "data": self.data.decode("utf-8", "replace")}


class Broker(Protocol):
    url: str  # the URL as given, password hidden
    ack_wait_s: float  # an unacknowledged message goes to another consumer after this long untouched

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def publish(self, topic: str, data: bytes, *, key: str) -> None:
        """Return once the broker stored the message durably. ``key`` names it for de-duplication
        where the broker offers it (the same key twice within its window is stored once)."""
    def consume(self, topic: str, *, batch: int) -> AsyncIterator[list[Delivery]]:
        """Batches of up to ``batch`` deliveries (an empty batch when none came within a second),
        new messages and those given up by consumers that died."""
    async def dead_letters(self, topic: str | None = None, *, limit: int = 1000) -> list[DeadLetter]: ...
    async def retry(self, dead_id: str) -> DeadLetter:
        """Publish a dead letter to its topic again and remove it from the dead letters."""
    async def delete(self) -> None:
        """Remove the namespace's streams and every message in them (benches, tests)."""


@dataclass
class BrokerURL:
    scheme: str
    address: str  # the URL without its query
    namespace: str = "leakwarden"
    ack_wait_s: float = 60.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        parts = urlsplit(self.address)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_broker_url(url: str) -> BrokerURL:
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES:
        known = ", ".join(f"{s}:// ({name})" for s, name in _SCHEMES.items())
        shown = f"{parts.scheme}://" if parts.scheme else repr(url[:40])
        raise InvalidInput(f"unknown broker {shown}: use one of {known}", code="unknown_broker")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    namespace = query.pop("namespace", "leakwarden")
    if not namespace.replace("_", "").replace("-", "").isalnum() or len(namespace) > 64:
        raise InvalidInput("broker URL: namespace must be letters, digits, - or _ (at most 64)",
                           code="invalid_broker_url")
    try:
        ack_wait = float(query.pop("ack_wait", "60"))
    except ValueError:
        raise InvalidInput("broker URL: ack_wait must be a number of seconds", code="invalid_broker_url") from None
    if not 0.5 <= ack_wait <= 86400:
        raise InvalidInput("broker URL: ack_wait must be between 0.5 and 86400 seconds", code="invalid_broker_url")
    address = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return BrokerURL(scheme=parts.scheme, address=address, namespace=namespace, ack_wait_s=ack_wait, extra=query)


def open_broker(url: str) -> Broker:
    """The adapter for the URL's scheme (not yet connected)."""
    parsed = parse_broker_url(url)
    if parsed.scheme == "nats":
        from leakwarden.intake.jetstream import JetStreamBroker

        return JetStreamBroker(parsed)
    from leakwarden.intake.redis_streams import RedisStreamsBroker

    return RedisStreamsBroker(parsed)


def run_on(url: str, work: Callable[[Broker], Awaitable[T]]) -> T:
    """Connect to the broker at ``url``, do the work, close: for code that is not async."""

    async def main() -> T:
        broker = open_broker(url)
        await broker.connect()
        try:
            return await work(broker)
        finally:
            await broker.close()

    return asyncio.run(main())


def check_topic(topic: str) -> str:
    if topic not in TOPICS:
        raise InvalidInput(f"unknown topic {topic!r}: one of {', '.join(TOPICS)}", code="unknown_topic")
    return topic
