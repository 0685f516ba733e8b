"""A worker: consume the intake streams, decide, enforce and record, acknowledge after the commit.

    posts     a post → ``Engine.ingest_once`` (idempotent on the post id) → ack
              a partial decision (links not yet followed) → a ``complete`` message, then ack
    complete  a post id → decide it again with time to follow its links → ack

A message that is not a valid post, or that conflicts with a stored post, goes to the dead letters at
once; one that fails otherwise (the database away, a bug) is delivered again after a pause, and after
``max_attempts`` deliveries goes to the dead letters with the reason. SIGTERM stops fetching; the
messages in hand are finished and acknowledged, those not started are given back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pydantic import ValidationError

from leakwarden.engine import Engine
from leakwarden.errors import LeakwardenError
from leakwarden.intake.broker import COMPLETE, POSTS, TOPICS, Broker, Delivery
from leakwarden.intake.client import complete_message
from leakwarden.model import Post
from leakwarden.store.tables import PostRow

log = logging.getLogger("leakwarden.worker")
COMPLETE_BUDGET_S = 120.0  # seconds to follow a partially decided post's links


class Poison(Exception):
    """This message can never succeed: dead-letter it at once."""


@dataclass
class Outcome:
    stored: bool = False  # this delivery stored the post (False: it was stored before)
    partial: bool = False


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"invalid post: {'.'.join(str(x) for x in first['loc']) or 'body'}: {first['msg']}"


class Worker:
    def __init__(self, engine: Engine, broker: Broker, *, concurrency: int = 4, max_attempts: int = 5,
                 budget_s: float | None = None, topics: tuple[str, ...] = TOPICS, actor: str = "worker",
                 retry_delay_s: float = 1.0) -> None:
        self.engine, self.broker = engine, broker
        self.concurrency, self.max_attempts = concurrency, max_attempts
        self.budget_s, self.topics, self.actor = budget_s, topics, actor
        self.retry_delay_s = retry_delay_s
        self.counts: Counter[str] = Counter()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="leakwarden-worker")
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the work, in a thread --------------------------------------------------------------
    def process(self, topic: str, data: bytes) -> Outcome:
        if topic == POSTS:
            try:
                post = Post.model_validate_json(data)
            except ValidationError as exc:
                raise Poison(_validation_reason(exc)) from None
            try:
                decision, stored = self.engine.ingest_once(post, actor=self.actor, budget_s=self.budget_s)
            except LeakwardenError as exc:  # a conflict with the stored post, a value it cannot store
                raise Poison(f"{exc.code}: {exc.message}") from None
            return Outcome(stored=stored, partial=decision.partial)
        try:
            post_id = str(json.loads(data)["post_id"])
        except (ValueError, KeyError, TypeError):
            raise Poison("invalid completion: expected {\"post_id\": ...}") from None
        with self.engine.db.session() as s:
            row = s.get(PostRow, post_id)
            if row is None:
                raise Poison(f"no post {post_id!r} to complete")
            if not row.partial:
                return Outcome()  # completed already (a redelivery)
        self.engine.redecide(post_id, kind="decision.completed", budget_s=COMPLETE_BUDGET_S)
        return Outcome(stored=True)

    # -- the loop ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> Counter[str]:
        """Consume until ``stop`` is set; then finish what is in hand and return the counts."""
        try:
            await asyncio.gather(*(self._consume(topic, stop) for topic in self.topics))
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            self._pool.shutdown(wait=True)
        return self.counts

    async def _consume(self, topic: str, stop: asyncio.Event) -> None:
        batches = self.broker.consume(topic, batch=self.concurrency)
        try:
            async for batch in batches:
                for index, delivery in enumerate(batch):
                    if stop.is_set():
                        await self._give_back(batch[index:])
                        break
                    await self._slots.acquire()
                    task = asyncio.create_task(self._handle(topic, delivery))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                if stop.is_set():
                    return
        finally:
            await batches.aclose()  # type: ignore[attr-defined]

    async def _give_back(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            try:
                await delivery.nak(0)
            except Exception as exc:  # not returned: it comes back after ack_wait anyway
                log.warning("intake: could not give a message back: %s", type(exc).__name__)

    async def _handle(self, topic: str, delivery: Delivery) -> None:
        loop = asyncio.get_running_loop()
        try:
            work = loop.run_in_executor(self._pool, self.process, topic, delivery.data)
            while not (await asyncio.wait({work}, timeout=self.broker.ack_wait_s / 3))[0]:
                await delivery.touch()  # slow work (following links): keep the message ours
            try:
                outcome = work.result()
            except Poison as exc:
                await self._dead(topic, delivery, str(exc))
                return
            except Exception as exc:  # the type and first line only: a message may quote content
                reason = f"{type(exc).__name__}: {_first_line(exc)}"
                if delivery.attempts >= self.max_attempts:
                    await self._dead(topic, delivery, f"failed {delivery.attempts} times; last: {reason}",
                                     logged=f"failed {delivery.attempts} times; last: {type(exc).__name__}")
                else:
                    log.warning("intake: %s message failed (attempt %d of %d): %s", topic, delivery.attempts,
                                self.max_attempts, type(exc).__name__)
                    self.counts["retried"] += 1
                    await delivery.nak(self.retry_delay_s * delivery.attempts)
                return
            if outcome.partial and topic == POSTS:
                data, key = complete_message(json.loads(delivery.data)["id"])
                await self.broker.publish(COMPLETE, data, key=key)
            await delivery.ack()
            self.counts[("stored" if outcome.stored else "seen before") if topic == POSTS else "completed"] += 1
        except Exception as exc:  # the broker went away mid-answer: the message comes back after ack_wait
            log.warning("intake: could not answer the broker for a %s message: %s", topic, type(exc).__name__)
        finally:
            self._slots.release()

    async def _dead(self, topic: str, delivery: Delivery, reason: str, *, logged: str | None = None) -> None:
        """``logged``: what the log may say (an exception's message may quote content; the dead
        letter, kept in the broker beside the message itself, may)."""
        log.warning("intake: a %s message goes to the dead letters: %s", topic, (logged or reason)[:200])
        await delivery.dead(reason)
        self.counts["dead"] += 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else ""
