"""NATS JetStream: one work-queue stream per topic, one durable pull consumer that every worker
shares, and a dead-letter stream. Publishing waits for the server's acknowledgement (the message is
stored), with ``Nats-Msg-Id`` de-duplication."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig

from leakwarden.intake.broker import TOPICS, BrokerUnavailable, BrokerURL, DeadLetter, Delivery, check_topic

log = logging.getLogger("leakwarden.intake")
_CONSUMER = "workers"
_REASON, _TOPIC, _ATTEMPTS, _MSG_ID = "Leakwarden-Reason", "Leakwarden-Topic", "Leakwarden-Attempts", "Nats-Msg-Id"
_FAILURES = (nats.errors.Error, nats.js.errors.Error, OSError)  # OSError: TimeoutError too


class _JsDelivery:
    def __init__(self, broker: JetStreamBroker, topic: str, msg: Any) -> None:
        self.broker, self.topic, self.msg = broker, topic, msg
        self.data: bytes = msg.data
        self.attempts: int = msg.metadata.num_delivered

    async def ack(self) -> None:
        await self.msg.ack_sync(timeout=5)  # confirmed: a lost ack would only mean a harmless redelivery

    async def nak(self, delay_s: float) -> None:
        await self.msg.nak(delay=delay_s)

    async def touch(self) -> None:
        await self.msg.in_progress()

    async def dead(self, reason: str) -> None:
        seq = self.msg.metadata.sequence.stream
        headers = {_REASON: reason[:500], _TOPIC: self.topic, _ATTEMPTS: str(self.attempts),
                   _MSG_ID: f"dead:{self.topic}:{seq}"}
        await self.broker.js.publish(self.broker.subject("dead." + self.topic), self.data, headers=headers,
                                     timeout=5)
        await self.msg.term()


class JetStreamBroker:
    def __init__(self, url: BrokerURL) -> None:
        self.config = url
        self.url = url.shown
        self.ack_wait_s = url.ack_wait_s
        self.nc: Any = None
        self.js: Any = None
        self._closing = False

    def subject(self, topic: str) -> str:
        return f"{self.config.namespace}.{topic}"

    def stream(self, topic: str) -> str:
        return f"{self.config.namespace}_{topic}".upper()

    async def connect(self) -> None:
        try:  # the first connection fails within seconds; later ones are tried again without end
            self.nc = await asyncio.wait_for(nats.connect(
                servers=[self.config.address], connect_timeout=3, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                allow_reconnect=True, name="leakwarden", error_cb=_quiet, disconnected_cb=self._disconnected,
                reconnected_cb=self._reconnected), timeout=5)
        except (*_FAILURES, nats.errors.NoServersError) as exc:
            raise BrokerUnavailable(f"cannot reach NATS at {self.url}: {type(exc).__name__}") from None
        self.js = self.nc.jetstream(timeout=5)
        try:
            for topic in TOPICS:
                await self.js.add_stream(StreamConfig(
                    name=self.stream(topic), subjects=[self.subject(topic)], retention=RetentionPolicy.WORK_QUEUE,
                    storage=StorageType.FILE, duplicate_window=120))
            await self.js.add_stream(StreamConfig(
                name=self.stream("dead"), subjects=[self.subject("dead.>")], retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE, duplicate_window=120))
        except _FAILURES as exc:
            await self.close()
            raise BrokerUnavailable(f"NATS at {self.url} has no usable JetStream: {_why(exc)}") from None

    async def _disconnected(self) -> None:
        if self._closing:
            return  # closed on purpose
        log.warning("intake: disconnected from NATS at %s; reconnecting", self.url)

    async def _reconnected(self) -> None:
        log.warning("intake: reconnected to NATS at %s", self.url)

    async def close(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            self._closing = True
            await self.nc.close()  # every publish was confirmed and every answer awaited: nothing to drain

    async def publish(self, topic: str, data: bytes, *, key: str) -> None:
        check_topic(topic)
        try:
            await self.js.publish(self.subject(topic), data, headers={_MSG_ID: key}, timeout=5)
        except _FAILURES as exc:
            raise BrokerUnavailable(f"NATS at {self.url} did not store the message: {_why(exc)}") from None

    async def consume(self, topic: str, *, batch: int) -> AsyncIterator[list[Delivery]]:
        check_topic(topic)
        sub: Any = None
        while True:
            try:
                if sub is None:
                    sub = await self.js.pull_subscribe(
                        self.subject(topic), durable=_CONSUMER, stream=self.stream(topic),
                        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=self.config.ack_wait_s,
                                              max_deliver=-1, max_ack_pending=10_000))
                msgs = await sub.fetch(batch, timeout=1.0)
            except TimeoutError:  # nothing within the second
                yield []
                continue
            except _FAILURES as exc:  # the server restarts, a leader moves: the client reconnects
                log.warning("intake: fetching %s from NATS failed (%s); trying again", topic, _why(exc))
                yield []
                await asyncio.sleep(0.5)
                continue
            yield [_JsDelivery(self, topic, m) for m in msgs]

    async def dead_letters(self, topic: str | None = None, *, limit: int = 1000) -> list[DeadLetter]:
        try:
            info = await self.js.stream_info(self.stream("dead"))
            found: list[DeadLetter] = []
            seq = info.state.first_seq
            while seq and seq <= info.state.last_seq and len(found) < limit:
                letter = await self._dead(seq)
                seq += 1
                if letter is not None and (topic is None or letter.topic == topic):
                    found.append(letter)
            return found
        except _FAILURES as exc:
            raise BrokerUnavailable(f"cannot read dead letters from NATS at {self.url}: {_why(exc)}") from None

    async def _dead(self, seq: int) -> DeadLetter | None:
        try:
            raw = await self.js.get_msg(self.stream("dead"), seq)
        except nats.js.errors.NotFoundError:
            return None
        headers = raw.headers or {}
        return DeadLetter(id=str(seq), topic=headers.get(_TOPIC, ""), reason=headers.get(_REASON, ""),
                          attempts=int(headers.get(_ATTEMPTS, "0") or 0), data=raw.data or b"",
                          at=raw.time.isoformat() if raw.time else "")

    async def retry(self, dead_id: str) -> DeadLetter:
        from leakwarden.errors import NotFound

        letter = await self._dead(int(dead_id)) if dead_id.isdigit() else None
        if letter is None or letter.topic not in TOPICS:
            raise NotFound(f"no dead letter {dead_id!r}", code="no_dead_letter")
        await self.publish(letter.topic, letter.data, key=f"retry:{letter.topic}:{dead_id}")
        try:
            await self.js.delete_msg(self.stream("dead"), int(dead_id))
        except _FAILURES as exc:
            raise BrokerUnavailable(f"republished, but cannot remove dead letter {dead_id}: {_why(exc)}") from None
        return letter

    async def delete(self) -> None:
        for name in (*TOPICS, "dead"):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await self.js.delete_stream(self.stream(name))


async def _quiet(exc: Exception) -> None:
    log.debug("nats: %s", type(exc).__name__)  # each failed reconnect: the disconnection was logged once


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
