"""Prometheus metrics at ``GET /metrics``, and the access log.

Two kinds of figures:

* **from the database**, read at each scrape, so every worker and every process sharing the
  database agrees: stored decisions by verdict, posts still waiting for their links (``partial``),
  review cases by state and source;
* **from this process**: HTTP requests and their latency by route *template*
  (``/v1/posts/{post_id}``, never the path as requested), and link fetches by outcome (``ok`` or
  the fetcher's error code). With ``serve --workers N`` these are summed over the workers through
  ``PROMETHEUS_MULTIPROC_DIR`` (the server sets one up).

Labels only ever hold values from small fixed sets (verdicts, states, sources, route templates,
methods, status codes, error codes): never a post id, an author, a URL or a text.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leakwarden.store.tables import CaseRow, PostRow

access = logging.getLogger("leakwarden.access")
log = logging.getLogger("leakwarden.api")

#: Process-wide (one per process, whatever the number of apps): what this process counted.
PROCESS = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("leakwarden_http_requests", "HTTP requests answered", ["method", "route", "status"],
                   registry=PROCESS)
LATENCY = Histogram("leakwarden_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["method", "route"], registry=PROCESS,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
FETCHES = Counter("leakwarden_link_fetches", "Link fetches (one per hop, cached or not) by outcome", ["outcome"],
                  registry=PROCESS)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def fetch_outcome(error_code: str | None) -> str:
    """A label for a fetch: ``ok``, or its error code if it looks like one (else ``other``)."""
    if not error_code:
        return "ok"
    return error_code if _CODE.fullmatch(error_code) else "other"


def count_fetches(expander: Any) -> None:
    """Count every hop ``expander`` reads (through its ``read``, which ``expand`` calls per hop).
    Idempotent: an expander shared by several apps is wrapped once."""
    read = getattr(expander, "read", None)
    if read is None or getattr(read, "_counted", False):
        return

    def counted(url: str, canonical: str, *, refetch: bool = False) -> Any:
        got = read(url, canonical, refetch=refetch)
        FETCHES.labels(fetch_outcome(getattr(got, "error_code", None))).inc()
        return got

    counted._counted = True  # type: ignore[attr-defined]
    expander.read = counted


class DatabaseCollector(Collector):
    """Figures read from the database at each scrape."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        decisions = GaugeMetricFamily("leakwarden_decisions", "Stored posts by the verdict of their decision",
                                      labels=["verdict"])
        partial = GaugeMetricFamily("leakwarden_posts_partial",
                                    "Stored posts decided before their links were followed (waiting to be decided "
                                    "again)")
        cases = GaugeMetricFamily("leakwarden_review_cases", "Review cases not closed, by state and source",
                                  labels=["state", "source"])
        up = GaugeMetricFamily("leakwarden_database_up", "1 when the database answered this scrape")
        try:
            with self.engine.db.session() as s:
                by_verdict = dict(s.execute(select(PostRow.verdict, func.count()).group_by(PostRow.verdict)).all())
                waiting = s.execute(select(func.count()).select_from(PostRow).where(PostRow.partial.is_(True))
                                    ).scalar_one()
                open_cases = s.execute(select(CaseRow.state, CaseRow.source, func.count())
                                       .where(CaseRow.state != "closed")
                                       .group_by(CaseRow.state, CaseRow.source)).all()
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        for verdict in ("allow", "label", "restrict", "remove"):
            decisions.add_metric([verdict], by_verdict.pop(verdict, 0))
        for verdict, count in by_verdict.items():
            decisions.add_metric([verdict if _CODE.fullmatch(verdict or "") else "other"], count)
        partial.add_metric([], waiting)
        for state, source, count in open_cases:
            cases.add_metric([state, source], count)
        up.add_metric([], 1)
        yield from (decisions, partial, cases, up)


def exposition(engine: Any) -> bytes:
    """The text format of every metric: this process's (or all workers') and the database's."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine))
    own: bytes
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        own = generate_latest(merged)
    else:
        own = generate_latest(PROCESS)
    return own + generate_latest(registry)


def route_label(scope: Scope) -> str:
    """The route template that answered (``/v1/posts/{post_id}``), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class Observe:
    """ASGI middleware: counts and times each HTTP request by method, route template and status,
    and with ``access_log`` writes one line per request to ``leakwarden.access`` (method, route
    template, status, milliseconds: no path parameters, query, client address or body)."""

    def __init__(self, app: ASGIApp, access_log: bool = False, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.access_log = access_log
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            elapsed = self.clock() - started
            method = scope.get("method", "GET")
            method = method if method in METHODS else "OTHER"
            route = route_label(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            if self.access_log:
                access.info("%s %s %d %.1fms", method, route, status, elapsed * 1000,
                            extra={"method": method, "route": route, "status": status,
                                   "duration_ms": round(elapsed * 1000, 1)})
