"""PostgreSQL ingest with 1 and with 2 concurrent writer processes: does a second writer add anything?

Before the audit chain was sealed after commit, every ingest transaction held the one ``audit_head``
row lock until it committed, so a second writer only queued (issue 11: 42 posts/s either way). Each
writer is a process with its own engine (URL rules only, so the database path dominates); a third of
the posts link to a blocked source and draw a strike, actions and a case. Printed: posts/s with 1
writer, with 2 writers, and their ratio (the reference is the 1-writer run of the same code, same
database server, same run); then one ingest beside a transaction held open for 1 s after writing an
audit event, against the same ingest alone (the old lock made it wait for that commit: ~1 s). Run it
on the code before the change to compare:

    .venv/bin/python bench/bench_audit.py [--posts 300] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
    PYTHONPATH=<old checkout>/src .venv/bin/python bench/bench_audit.py   # the same, before
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
import uuid

from sqlalchemy import create_engine, text

from leakwarden.engine import Engine
from leakwarden.model import Post


def _admin(pg: str):  # type: ignore[no-untyped-def]
    return create_engine(pg.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")


def fresh_database(pg: str) -> str:
    name = f"lw_bench_audit_{uuid.uuid4().hex[:10]}"
    admin = _admin(pg)
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = pg.rsplit("/", 1)[0] + f"/{name}"
    engine = Engine(url, detectors=[])
    engine.rules.add("domain", "leaks.example", "block", "a hack-and-leak source", "bench", source=True)
    engine.db.dispose()
    return url


def drop_database(pg: str, url: str) -> None:
    admin = _admin(pg)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def writer(url: str, prefix: str, n: int, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue
           ) -> None:  # type: ignore[type-arg]
    engine = Engine(url, detectors=[])
    posts = [Post(id=f"{prefix}{i}", author=f"{prefix}u{i % 40}",
                  text=f"post {i} " + (f"https://leaks.example/{i}" if i % 3 == 0 else "about the budget"))
             for i in range(n)]
    engine.ingest(Post(id=f"{prefix}warm", author="warm", text="warming up"))
    start.wait()
    began = time.perf_counter()
    for post in posts:
        engine.ingest(post, actor="bench")
    out.put(time.perf_counter() - began)
    engine.db.dispose()


def run(pg: str, writers: int, n: int) -> float:
    """Posts per second, all writers together, on a fresh database."""
    url = fresh_database(pg)
    try:
        start = multiprocessing.Barrier(writers)
        out: multiprocessing.Queue[float] = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=writer, args=(url, f"w{k}-", n, start, out)) for k in range(writers)]
        for proc in procs:
            proc.start()
        elapsed = max(out.get(timeout=600) for _ in procs)
        for proc in procs:
            proc.join()
        return writers * n / elapsed
    finally:
        drop_database(pg, url)


def held_open(pg: str, hold_s: float = 1.0) -> tuple[float, float]:
    """How long one ingest takes alone, and while another writer holds a transaction that wrote an
    audit event open for ``hold_s`` (the old chain lock made it wait for that commit)."""
    import threading

    from leakwarden.audit import log as audit_log

    url = fresh_database(pg)
    try:
        holder, other = Engine(url, detectors=[]), Engine(url, detectors=[])
        began = time.perf_counter()
        other.ingest(Post(id="alone", author="b", text="alone"))
        alone = time.perf_counter() - began
        took: list[float] = []

        def ingest() -> None:
            start = time.perf_counter()
            other.ingest(Post(id="beside", author="b", text="beside an open transaction"))
            took.append(time.perf_counter() - start)

        with holder.db.session() as s:
            audit_log.append(s, actor="bench", kind="note", subject_type="post", subject_id="held")
            s.flush()
            thread = threading.Thread(target=ingest)
            thread.start()
            time.sleep(hold_s)
        thread.join()
        holder.db.dispose()
        other.db.dispose()
        return alone, took[0]
    finally:
        drop_database(pg, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300, help="posts per writer")
    parser.add_argument("--pg", default=os.environ.get("LEAKWARDEN_TEST_PG",
                                                       "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    keys = tempfile.mkdtemp(prefix="bench-audit-")
    for name, file in (("LEAKWARDEN_PII_HASH_KEY_FILE", "pii.key"), ("LEAKWARDEN_REVEAL_KEY_FILE", "reveal.key"),
                       ("LEAKWARDEN_AUDIT_KEY_FILE", "audit.key")):
        os.environ.setdefault(name, os.path.join(keys, file))
    import leakwarden.audit.log as audit_log

    sealed = "sealed after commit" if hasattr(audit_log, "seal") else "one lock held through each transaction"
    print(f"audit chain: {sealed}; {args.posts} posts per writer, PostgreSQL, {os.cpu_count()} CPUs")
    one = run(args.pg, 1, args.posts)
    print(f"1 writer : {one:7.1f} posts/s")
    two = run(args.pg, 2, args.posts)
    print(f"2 writers: {two:7.1f} posts/s")
    print(f"ratio 2/1: {two / one:5.2f}x")
    alone, beside = held_open(args.pg)
    print(f"one ingest alone: {alone * 1000:6.0f} ms; beside a transaction held open 1 s after writing an "
          f"audit event: {beside * 1000:6.0f} ms (ratio {beside / alone:5.1f}x)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(a saturated machine bounds both figures by CPU, not by the log)")


if __name__ == "__main__":
    main()
