"""Scale-out: publish → decision stored on PostgreSQL through NATS JetStream and N worker
processes; and the HTTP API under 16 concurrent clients.

Printed beside references measured in the same run:
- posts/s with 2 workers beside 1 worker (the ratio; goals: >= 400 posts/s with 2 workers, >= 1.6x),
  each with the cores its workers used and how busy the whole machine was meanwhile (on a machine
  shared with PostgreSQL, NATS, this publisher and anything else, a second worker gets only the
  cores left over);
- publish → stored latency, p50 and p99, for a trickle of posts while one worker runs;
- POST /v1/check and POST /v1/posts, req/s and p99 with 16 concurrent clients (``leakwarden serve
  --workers 2``; ``--api-workers 1,2`` measures each), beside in-process ``Engine.check`` posts/s (goal:
  check >= 1,000 req/s, p99 <= 50 ms). The load comes from ``wrk`` (C, ``make wrk``) when it is
  installed, so that the load generator takes little of the cores it shares with the API; else from
  a Python generator (httpx), with a note. Each figure is printed with the CPU the API and the load
  generator spent per request and how busy the machine was.
Where a goal is not met, a cProfile of the path that bounds it is summarized (top frames by own time).

    .venv/bin/python bench/bench_scale.py [--posts 2000] [--seconds 10] [--quick] [--part http]
                                          [--api-workers 1,2] [--generator wrk|python]

Needs PostgreSQL (LEAKWARDEN_BENCH_PG, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
and NATS with JetStream (LEAKWARDEN_BENCH_NATS, default nats://127.0.0.1:4222). Text-only posts; links
are not followed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

PG_ADMIN = os.environ.get("LEAKWARDEN_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NATS = os.environ.get("LEAKWARDEN_BENCH_NATS", "nats://127.0.0.1:4222")
SRC = str(Path(__file__).resolve().parents[1] / "src")
WORDS = ("council", "budget", "park", "street", "election", "poll", "candidate", "vote", "tuesday", "school",
         "road", "water", "tax", "mayor", "debate", "meeting", "volunteers", "rally", "office", "turnout")
CLIENTS = 16
BATCH = 100  # posts a worker ingests in one transaction (its default)


def text_posts(n: int, prefix: str, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"id": f"{prefix}{i}", "author": f"u{rng.randint(0, 500)}",
             "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 45)))} for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# -- databases, processes -------------------------------------------------------------------------
@contextmanager
def fresh_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from leakwarden.store.db import Database

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"lw_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    Database(url).dispose()  # migrated once, before any worker starts
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "LEAKWARDEN_FOLLOW_LINKS": "0"}


def start(args: list[str], ready: str) -> tuple[subprocess.Popen[str], str]:
    """A leakwarden process, once it printed the line that says it is ready (returned)."""
    process = subprocess.Popen([sys.executable, "-m", "leakwarden", *args], env=env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if ready in line:
            return process, line
    raise RuntimeError(f"leakwarden {args[0]} ended before it was ready (exit {process.wait()})")


def stop(processes: list[subprocess.Popen[str]]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def stored(url: str) -> Callable[[], int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)

    def count() -> int:
        with engine.connect() as c:
            return int(c.execute(text("SELECT count(*) FROM posts")).scalar_one())

    return count


# -- 1. publish → stored, with N workers --------------------------------------------------------
def drop(broker: str) -> None:
    """Remove the run's streams from the broker."""
    from leakwarden.intake.broker import run_on

    run_on(broker, lambda chosen: chosen.delete())


def publish(broker: str, posts: list[dict[str, object]]) -> None:
    from leakwarden.intake.client import IntakeClient
    from leakwarden.model import Post

    client = IntakeClient(broker, timeout_s=120)
    client.publish_posts([Post.model_validate(p) for p in posts])
    client.close()


def process_cpu_s(pid: int) -> float:
    """CPU seconds a process has used (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and of its descendants alive now (``serve --workers 2``: the
    supervisor and its uvicorn workers)."""
    total = process_cpu_s(pid)
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = task.read_text().split()
        except OSError:
            continue
        total += sum(tree_cpu_s(int(child)) for child in children)
    return total


def machine_cpu_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (Linux /proc; 0 elsewhere)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK"), sum(values) / os.sysconf("SC_CLK_TCK")


class Rate:
    """Posts/s, and where the CPU went meanwhile: the workers' cores, and how busy the machine was
    (the workers, PostgreSQL, NATS, this publisher, and whatever else runs on it)."""

    def __init__(self, posts: int, seconds: float, worker_cpu_s: float, busy_s: float, total_s: float) -> None:
        self.posts_s = posts / seconds
        self.worker_cores = worker_cpu_s / seconds
        self.busy = busy_s / total_s if total_s else float("nan")
        self.cores = os.cpu_count() or 1

    def cpu(self) -> str:
        return (f"workers used {self.worker_cores:.2f} cores; the machine was {self.busy:.0%} busy "
                f"(all {self.cores} cores)")


def workers_rate(n_workers: int, posts: list[dict[str, object]]) -> Rate:
    with fresh_database() as url:
        broker = f"{NATS}?namespace=bench{uuid.uuid4().hex[:8]}"
        workers = [start(["worker", "--broker", broker, "--db", url, "--no-follow", "--concurrency", "4"],
                         "consuming")[0] for _ in range(n_workers)]
        try:
            count = stored(url)
            cpu_before, (busy_before, total_before) = sum(process_cpu_s(w.pid) for w in workers), machine_cpu_s()
            started = time.perf_counter()
            publish(broker, posts)
            while count() < len(posts):
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            busy, total = machine_cpu_s()
            return Rate(len(posts), elapsed, sum(process_cpu_s(w.pid) for w in workers) - cpu_before,
                        busy - busy_before, total - total_before)
        finally:
            stop(workers)
            drop(broker)


def latencies(posts: list[dict[str, object]], rate: float) -> list[float]:
    """Publish one post at a time at ``rate``/s with one worker; ms from publish to stored."""
    from sqlalchemy import create_engine, text

    from leakwarden.intake.client import IntakeClient
    from leakwarden.model import Post

    with fresh_database() as url:
        broker = f"{NATS}?namespace=bench{uuid.uuid4().hex[:8]}"
        worker, _ = start(["worker", "--broker", broker, "--db", url, "--no-follow", "--concurrency", "4"],
                          "consuming")
        client = IntakeClient(broker)
        sent: dict[str, float] = {}
        try:
            for p in posts:
                sent[str(p["id"])] = time.time()
                client.publish_posts([Post.model_validate(p)])
                time.sleep(1 / rate)
            count = stored(url)
            while count() < len(posts):
                time.sleep(0.05)
            with create_engine(url).connect() as c:
                rows = c.execute(text("SELECT id, ingested_at FROM posts")).all()
        finally:
            client.close()
            stop([worker])
            drop(broker)
    return [(at.replace(tzinfo=at.tzinfo or UTC).timestamp() - sent[i]) * 1000 for i, at in rows]


# -- 2. the HTTP API under 16 clients -----------------------------------------------------------
async def load(base: str, key: str, path: str, seconds: float, make: Callable[[int], dict[str, object]]
               ) -> tuple[float, list[float], int]:
    """The Python load generator (httpx, one event loop): req/s, each request's ms, errors."""
    import httpx

    timings: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            body = make(next(counter))
            t = time.perf_counter()
            response = await http.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
            timings.append((time.perf_counter() - t) * 1000)
            errors += response.status_code >= 400

    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return len(timings) / elapsed, timings, errors


def _lua(text: str) -> str:
    """A Lua long string holding ``text`` as it is."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def wrk_script(key: str, posts: list[dict[str, object]], unique_ids: bool) -> str:
    """wrk's Lua: POST each post in turn, as JSON, with the key. ``unique_ids``: every request gets
    a new post id (``h<thread>-<n>``), so that ``/v1/posts`` stores a new post each time. ``done``
    prints one JSON line: requests, errors, p50 and p99 in ms, seconds."""
    tails = [json.dumps({k: v for k, v in p.items() if k != "id"}, separators=(",", ":"))[1:] for p in posts]
    bodies = [json.dumps(p, separators=(",", ":")) for p in posts]
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = {_lua("Bearer " + key)}
local unique = {"true" if unique_ids else "false"}
local bodies = {{{", ".join(_lua(b) for b in bodies)}}}
local tails = {{{", ".join(_lua(t) for t in tails)}}}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  local i = (n % #bodies) + 1
  if unique then
    return wrk.format(nil, nil, nil, '{{"id":"h' .. tid .. '-' .. n .. '",' .. tails[i])
  end
  return wrk.format(nil, nil, nil, bodies[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {{"requests": %d, "errors": %d, "p50": %.3f, "p99": %.3f, "seconds": %.3f}}\\n',
    summary.requests, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def wrk_load(base: str, key: str, path: str, seconds: float, posts: list[dict[str, object]]
             ) -> tuple[float, float, int, float]:
    """``wrk`` with 16 connections on 2 threads: (req/s, p99 ms, errors, wrk's CPU seconds)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(wrk_script(key, posts, unique_ids=path == "/v1/posts"))
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds:g}s", "--timeout", "60s", "-s", f.name,
                              base + path], capture_output=True, text=True, check=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    got = json.loads(line[4:])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return got["requests"] / got["seconds"], got["p99"], got["errors"], cpu


@dataclass
class HttpFigure:
    rate: float  # requests/s
    p99: float  # ms
    errors: int
    server_ms: float  # CPU ms the API's processes spent per request
    client_ms: float  # CPU ms this load generator spent per request
    busy: float  # share of the machine's cores busy meanwhile

    def cpu(self) -> str:
        return (f"CPU per request: API {self.server_ms:.2f} ms, load generator {self.client_ms:.2f} ms; "
                f"the machine was {self.busy:.0%} busy")


def http_figures(seconds: float, posts: list[dict[str, object]], workers: int, generator: str
                 ) -> dict[str, HttpFigure]:
    from leakwarden.service.auth import create_key
    from leakwarden.store.db import Database

    figures: dict[str, HttpFigure] = {}
    with fresh_database() as url:
        key = create_key(Database(url, migrate=False), "submitter")[1]
        server, line = start(["serve", "--db", url, "--no-follow", "--port", "0", "--workers", str(workers)],
                             "listening on")
        base = re.search(r"http://[^ ]+?:\d+", line).group(0)  # type: ignore[union-attr]
        wait_healthy(base)
        try:
            for path in ("/v1/check", "/v1/posts"):
                server_before, machine_before = tree_cpu_s(server.pid), machine_cpu_s()
                if generator == "wrk":
                    rate, p99, errors, client_s = wrk_load(base, key, path, seconds, posts)
                else:
                    def make(i: int, path: str = path) -> dict[str, object]:
                        post = dict(posts[i % len(posts)])
                        post["id"] = f"h{i}" if path == "/v1/posts" else post["id"]
                        return post

                    client_before = time.process_time()
                    rate, timings, errors = asyncio.run(load(base, key, path, seconds, make))
                    p99, client_s = percentile(timings, 0.99), time.process_time() - client_before
                served = max(1, int(rate * seconds))
                busy, total = (after - before for after, before in zip(machine_cpu_s(), machine_before, strict=True))
                figures[path] = HttpFigure(rate, p99, errors, 1000 * (tree_cpu_s(server.pid) - server_before) / served,
                                           1000 * client_s / served, busy / total if total else 0.0)
        finally:
            stop([server])
    return figures


def wait_healthy(base: str, timeout: float = 180) -> None:
    """The socket is bound before the workers listen: wait until one answers, then a little more
    so that both have loaded their engines."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                time.sleep(5)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the API at {base} did not answer within {timeout:g} s")


def in_process_check(posts: list[dict[str, object]]) -> tuple[float, float]:
    """In-process ``Engine.check`` in one thread: (posts/s, CPU ms a post)."""
    from leakwarden.engine import Engine
    from leakwarden.model import Post

    with fresh_database() as url:
        engine = Engine(url)
        parsed = [Post.model_validate(p) for p in posts]
        for p in parsed[:20]:
            engine.check(p)
        started, cpu = time.perf_counter(), time.thread_time()
        for p in parsed:
            engine.check(p)
        rate = len(parsed) / (time.perf_counter() - started)
        cpu_ms = (time.thread_time() - cpu) * 1000 / len(parsed)
        engine.db.dispose()
    return rate, cpu_ms


# -- 3. what bounds it ----------------------------------------------------------------------------
def profile(title: str, work: Callable[[], object], top: int = 12,
            phases: dict[str, tuple[str, str]] | None = None) -> None:
    """The top frames by own time; and ``phases``: name -> (file ending, function), their share
    of the whole by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    print(f"  profile: {title} (own time, top {top} of {total:.2f} s)")
    for (file, line, func), (_, calls, own, cumulative, _) in rows:
        where = re.sub(r"^.*/(site-packages|src)/", "", file)
        print(f"    {own / total:6.1%}  {calls:>8} calls  {where}:{line}({func})  cum {cumulative:.2f} s")
    for name, (ending, function) in (phases or {}).items():
        spent = sum(row[3] for (file, _, func), row in stats.stats.items()  # type: ignore[attr-defined]
                    if file.endswith(ending) and func == function)
        print(f"    {name}: {spent / total:.0%} of the time (cumulative)")


def profile_ingest(posts: list[dict[str, object]]) -> None:
    from sqlalchemy import event

    from leakwarden.engine import Engine
    from leakwarden.model import Post

    with fresh_database() as url:
        engine = Engine(url)
        parsed = [Post.model_validate(p) for p in posts]
        statements = [0]

        def counted(*_: object) -> None:
            statements[0] += 1

        event.listen(engine.db.engine, "before_cursor_execute", counted)
        started = time.perf_counter()
        batches = [parsed[i:i + BATCH] for i in range(0, len(parsed), BATCH)]
        profile(f"Engine.ingest_many (a worker's batches of {BATCH}) on PostgreSQL, {len(parsed)} posts, one process",
                lambda: [engine.ingest_many(b, actor="bench") for b in batches],
                phases={"deciding (Engine._check)": ("leakwarden/engine.py", "_check"),
                        "storing, one transaction a batch (ingest_batch.record)": ("ingest_batch.py", "record"),
                        "of which sealing the audit events (audit.log.seal)": ("audit/log.py", "seal")})
        spent = time.perf_counter() - started
        print(f"  {statements[0] / len(parsed):.2f} SQL statements per post ({len(batches)} commits); "
              f"{spent / len(parsed) * 1000:.1f} ms per post under the profiler")
        engine.db.dispose()


def profile_api(posts: list[dict[str, object]]) -> None:
    """What one POST /v1/check request does, step by step, in this thread (a server runs routes in
    worker threads, where a profiler of the main thread sees nothing): find the key, validate the
    post, decide, serialize the decision."""
    from leakwarden.engine import Engine
    from leakwarden.model import Post
    from leakwarden.service.auth import authenticate, create_key

    with fresh_database() as url:
        engine = Engine(url)
        key = create_key(engine.db, "submitter")[1]
        steps = {"authenticate (a database query)": 0.0, "validate the post": 0.0, "Engine.check": 0.0,
                 "serialize the decision": 0.0}

        def one(body: dict[str, object]) -> None:
            t0 = time.perf_counter()
            authenticate(engine.db, key)
            t1 = time.perf_counter()
            post = Post.model_validate(body)
            t2 = time.perf_counter()
            decision = engine.check(post)
            t3 = time.perf_counter()
            decision.model_dump_json()
            t4 = time.perf_counter()
            for name, spent in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                steps[name] += spent

        def every() -> None:
            for body in posts:
                one(body)

        profile(f"one /v1/check's work in process, {len(posts)} requests", every)
        total = sum(steps.values())
        print("  per request: " + "; ".join(f"{name} {spent / len(posts) * 1000:.2f} ms ({spent / total:.0%})"
                                             for name, spent in steps.items()))
        engine.db.dispose()


def stack_costs(posts: list[dict[str, object]], server_ms: float, reps: int = 5, n: int = 200) -> None:
    """Where the API's CPU a request goes, from the app driven in this process through ASGI (no
    server, no sockets), min of ``reps`` interleaved runs: ``/health`` (middleware, routing, one
    thread hop), ``/v1/check`` whole, and ``Engine.check`` alone on the same posts; what the load run
    measured beyond ``/v1/check`` in process is the server's (HTTP parsing, sockets, event loop)."""
    from leakwarden.engine import Engine
    from leakwarden.model import Post
    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key

    with fresh_database() as url:
        engine = Engine(url)
        key = create_key(engine.db, "submitter")[1]
        app = create_app(engine)
        bodies = [json.dumps(p).encode() for p in posts]
        parsed = [Post.model_validate(p) for p in posts]

        async def one(method: str, path: str, body: bytes) -> None:
            headers = [(b"host", b"bench"), (b"content-type", b"application/json"),
                       (b"authorization", f"Bearer {key}".encode()), (b"content-length", str(len(body)).encode())]
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                     "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                     "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {}}
            messages = [{"type": "http.request", "body": body, "more_body": False}]

            async def receive() -> dict[str, object]:
                if messages:
                    return messages.pop()
                await asyncio.sleep(3600)
                return {"type": "http.disconnect"}

            async def send(message: object) -> None:
                return None

            await app(scope, receive, send)

        async def cpu_ms(method: str, path: str) -> float:
            started = time.process_time()
            for i in range(n):
                await one(method, path, bodies[i % len(bodies)])
            return (time.process_time() - started) * 1000 / n

        def check_ms() -> float:
            started = time.process_time()
            for i in range(n):
                engine.check(parsed[i % len(parsed)])
            return (time.process_time() - started) * 1000 / n

        async def measure() -> dict[str, float]:
            best = {"health": float("inf"), "check": float("inf"), "engine": float("inf")}
            await cpu_ms("POST", "/v1/check")  # warm
            for _ in range(reps):
                best["health"] = min(best["health"], await cpu_ms("GET", "/health"))
                best["check"] = min(best["check"], await cpu_ms("POST", "/v1/check"))
                best["engine"] = min(best["engine"], check_ms())
            return best

        best = asyncio.run(measure())
        engine.db.dispose()
    print(f"  where the API's CPU a request goes (the app in process through ASGI, CPU, min of {reps} runs): "
          f"POST /v1/check {best['check']:.2f} ms = Engine.check {best['engine']:.2f} ms + the app around it "
          f"{best['check'] - best['engine']:.2f} ms (GET /health, i.e. middleware, routing and one thread hop: "
          f"{best['health']:.2f} ms); the server (HTTP parsing, sockets, event loop) and running "
          f"beside other work: {max(0.0, server_ms - best['check']):.2f} ms more under load")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="posts per worker run")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per HTTP route")
    parser.add_argument("--quick", action="store_true", help="300 posts, 3 s per route, a short trickle")
    parser.add_argument("--part", choices=("all", "workers", "http"), default="all", help="what to measure")
    parser.add_argument("--api-workers", default="2", help="uvicorn worker processes for the API, e.g. 1,2: each "
                                                           "is measured (default 2)")
    parser.add_argument("--generator", choices=("wrk", "python"), default=None,
                        help="the HTTP load generator (default: wrk when installed, else python)")
    args = parser.parse_args()
    n, seconds, trickle = (300, 3.0, 40) if args.quick else (args.posts, args.seconds, 200)
    keys = Path(tempfile.mkdtemp(prefix="lw-bench-keys-"))
    os.environ.setdefault("LEAKWARDEN_PII_HASH_KEY_FILE", str(keys / "pii.key"))
    os.environ.setdefault("LEAKWARDEN_REVEAL_KEY_FILE", str(keys / "reveal.key"))
    os.environ["LEAKWARDEN_FOLLOW_LINKS"] = "0"
    if not Path(os.environ["LEAKWARDEN_PII_HASH_KEY_FILE"]).exists():
        Path(os.environ["LEAKWARDEN_PII_HASH_KEY_FILE"]).write_bytes(os.urandom(48))
        os.chmod(os.environ["LEAKWARDEN_PII_HASH_KEY_FILE"], 0o600)

    if args.part in ("all", "workers"):
        workers(n, trickle)
    if args.part in ("all", "http"):
        generator = args.generator or ("wrk" if shutil.which("wrk") else "python")
        if generator == "python" and args.generator is None:
            print("note: wrk is not installed (`make wrk`): the HTTP load comes from the Python generator, which "
                  "takes ~2.5-3.5 ms CPU a request from the cores it shares with the API")
        for processes in (int(w) for w in args.api_workers.split(",")):
            http(n, seconds, processes, generator)
    return 0


def workers(n: int, trickle: int) -> None:
    print(f"publish → stored on PostgreSQL through {NATS}: {n} text-only posts, workers --concurrency 4")
    first = workers_rate(1, text_posts(n, "a"))
    second = workers_rate(2, text_posts(n, "b"))
    one, two = first.posts_s, second.posts_s
    ratio = two / one
    print(f"  1 worker : {one:7.1f} posts/s   (reference)  {first.cpu()}")
    print(f"  2 workers: {two:7.1f} posts/s   goal >= 400: {'met' if two >= 400 else 'NOT met'}  {second.cpu()}")
    print(f"  ratio    : {ratio:7.2f}x          goal >= 1.6x: {'met' if ratio >= 1.6 else 'NOT met'}")
    lat = latencies(text_posts(trickle, "l"), rate=max(2.0, min(50.0, one / 2)))
    print(f"  publish → stored latency ({trickle} posts, one at a time, 1 worker): "
          f"p50 {statistics.median(lat):.0f} ms, p99 {percentile(lat, 0.99):.0f} ms")

    if two < 400 or ratio < 1.6:
        print("\nwhat bounds the workers:")
        profile_ingest(text_posts(max(n // 2, 300), "x"))


def http(n: int, seconds: float, workers: int = 2, generator: str = "wrk") -> None:
    print(f"\nHTTP API, `leakwarden serve --workers {workers}` on PostgreSQL, {CLIENTS} concurrent clients "
          f"({generator}), {seconds:g} s each")
    reference, check_ms = in_process_check(text_posts(min(n, 500), "r"))
    figures = http_figures(seconds, text_posts(500, "c"), workers, generator)
    check_rate, check_p99 = figures["/v1/check"].rate, figures["/v1/check"].p99
    for path, f in figures.items():
        print(f"  POST {path:<10} {f.rate:7.1f} req/s  p99 {f.p99:6.1f} ms  errors {f.errors}")
        print(f"       {f.cpu()}")
    print(f"  in-process Engine.check: {reference:7.1f} posts/s, {check_ms:.2f} ms CPU a post (one thread; "
          "reference)")
    f = figures["/v1/check"]
    print(f"  /v1/check vs in-process check: {check_rate / reference:.2f}x the rate; the API's CPU a request "
          f"{f.server_ms / check_ms:.2f}x check's")
    check_ok = check_rate >= 1000 and check_p99 <= 50
    print(f"  goal /v1/check >= 1,000 req/s, p99 <= 50 ms: {'met' if check_ok else 'NOT met'}")

    if not check_ok:
        cores = os.cpu_count() or 1
        print("\nwhat bounds /v1/check:")
        print(f"  the API's CPU per request ({f.server_ms:.2f} ms) beside in-process check's "
              f"({check_ms:.2f} ms): the HTTP stack costs {max(0.0, f.server_ms - check_ms):.2f} ms "
              f"a request; with the load generator's {f.client_ms:.2f} ms, {cores} cores serve at most "
              f"{cores * 1000 / (f.server_ms + f.client_ms):.0f} req/s (the machine was {f.busy:.0%} busy)")
        stack_costs(text_posts(200, "y"), f.server_ms)
        profile_api(text_posts(200, "y"))


if __name__ == "__main__":
    raise SystemExit(main())
