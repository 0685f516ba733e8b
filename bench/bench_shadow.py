"""What shadow policies and backtests cost, each figure beside a reference measured in the same run.

1. check() with no policy deployed, against the same engine with the deployment poll switched off
   (what check cost before shadow policies existed): the ratio should be about 1.
2. ingest() with a shadow policy deployed, against ingest() with none (a second database, the same
   posts): what deciding in shadow and storing it adds.
3. A backtest over the ingested posts (posts/s), against reading the same rows and validating their
   stored decisions, the floor any replay pays.

    .venv/bin/python bench/bench_shadow.py [--posts 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_check import make_posts
from sqlalchemy import select

from leakwarden.engine import Engine
from leakwarden.model import Decision, Post
from leakwarden.policy import backtest, shadow
from leakwarden.policy.load import load_policy, resolve
from leakwarden.store.db import Database
from leakwarden.store.tables import PostRow


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def engine_at(folder: Path, name: str) -> Engine:
    return Engine(Database(f"sqlite:///{folder}/{name}.db"), policy="strict", detectors=[])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    args = parser.parse_args()
    posts = [Post.model_validate(p) for p in make_posts(args.posts)]
    folder = Path(tempfile.mkdtemp())

    # 1. check, nothing deployed, against no poll at all
    polled = engine_at(folder, "check")
    unpolled = engine_at(folder, "check")
    unpolled.deployments.refresh = lambda force=False: None  # type: ignore[method-assign]
    for engine in (polled, unpolled):  # warm up
        for post in posts[:50]:
            engine.check(post)
    times: dict[int, list[float]] = {id(polled): [], id(unpolled): []}
    for round_ in range(8):  # alternating which goes first; the best round of each (the machine is shared)
        for engine in (polled, unpolled) if round_ % 2 else (unpolled, polled):
            times[id(engine)].append(timed(lambda: [engine.check(p) for p in posts]))  # noqa: B023
    with_poll, without = min(times[id(polled)]), min(times[id(unpolled)])
    print(f"check, nothing deployed: {args.posts / with_poll:,.0f} posts/s; without the poll: "
          f"{args.posts / without:,.0f} posts/s; ratio {with_poll / without:.2f}")

    # 2. ingest with a shadow policy deployed, against none
    plain, shadowed = engine_at(folder, "plain"), engine_at(folder, "shadowed")
    source = resolve("share-block").read_text(encoding="utf-8")
    shadow.deploy(shadowed.db, load_policy("share-block"), source, "toml", "bench")
    shadowed.deployments.refresh(force=True)
    t_plain = timed(lambda: [plain.ingest(p) for p in posts])
    t_shadow = timed(lambda: [shadowed.ingest(p) for p in posts])
    print(f"ingest with a shadow policy: {args.posts / t_shadow:,.0f} posts/s; with none: "
          f"{args.posts / t_plain:,.0f} posts/s; ratio {t_shadow / t_plain:.2f}")

    # 3. a backtest against reading and validating the stored decisions
    start, end = backtest.period("1d")
    candidate = load_policy("share-block")

    def floor() -> None:
        with plain.db.session() as s:
            for row in s.scalars(select(PostRow)):
                Decision.model_validate(row.decision)

    t_floor = timed(floor)
    t_backtest = timed(lambda: backtest.run(plain.db, candidate, start, end, redetect=lambda p: []))
    print(f"backtest: {args.posts / t_backtest:,.0f} posts/s; reading and validating the stored decisions: "
          f"{args.posts / t_floor:,.0f} posts/s; ratio {t_backtest / t_floor:.2f}")


if __name__ == "__main__":
    main()
