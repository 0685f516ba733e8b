"""The even-handedness report's build time, beside references measured in the same run.

    .venv/bin/python bench/bench_consistency.py [--posts 2000] [--requests 30]

A SQLite database of ``--posts`` posts by 300 accounts, a third of them linking to 12 blocked
domains (alternately under the strict and the share-block policy, so like cases are decided
differently), 1 in 20 of those overturned by a moderator, and ``--requests`` outside requests about
accounts. Then, best of 3: ``consistency.build`` against the transparency report (``report.build``)
and against checking the whole audit chain (``audit verify``) over the same database.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from leakwarden.audit import consistency, report
from leakwarden.audit import log as audit_log
from leakwarden.audit import requests as outside
from leakwarden.enforcement import review
from leakwarden.engine import Engine
from leakwarden.model import Post
from leakwarden.service.auth import Principal


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def build(folder: Path, n_posts: int, n_requests: int, rng: random.Random) -> Engine:
    strict = Engine(f"sqlite:///{folder}/bench.db", policy="strict", detectors=[])
    lenient = strict.with_policy("share-block")
    domains = [f"leak{i}.example" for i in range(12)]
    for domain in domains:
        strict.rules.add("domain", domain, "block", "mirror of the dossier", "mod:bench")
    for i in range(n_posts):
        author = f"acct{rng.randrange(300)}"
        if i % 3 == 0:
            text = f"see https://{rng.choice(domains)}/files/{rng.randrange(50)}"
        else:
            text = f"ordinary post {i} https://news.example/{i}"
        (strict if i % 2 else lenient).ingest(Post(id=f"p{i}", author=author, text=text))
    moderator = Principal("mod:bench", "moderator")
    for i in range(0, n_posts, 60):  # 1 in 20 of the posts linking a blocked domain: reported, overturned
        with strict.db.session() as s:
            case = review.file_report(s, f"p{i}", "not a leak", "user:bench")
            review.overturn(s, case.id, moderator, "bench overturn")
    for i in range(n_requests):
        outside.record(strict.db, outside.OutsideRequest(
            kind="government", requester=f"office {i}", asked="remove the posts and suspend the account",
            concerns=outside.Concerns(accounts=[f"acct{rng.randrange(300)}"])), "mod:bench")
    return strict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("LEAKWARDEN_FOLLOW_LINKS", "0")
    folder = Path(tempfile.mkdtemp())
    os.environ.setdefault("LEAKWARDEN_PII_HASH_KEY_FILE", str(folder / "pii.key"))
    os.environ.setdefault("LEAKWARDEN_REVEAL_KEY_FILE", str(folder / "reveal.key"))
    started = time.perf_counter()
    engine = build(folder, args.posts, args.requests, random.Random(7))
    print(f"{args.posts} posts, {args.requests} outside requests stored in {time.perf_counter() - started:.1f} s")
    start, end = report.period(None, None)
    built = consistency.build(engine.db, start, end)
    events = sum(len(v) for v in built.timelines.values())
    print(f"report: {len(built.like_cases)} groups of like cases ({len(built.uneven)} uneven), "
          f"{len(built.departures)} departures, {len(built.requests)} requests, {len(built.timelines)} accounts, "
          f"{events} timeline events")
    ours = best_of(3, lambda: consistency.build(engine.db, start, end))
    transparency = best_of(3, lambda: report.build(engine.db, start, end))

    def verify() -> None:
        with engine.db.session() as s:
            assert audit_log.verify(s).ok

    chain = best_of(3, verify)
    print(f"consistency.build          {ours * 1000:9.1f} ms")
    print(f"transparency report.build  {transparency * 1000:9.1f} ms   ratio consistency / transparency: "
          f"{ours / transparency:.1f}")
    print(f"audit verify (whole chain) {chain * 1000:9.1f} ms   ratio consistency / verify: {ours / chain:.2f}")


if __name__ == "__main__":
    main()
