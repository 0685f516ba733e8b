"""Expand the URLs of a post into LinkChains: post → page → document, hop by hop.

Every hop is one GET through the SSRF-safe fetcher, read and cached by canonical URL. A hop is
reached from its parent by an HTTP redirect, a Refresh header, a meta refresh, a JavaScript
``location`` assignment in a small interstitial page (these four keep the parent's depth and count
against ``max_redirects``), or an outlink of a page (depth + 1). ``depth`` 0 is the URL in the
post; outlinks are followed while ``depth + 1 < max_depth``, so the default ``max_depth=2`` covers
post → page → document. At most ``fan_out`` outlinks are followed from a page, documents first.

Fetches run concurrently on a thread pool. :meth:`ChainExpander.expand` waits at most
``budget_s``; what is known by then is returned with ``complete=False``, and the expansion goes on
in the background, filling the cache, so asking again soon completes quickly.

No failure escapes: each one is recorded on its hop as ``error`` and ``error_code``; the expander
itself adds ``invalid_url``, ``too_many_redirects`` and ``redirect_loop``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import httpx

from leakwarden.errors import FetchError, InvalidInput, InvalidURL
from leakwarden.links.cache import FetchCache
from leakwarden.links.fetch import REFUSED_CODES, Fetcher, FetchSettings, check_target
from leakwarden.links.ocr import RECENT_IMAGES, image_facts
from leakwarden.links.reader import Fetched, read_url
from leakwarden.links.url import canonicalize
from leakwarden.model import Hop, LinkChain

log = logging.getLogger(__name__)

MAX_HOPS_PER_CHAIN = 64
DEFAULT_FAN_OUT = 5


@dataclass(frozen=True)
class _Step:
    """A hop to fetch: how it was reached, and the redirect history of its link."""

    chain: int
    url: str
    canonical: str
    via: str
    depth: int
    parent: int | None
    redirects: int
    seen: frozenset[str]  # cache keys (canonical URL and port) of this link's redirect sequence

    @property
    def key(self) -> str:
        return cache_key(self.url, self.canonical)


def _refusal(url: str, settings: FetchSettings, exc: InvalidInput) -> tuple[str, str]:
    """The most specific error code for a URL that cannot even be canonicalized."""
    try:
        check_target(url, settings)
    except FetchError as refused:
        return refused.code, refused.message
    return "invalid_url", exc.message


def refusal(chain: LinkChain) -> InvalidURL | None:
    """The caller's error when the chain's own URL was refused before anything was fetched (not a
    URL, not http(s), a user name, a port or a host that is not fetched); None otherwise. What the
    URL leads to (a redirect to a private address, a dead server) is the chain's to describe."""
    first = chain.hops[0] if chain.hops else None
    if first is None or first.error_code not in REFUSED_CODES:
        return None
    return InvalidURL(f"{chain.url[:200]!r}: {first.error or first.error_code}", code=first.error_code)


def cache_key(url: str, canonical: str) -> str:
    """The canonical URL, plus the port when it is not the scheme's default (canonical forms drop it)."""
    try:
        port = httpx.URL(url.strip()).port
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError):
        return canonical
    return canonical if port is None else f"{canonical} port={port}"


def hop_path(chain: LinkChain, index: int) -> list[str]:
    """The canonical URLs from the post's URL down to hop ``index``, for ``Subject.path``.

    Prefix ``"post"`` for a Subject: ``["post", *hop_path(chain, i)]``."""
    return chain.path(index)


class _Expansion:
    """The state of one expand() call; runs in its own coordinator thread."""

    def __init__(self, urls: list[str], fetch: Callable[[str, str], Fetched], pool: ThreadPoolExecutor,
                 settings: FetchSettings, max_depth: int, fan_out: int,
                 on_complete: Callable[[list[LinkChain]], None] | None = None) -> None:
        self._on_complete = on_complete
        self.chains = [LinkChain(url=u) for u in urls]
        self._urls = urls
        self._fetch = fetch
        self._pool = pool
        self._settings = settings
        self._max_depth = max_depth
        self._fan_out = fan_out
        self._lock = threading.Lock()
        self._open = [1] * len(urls)  # pending fetches per chain, and 1 until the chain's first is submitted
        self._visited: list[set[str]] = [set() for _ in urls]
        self.done = threading.Event()

    def snapshot(self) -> list[LinkChain]:
        with self._lock:
            return [
                c.model_copy(update={"hops": [h.model_copy() for h in c.hops], "complete": not self._open[i]})
                for i, c in enumerate(self.chains)
            ]

    def run(self) -> None:
        pending: dict[Future[Fetched], _Step] = {}
        try:
            for i, url in enumerate(self._urls):
                self._start(i, url, pending)
            while pending:
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    step = pending.pop(future)
                    try:
                        got = future.result()
                    except Exception as exc:  # read_url does not raise; this is a last guard
                        got = Fetched(url=step.url, error=f"unexpected failure: {type(exc).__name__}",
                                      error_code="fetch_failed")
                    self._land(step, got, pending)
        finally:
            with self._lock:
                self._open = [0] * len(self._urls)
            self.done.set()
            if self._on_complete is not None:
                try:
                    self._on_complete(self.snapshot())
                except Exception as exc:  # a caller's callback must not kill the coordinator silently
                    log.error("on_complete callback failed: %s", type(exc).__name__)  # no values: no PII

    def _start(self, i: int, url: str, pending: dict[Future[Fetched], _Step]) -> None:
        try:
            self._start_chain(i, url, pending)
        finally:  # a chain not started yet is not complete: a snapshot taken meanwhile says so
            with self._lock:
                self._open[i] -= 1

    def _start_chain(self, i: int, url: str, pending: dict[Future[Fetched], _Step]) -> None:
        try:
            canonical = canonicalize(url)
        except InvalidInput as exc:
            code, message = _refusal(url, self._settings, exc)
            self._record(i, Hop(url=url, canonical=url, error=message, error_code=code))
            return
        step = _Step(i, url, canonical, "post", 0, None, 0, frozenset({cache_key(url, canonical)}))
        if self._max_depth <= 0:
            self._record(i, self._hop(step, Fetched(url=url)))
            return
        self._submit(step, pending)

    def _submit(self, step: _Step, pending: dict[Future[Fetched], _Step]) -> None:
        with self._lock:
            self._open[step.chain] += 1
        self._visited[step.chain].add(step.key)
        try:
            pending[self._pool.submit(self._fetch, step.url, step.canonical)] = step
        except RuntimeError:  # the pool is shut down: the expander was closed, or the process is exiting
            self._record(step.chain, self._hop(step, Fetched(url=step.url, error="not fetched: shutting down",
                                                             error_code="fetch_failed")))
            with self._lock:
                self._open[step.chain] -= 1

    def _hop(self, step: _Step, got: Fetched, **override: object) -> Hop:
        fields: dict[str, object] = dict(
            url=step.url, canonical=step.canonical, via=step.via, status=got.status,
            content_type=got.content_type, size=got.size, fetch_ms=got.fetch_ms, text=got.text,
            error=got.error, error_code=got.error_code, depth=step.depth, parent=step.parent,
            image=image_facts(got.image) if got.image else None, read=got.image,
            content=RECENT_IMAGES.get(got.image.sha256) if got.image else None,
        )
        fields.update(override)
        return Hop.model_validate(fields)

    def _record(self, chain: int, hop: Hop) -> int:
        with self._lock:
            self.chains[chain].hops.append(hop)
            return len(self.chains[chain].hops) - 1

    def _land(self, step: _Step, got: Fetched, pending: dict[Future[Fetched], _Step]) -> None:
        try:
            index = self._record(step.chain, self._hop(step, got))
            if len(self.chains[step.chain].hops) >= MAX_HOPS_PER_CHAIN:
                return
            if got.next is not None:
                self._follow(step, index, got.next, pending)
            elif step.depth + 1 < self._max_depth and got.outlinks:
                self._outlinks(step, index, got.outlinks, pending)
        finally:  # after the follow-ups are counted, so a snapshot never sees a false "complete"
            with self._lock:
                self._open[step.chain] -= 1

    def _follow(self, step: _Step, index: int, target: tuple[str, str], pending: dict[Future[Fetched], _Step]
                ) -> None:
        via, url = target
        try:
            canonical = canonicalize(url)
        except InvalidInput as exc:
            code, message = _refusal(url, self._settings, exc)
            hop = dict(url=url, canonical=url, via=via, depth=step.depth, parent=index, error=message,
                       error_code=code)
            self._record(step.chain, Hop.model_validate(hop))
            return
        key = cache_key(url, canonical)
        nxt = _Step(step.chain, url, canonical, via, step.depth, index, step.redirects + 1, step.seen | {key})
        if key in step.seen:
            self._record(step.chain, self._hop(nxt, Fetched(url=url), error="redirect loop to an earlier hop",
                                               error_code="redirect_loop"))
        elif nxt.redirects > self._settings.max_redirects:
            self._record(step.chain, self._hop(
                nxt, Fetched(url=url), error=f"more than {self._settings.max_redirects} redirects",
                error_code="too_many_redirects"))
        else:
            self._submit(nxt, pending)

    def _outlinks(self, step: _Step, index: int, links: tuple[str, ...], pending: dict[Future[Fetched], _Step]
                  ) -> None:
        followed = 0
        for url in links:
            if followed >= self._fan_out:
                break
            try:
                canonical = canonicalize(url)
            except InvalidInput:
                continue
            key = cache_key(url, canonical)
            if key in self._visited[step.chain]:
                continue
            followed += 1
            self._submit(_Step(step.chain, url, canonical, "outlink", step.depth + 1, index, 0,
                               frozenset({key})), pending)


class ChainExpander:
    """Turns URLs into LinkChains. Thread-safe; share one per process (it owns a thread pool)."""

    def __init__(self, settings: FetchSettings | None = None, cache: FetchCache[Fetched] | None = None,
                 *, workers: int = 8) -> None:
        self.settings = settings or FetchSettings()
        self.cache: FetchCache[Fetched] = cache if cache is not None else FetchCache()
        self._fetcher = Fetcher(self.settings)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="leakwarden-fetch")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._fetcher.close()

    def __enter__(self) -> ChainExpander:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, url: str, canonical: str, *, refetch: bool = False) -> Fetched:
        """One URL, fetched and read, through the cache."""
        try:
            check_target(url, self.settings)  # before the cache: its key drops userinfo
        except FetchError as refused:
            return Fetched(url=url, error=refused.message, error_code=refused.code)
        key = cache_key(url, canonical)
        return self.cache.get_or_fetch(key, lambda: read_url(self._fetcher, url), refetch=refetch)

    def expand(self, urls: list[str], *, budget_s: float | None = None, max_depth: int = 2,
               fan_out: int = DEFAULT_FAN_OUT, refetch: bool = False,
               on_complete: Callable[[list[LinkChain]], None] | None = None) -> list[LinkChain]:
        """One LinkChain per URL, in order. Never raises for what a URL leads to.

        With ``budget_s``, returns after at most that long; chains still being followed then have
        ``complete=False``. ``on_complete`` is called (from a background thread) with the finished
        chains once everything is followed, whether or not the budget ran out: the engine uses it
        to decide a ``partial`` post again."""
        if fan_out < 0 or max_depth < 0:
            raise InvalidInput("max_depth and fan_out must not be negative")
        if budget_s is not None and budget_s < 0:
            raise InvalidInput("budget_s must not be negative")
        if not urls:
            if on_complete is not None:
                on_complete([])
            return []
        refetched: set[str] = set()
        refetch_lock = threading.Lock()

        def fetch(url: str, canonical: str) -> Fetched:
            again = False
            if refetch:
                with refetch_lock:  # refetch each URL once per call, not once per hop that reaches it
                    key = cache_key(url, canonical)
                    again = key not in refetched
                    refetched.add(key)
            return self.read(url, canonical, refetch=again)

        expansion = _Expansion(list(urls), fetch, self._pool, self.settings, max_depth, fan_out, on_complete)
        coordinator = threading.Thread(target=expansion.run, name="leakwarden-expand", daemon=True)
        coordinator.start()
        expansion.done.wait(timeout=budget_s)
        return expansion.snapshot()


_SHARED: dict[FetchSettings, ChainExpander] = {}
_SHARED_LOCK = threading.Lock()


def shared_expander(settings: FetchSettings | None = None) -> ChainExpander:
    """One expander (and so one cache and one connection pool) per process and settings."""
    settings = settings or FetchSettings()
    with _SHARED_LOCK:
        expander = _SHARED.get(settings)
        if expander is None:
            expander = _SHARED[settings] = ChainExpander(settings)
        return expander
