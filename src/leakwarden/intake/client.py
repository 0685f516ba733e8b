"""Publishing from code that is not async (the API's routes, the CLI): a broker connection on an
event loop of its own, in a background thread, connected on first use."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from leakwarden.intake.broker import COMPLETE, POSTS, Broker, BrokerUnavailable, open_broker
from leakwarden.model import Post

if TYPE_CHECKING:
    from leakwarden.engine import Engine

log = logging.getLogger("leakwarden.intake")
T = TypeVar("T")
_CHUNK = 200  # publishes awaited together


def post_message(post: Post) -> tuple[bytes, str]:
    """A post as the intake stream carries it, and its de-duplication key (the id and a digest of the
    content: a repeat is stored once; other content under the same id still reaches a worker, which
    reports the conflict)."""
    data = json.dumps(post.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")).encode()
    return data, f"{post.id}:{hashlib.sha256(data).hexdigest()[:16]}"


def complete_message(post_id: str) -> tuple[bytes, str]:
    return json.dumps({"post_id": post_id}).encode(), f"complete:{post_id}"


async def publish_all(broker: Broker, topic: str, messages: Sequence[tuple[bytes, str]]) -> None:
    """Publish in order, a chunk at a time, each chunk's confirmations awaited together."""
    for start in range(0, len(messages), _CHUNK):
        chunk = messages[start:start + _CHUNK]
        await asyncio.gather(*(broker.publish(topic, data, key=key) for data, key in chunk))


class IntakeClient:
    """Blocking calls onto one broker connection. Thread-safe."""

    def __init__(self, url: str, *, timeout_s: float = 15.0) -> None:
        self.broker = open_broker(url)  # an unknown scheme fails here, at start
        self.timeout_s = timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._connected = False

    def _run(self, make: Callable[[], Awaitable[T]]) -> T:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="leakwarden-intake", daemon=True).start()
        future = asyncio.run_coroutine_threadsafe(self._call(make), self._loop)
        try:
            return future.result(self.timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise BrokerUnavailable(f"the broker at {self.broker.url} did not answer within {self.timeout_s:g} s"
                                    ) from None

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        if not self._connected:
            await self.broker.connect()
            self._connected = True
        return await make()

    def publish_posts(self, posts: Sequence[Post]) -> None:
        """Return once every post is stored in the intake stream."""
        messages = [post_message(p) for p in posts]
        self._run(lambda: publish_all(self.broker, POSTS, messages))

    def complete_later(self, post_id: str) -> None:
        data, key = complete_message(post_id)
        self._run(lambda: self.broker.publish(COMPLETE, data, key=key))

    def close(self) -> None:
        if self._loop is not None and self._connected:
            with contextlib.suppress(BrokerUnavailable):
                self._run(self.broker.close)
            self._loop.call_soon_threadsafe(self._loop.stop)


def complete_later(intake: IntakeClient | None, engine: Engine, post_id: str) -> None:
    """Finish a partial decision off the decision path: a ``complete`` message for the workers when a
    broker is configured; else (the embedded default) a background thread of this process. A broker
    that does not answer costs the durability, never the completion (the thread takes it)."""
    if intake is not None:
        try:
            intake.complete_later(post_id)
            return
        except BrokerUnavailable as exc:
            log.warning("intake: %s; completing post in this process instead", exc.message)
    engine.complete_later(post_id)
