"""Fetch results by canonical URL: bounded, time-limited, thread-safe, one fetch per URL at a time.

A thousand posts linking to one page cost one fetch: a result is kept for ``ttl_s`` (errors for
the shorter ``error_ttl_s``, so a flaky host is retried soon), and while a URL is being fetched,
every other caller asking for it waits for that same fetch instead of starting another.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, Protocol, TypeVar


class HasError(Protocol):
    @property
    def error_code(self) -> str | None: ...


T = TypeVar("T", bound=HasError)


class FetchCache(Generic[T]):
    def __init__(self, ttl_s: float = 600.0, error_ttl_s: float = 60.0, max_entries: int = 10_000) -> None:
        if ttl_s < 0 or error_ttl_s < 0 or max_entries < 1:
            raise ValueError("cache TTLs must be >= 0 and max_entries >= 1")
        self.ttl_s = ttl_s
        self.error_ttl_s = error_ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._inflight: dict[str, Future[T]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: str) -> T | None:
        with self._lock:
            return self._get_locked(key)

    def _get_locked(self, key: str) -> T | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: T) -> None:
        ttl = self.error_ttl_s if value.error_code else self.ttl_s
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def invalidate(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get_or_fetch(self, key: str, fetch: Callable[[], T], *, refetch: bool = False) -> T:
        """The cached value, or the result of ``fetch()``, run once however many callers ask."""
        with self._lock:
            if not refetch:
                cached = self._get_locked(key)
                if cached is not None:
                    self.hits += 1
                    return cached
            running = self._inflight.get(key)
            if running is None:
                self.misses += 1
                mine: Future[T] = Future()
                self._inflight[key] = mine
        if running is not None:
            return running.result()
        try:
            value = fetch()
        except BaseException as exc:
            with self._lock:
                self._inflight.pop(key, None)
            mine.set_exception(exc)
            raise
        self.put(key, value)
        with self._lock:
            self._inflight.pop(key, None)
        mine.set_result(value)
        return value
