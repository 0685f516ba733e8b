"""A worker: consume the intake streams, decide, enforce and record, acknowledge after the commit.

    posts     a batch of posts (as many as the broker hands over, up to ``batch``) →
              ``Engine.ingest_many`` (one transaction; idempotent on the post id; links are not
              followed here by default) → ack each
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
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from leakwarden.engine import Engine
from leakwarden.errors import LeakwardenError
from leakwarden.intake.broker import COMPLETE, COMPLETE_BUDGET_S, DECIDE_BUDGET_S, POSTS, TOPICS, Broker, Delivery
from leakwarden.intake.client import complete_message
from leakwarden.model import Post
from leakwarden.store.tables import PostRow

log = logging.getLogger("leakwarden.worker")


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
    """``concurrency``: messages (posts: batches) handled at once, and links of that many posts
    followed at once; ``batch``: the most posts fetched and ingested in one transaction; ``budget_s``:
    seconds a post's decision may spend following links (0: none; a post with links is decided on
    what it says and its URLs' rules, then completed through the ``complete`` stream)."""

    def __init__(self, engine: Engine, broker: Broker, *, concurrency: int = 4, max_attempts: int = 5,
                 budget_s: float = DECIDE_BUDGET_S, topics: tuple[str, ...] = TOPICS, actor: str = "worker",
                 retry_delay_s: float = 1.0, batch: int = 100) -> None:
        self.engine, self.broker = engine, broker
        self.concurrency, self.max_attempts, self.batch = concurrency, max_attempts, batch
        self.budget_s, self.topics, self.actor = budget_s, topics, actor
        self.retry_delay_s = retry_delay_s
        self.counts: Counter[str] = Counter()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="leakwarden-worker")
        # a batch's checks follow links at once (not worth threads when no link is followed)
        self._checks = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="leakwarden-check") \
            if engine.expander is not None and concurrency > 1 else None
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the work, in a thread --------------------------------------------------------------
    def process_posts(self, messages: list[bytes]) -> list[Outcome | Exception]:
        """Each message's outcome, or the exception that failed it (:class:`Poison`: for good)."""
        results: list[Outcome | Exception] = [Poison("not processed")] * len(messages)
        posts: list[Post] = []
        where: list[int] = []
        for index, data in enumerate(messages):
            try:
                posts.append(Post.model_validate_json(data))
                where.append(index)
            except ValidationError as exc:
                results[index] = Poison(_validation_reason(exc))
        run = self._checks.map if self._checks is not None else None
        for index, done in zip(where, self.engine.ingest_many(posts, actor=self.actor, budget_s=self.budget_s,
                                                              run=run), strict=True):
            if isinstance(done, LeakwardenError):  # a conflict with the stored post, a value it cannot store
                results[index] = Poison(f"{done.code}: {done.message}")
            elif isinstance(done, Exception):
                results[index] = done
            else:
                results[index] = Outcome(stored=done[1], partial=done[0].partial)
        return results

    def process(self, topic: str, data: bytes) -> Outcome:
        if topic == POSTS:
            [outcome] = self.process_posts([data])
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
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
            if self._checks is not None:
                self._checks.shutdown(wait=True)
        return self.counts

    async def _consume(self, topic: str, stop: asyncio.Event) -> None:
        batches = self.broker.consume(topic, batch=self.batch if topic == POSTS else self.concurrency)
        try:
            async for batch in batches:
                if topic == POSTS and batch:  # one task, one transaction for the batch
                    if stop.is_set():
                        await self._give_back(batch)
                        return
                    await self._slots.acquire()
                    self._start(self._handle_posts(batch))
                    continue
                for index, delivery in enumerate(batch):
                    if stop.is_set():
                        await self._give_back(batch[index:])
                        break
                    await self._slots.acquire()
                    self._start(self._handle(topic, delivery))
                if stop.is_set():
                    return
        finally:
            await batches.aclose()  # type: ignore[attr-defined]

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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
            await self._keep_while(work, [delivery])
            try:
                outcome: Outcome | Exception = work.result()
            except Exception as exc:
                outcome = exc
            await self._answer(topic, delivery, outcome)
        except Exception as exc:  # the broker went away mid-answer: the message comes back after ack_wait
            log.warning("intake: could not answer the broker for a %s message: %s", topic, type(exc).__name__)
        finally:
            self._slots.release()

    async def _handle_posts(self, deliveries: list[Delivery]) -> None:
        """A batch of posts: ingested in one transaction, then each message answered."""
        loop = asyncio.get_running_loop()
        try:
            work = loop.run_in_executor(self._pool, self.process_posts, [d.data for d in deliveries])
            await self._keep_while(work, deliveries)
            try:
                outcomes = work.result()
            except Exception as exc:  # the batch failed as a whole (the database away): each is retried
                outcomes = [exc] * len(deliveries)
            answers = await asyncio.gather(*(self._answer(POSTS, d, o) for d, o in zip(deliveries, outcomes,
                                                                                       strict=True)),
                                           return_exceptions=True)
            failed = [a for a in answers if isinstance(a, BaseException)]
            if failed:  # those messages come back after ack_wait
                log.warning("intake: could not answer the broker for %d posts message(s): %s", len(failed),
                            type(failed[0]).__name__)
        finally:
            self._slots.release()

    async def _keep_while(self, work: asyncio.Future[Any], deliveries: list[Delivery]) -> None:
        while not (await asyncio.wait({work}, timeout=self.broker.ack_wait_s / 3))[0]:
            for delivery in deliveries:  # slow work (following links): keep the messages ours
                await delivery.touch()

    async def _answer(self, topic: str, delivery: Delivery, outcome: Outcome | Exception) -> None:
        """Ack after the commit; a poison message to the dead letters; a failure retried, N times."""
        if isinstance(outcome, Poison):
            await self._dead(topic, delivery, str(outcome))
            return
        if isinstance(outcome, Exception):  # the type and first line only: a message may quote content
            reason = f"{type(outcome).__name__}: {_first_line(outcome)}"
            if delivery.attempts >= self.max_attempts:
                await self._dead(topic, delivery, f"failed {delivery.attempts} times; last: {reason}",
                                 logged=f"failed {delivery.attempts} times; last: {type(outcome).__name__}")
            else:
                log.warning("intake: %s message failed (attempt %d of %d): %s", topic, delivery.attempts,
                            self.max_attempts, type(outcome).__name__)
                self.counts["retried"] += 1
                await delivery.nak(self.retry_delay_s * delivery.attempts)
            return
        if outcome.partial and topic == POSTS:
            data, key = complete_message(json.loads(delivery.data)["id"])
            await self.broker.publish(COMPLETE, data, key=key)
        await delivery.ack()
        self.counts[("stored" if outcome.stored else "seen before") if topic == POSTS else "completed"] += 1

    async def _dead(self, topic: str, delivery: Delivery, reason: str, *, logged: str | None = None) -> None:
        """``logged``: what the log may say (an exception's message may quote content; the dead
        letter, kept in the broker beside the message itself, may)."""
        log.warning("intake: a %s message goes to the dead letters: %s", topic, (logged or reason)[:200])
        await delivery.dead(reason)
        self.counts["dead"] += 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else ""
