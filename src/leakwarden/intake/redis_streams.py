"""Redis Streams: one stream per topic read by the consumer group ``workers``, and a dead-letter
stream. A message a consumer took and never acknowledged (the worker died) is claimed by another
after ``ack_wait`` (XAUTOCLAIM). Redis keeps no de-duplication window: processing is idempotent on
the post id, which is what makes redelivery safe anyway. How durable a stored message is depends on
the server's persistence (``appendonly yes`` for a firehose you cannot replay)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from leakwarden.errors import NotFound
from leakwarden.intake.broker import TOPICS, BrokerUnavailable, BrokerURL, DeadLetter, Delivery, check_topic

log = logging.getLogger("leakwarden.intake")
_GROUP = "workers"
_FAILURES = (RedisError, OSError)  # OSError: TimeoutError too


class _RedisDelivery:
    def __init__(self, broker: RedisStreamsBroker, topic: str, entry_id: str, fields: dict[bytes, bytes],
                 delivered: int) -> None:
        self.broker, self.topic, self.entry_id = broker, topic, entry_id
        self.data: bytes = fields.get(b"data", b"")
        self.key = fields.get(b"key", b"").decode()
        self.attempts: int = int(fields.get(b"attempts", b"0") or 0) + delivered

    async def ack(self) -> None:
        key = self.broker.key(self.topic)
        async with self.broker.client.pipeline(transaction=True) as pipe:
            await pipe.xack(key, _GROUP, self.entry_id).xdel(key, self.entry_id).execute()

    async def nak(self, delay_s: float) -> None:
        """Deliver again after ``delay_s``: the copy carries the attempts so far."""
        await asyncio.sleep(delay_s)
        key = self.broker.key(self.topic)
        async with self.broker.client.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {"data": self.data, "key": self.key, "attempts": str(self.attempts)})
            await pipe.xack(key, _GROUP, self.entry_id).xdel(key, self.entry_id).execute()

    async def touch(self) -> None:  # claiming it again resets its idle time
        await self.broker.client.xclaim(self.broker.key(self.topic), _GROUP, self.broker.consumer, min_idle_time=0,
                                        message_ids=[self.entry_id], justid=True)

    async def dead(self, reason: str) -> None:
        key = self.broker.key(self.topic)
        async with self.broker.client.pipeline(transaction=True) as pipe:
            pipe.xadd(self.broker.key("dead"), {"data": self.data, "topic": self.topic, "reason": reason[:500],
                                                "attempts": str(self.attempts), "at": _now()})
            await pipe.xack(key, _GROUP, self.entry_id).xdel(key, self.entry_id).execute()


class RedisStreamsBroker:
    def __init__(self, url: BrokerURL) -> None:
        self.config = url
        self.url = url.shown
        self.ack_wait_s = url.ack_wait_s
        self.client: Any = None
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    def key(self, topic: str) -> str:
        return f"{self.config.namespace}:{topic}"

    async def connect(self) -> None:
        self.client = aioredis.from_url(self.config.address, socket_connect_timeout=3, socket_timeout=10,
                                        health_check_interval=15)
        try:
            await self.client.ping()
            for topic in TOPICS:
                try:
                    await self.client.xgroup_create(self.key(topic), _GROUP, id="0", mkstream=True)
                except ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise
        except _FAILURES as exc:
            await self.close()
            raise BrokerUnavailable(f"cannot reach Redis at {self.url}: {type(exc).__name__}") from None

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    async def publish(self, topic: str, data: bytes, *, key: str) -> None:
        check_topic(topic)
        try:
            await self.client.xadd(self.key(topic), {"data": data, "key": key})
        except _FAILURES as exc:
            raise BrokerUnavailable(f"Redis at {self.url} did not store the message: {type(exc).__name__}") from None

    async def consume(self, topic: str, *, batch: int) -> AsyncIterator[list[Delivery]]:
        check_topic(topic)
        key, idle_ms = self.key(topic), int(self.config.ack_wait_s * 1000)
        while True:
            try:
                found = await self._claim(topic, key, idle_ms, batch)
                if not found:
                    reply = await self.client.xreadgroup(_GROUP, self.consumer, {key: ">"}, count=batch, block=1000)
                    found = [_RedisDelivery(self, topic, _text(i), f, 1) for _, entries in reply for i, f in entries]
            except _FAILURES as exc:
                log.warning("intake: reading %s from Redis failed (%s); trying again", topic, type(exc).__name__)
                yield []
                await asyncio.sleep(0.5)
                continue
            yield found

    async def _claim(self, topic: str, key: str, idle_ms: int, batch: int) -> list[Delivery]:
        """Messages other consumers took and did not acknowledge within ``ack_wait``."""
        _, entries, *_ = await self.client.xautoclaim(key, _GROUP, self.consumer, min_idle_time=idle_ms,
                                                      start_id="0-0", count=batch)
        found: list[Delivery] = []
        for entry_id, fields in entries:
            if fields is None:  # deleted meanwhile
                continue
            pending = await self.client.xpending_range(key, _GROUP, min=entry_id, max=entry_id, count=1)
            delivered = pending[0]["times_delivered"] if pending else 1
            found.append(_RedisDelivery(self, topic, _text(entry_id), fields, delivered))
        return found

    async def dead_letters(self, topic: str | None = None, *, limit: int = 1000) -> list[DeadLetter]:
        try:
            entries = await self.client.xrange(self.key("dead"), count=limit)
        except _FAILURES as exc:
            raise BrokerUnavailable(f"cannot read dead letters from Redis at {self.url}: "
                                    f"{type(exc).__name__}") from None
        letters = [_letter(_text(i), f) for i, f in entries]
        return [x for x in letters if topic is None or x.topic == topic]

    async def retry(self, dead_id: str) -> DeadLetter:
        try:
            entries = await self.client.xrange(self.key("dead"), min=dead_id, max=dead_id, count=1)
        except ResponseError:  # not an entry id
            entries = []
        letter = _letter(_text(entries[0][0]), entries[0][1]) if entries else None
        if letter is None or letter.topic not in TOPICS:
            raise NotFound(f"no dead letter {dead_id!r}", code="no_dead_letter")
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.xadd(self.key(letter.topic), {"data": letter.data, "key": f"retry:{dead_id}"})
            await pipe.xdel(self.key("dead"), dead_id).execute()
        return letter

    async def delete(self) -> None:
        await self.client.delete(*(self.key(name) for name in (*TOPICS, "dead")))


def _letter(entry_id: str, fields: dict[bytes, bytes]) -> DeadLetter:
    return DeadLetter(id=entry_id, topic=fields.get(b"topic", b"").decode(), reason=fields.get(b"reason", b"").decode(),
                      attempts=int(fields.get(b"attempts", b"0") or 0), data=fields.get(b"data", b""),
                      at=fields.get(b"at", b"").decode())


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
