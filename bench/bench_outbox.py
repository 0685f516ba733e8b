"""The outbox's cost and speed, each figure beside a reference measured in the same run.

    .venv/bin/python bench/bench_outbox.py [--posts 300] [--deliveries 300]

1. Ingest with the outbox (each decision writes its events in the same transaction) against the
   same ingest with ``outbox.emit`` turned into a no-op: posts/s, and the ratio.
2. Reading the feed (``outbox.read`` in pages of 1000, sequencing included) against a plain
   ``SELECT … ORDER BY id`` of the same rows: events/s, and the ratio.
3. The dispatcher (fan-out, claim, sign, POST, record) to a receiver on 127.0.0.1 against a loop of
   plain ``httpx.post`` calls with the same bodies to the same receiver: deliveries/s, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy import select

WORK = tempfile.mkdtemp(prefix="lw-bench-outbox-")
os.environ.setdefault("LEAKWARDEN_PII_HASH_KEY", "bench-only-key")
os.environ.setdefault("LEAKWARDEN_REVEAL_KEY_FILE", f"{WORK}/reveal.key")
os.environ["LEAKWARDEN_WEBHOOKS_ALLOW_PRIVATE"] = "1"

from leakwarden import outbox  # noqa: E402
from leakwarden.engine import Engine  # noqa: E402
from leakwarden.model import Post  # noqa: E402
from leakwarden.outbox import dispatch, webhooks  # noqa: E402
from leakwarden.outbox.tables import OutboxEvent  # noqa: E402


def engine(name: str) -> Engine:
    e = Engine(f"sqlite:///{WORK}/{name}.db", detectors=[])
    e.rules.add("domain", "newsletter.example", "block", "hosts the dossier", "bench", source=True)
    return e


def ingest(e: Engine, n: int, start: int = 0) -> float:
    """Seconds to ingest posts ``start`` .. ``start + n`` (each links a blocked domain: 4 actions)."""
    started = time.perf_counter()
    for i in range(start, start + n):
        e.ingest(Post(id=f"p{i}", author=f"a{i % 50}", text=f"read https://newsletter.example/p/{i}"))
    return time.perf_counter() - started


def ingest_both(posts: int, chunk: int = 25) -> tuple[Engine, float, float]:
    """Posts/s with and without the outbox, in alternating chunks after a warm-up (on a shared
    machine, load that comes and goes then weighs on both alike)."""
    with_e, without_e = engine("with"), engine("without")
    ingest(engine("warm"), 20)
    real = outbox.emit
    spent = {"with": 0.0, "without": 0.0}
    for start in range(0, posts, chunk):
        outbox.emit = lambda *a, **k: None  # type: ignore[assignment]
        try:
            spent["without"] += ingest(without_e, chunk, start)
        finally:
            outbox.emit = real  # type: ignore[assignment]
        spent["with"] += ingest(with_e, chunk, start)
    done = (posts + chunk - 1) // chunk * chunk
    return with_e, done / spent["with"], done / spent["without"]


def receiver() -> tuple[ThreadingHTTPServer, str]:
    class Ok(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--deliveries", type=int, default=300)
    args = parser.parse_args()

    # 1. ingest: with events against without
    e, with_events, without = ingest_both(args.posts)
    with e.db.session() as s:
        events = len(s.scalars(select(OutboxEvent.id)).all())
    print(f"ingest with the outbox: {with_events:8.1f} posts/s ({events / args.posts:.1f} events a post); "
          f"without: {without:8.1f} posts/s; ratio {with_events / without:.2f}")

    # 2. the feed against a plain SELECT
    started = time.perf_counter()
    after, read = 0, 0
    while page := outbox.read(e.db, after, 1000).events:
        read += len(page)
        after = int(page[-1]["seq"])
    feed = read / (time.perf_counter() - started)
    started = time.perf_counter()
    with e.db.session() as s:
        plain_rows = len(s.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all())
    plain = plain_rows / (time.perf_counter() - started)
    print(f"feed read: {feed:10.0f} events/s; plain SELECT: {plain:10.0f} events/s; ratio {feed / plain:.2f}")

    # 3. the dispatcher against plain POSTs
    server, url = receiver()
    d = engine("dispatch")
    webhooks.add(d.db, url, events=["decision.made"])
    ingest(d, args.deliveries)  # one decision.made each
    dispatcher = dispatch.Dispatcher(d.db, dispatch.Settings(concurrency=1))
    started = time.perf_counter()
    done = dispatcher.run_once()
    sent = done.delivered / (time.perf_counter() - started)
    with d.db.session() as s:
        bodies = [dispatch.body_of(r) for r in s.scalars(select(OutboxEvent).where(
            OutboxEvent.type == "decision.made"))]
    started = time.perf_counter()
    with httpx.Client() as client:
        for body in bodies:
            client.post(url, content=body, headers={"content-type": "application/json"})
    raw = len(bodies) / (time.perf_counter() - started)
    dispatcher.close()
    server.shutdown()
    print(f"dispatcher: {sent:8.1f} deliveries/s ({done.delivered} delivered, one endpoint, in order); "
          f"plain httpx.post: {raw:8.1f}/s; ratio {sent / raw:.2f}")


if __name__ == "__main__":
    main()
