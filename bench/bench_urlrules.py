"""Throughput of URL-rule matching: canonicalize + match against a large RuleIndex.

    .venv/bin/python bench/bench_urlrules.py [--rules 1000000] [--urls 200000] [--seed 7] [--runs 3]

Builds ``--rules`` rules (exact / prefix / domain, generated with a fixed seed), then checks
``--urls`` URLs on one core, in two workloads:

- distinct: hits, variants that need real canonicalization, subdomains and misses, nearly all
  different (the goal is stated for this one, without a cache);
- repeats: the same URLs drawn with Zipf popularity (s=1), as viral links repeat.

Each is timed plainly and with a canonical-form LRU cache (``canonical_cache``), which pays only
where URLs repeat. Rates are per second of process CPU time (fair on a shared, loaded machine)
and of wall-clock time, medians of ``--runs`` passes. Each figure is printed beside a reference
measured in the same run: a naive ``dict.get`` of the raw URL string against the raw rule
patterns. The ratio is the cost of correctness; the naive lookup misses every variant (the
"matched" counts show how many). For the distinct workload, canonicalization is also timed per
path (fast, middle, and the full path on the middle path's URLs).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from leakwarden.links.rules import RuleIndex, UrlRule
from leakwarden.links.url import (
    _canonicalize_text,
    _fast_canonical,
    _middle_canonical,
    canonical_cache,
    canonicalize,
)

GOAL_URLS_PER_S = 300_000
CACHE_SIZE = 65_536

WORDS = [
    "news", "leak", "dossier", "files", "mirror", "paste", "drop", "share", "cloud", "docs", "data",
    "press", "post", "daily", "report", "campaign", "vote", "city", "state", "media", "forum", "board",
    "archive", "store", "cdn", "static", "img", "wire", "times", "herald", "tribune", "journal",
    "gazette", "review", "letter", "brief", "memo", "notes", "papers", "record", "ledger"
]
TLDS = ["com", "net", "org", "example", "test", "io", "info", "co", "ru", "de"]


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: peak RSS is the best we have
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_host(rng: random.Random, n: int) -> str:
    return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}{n}.{rng.choice(TLDS)}"


def make_rules(count: int, rng: random.Random) -> tuple[list[UrlRule], list[str], list[str], list[str]]:
    """Rules plus, per kind, the hosts/URLs they cover (to draw matching URLs from)."""
    rules: list[UrlRule] = []
    exact_urls: list[str] = []
    prefixes: list[str] = []
    domains: list[str] = []
    actions = ("block", "block", "warn", "allow")
    for i in range(count):
        host = make_host(rng, i)
        roll = rng.random()
        if roll < 0.5:
            kind = "exact"
            pattern = f"https://{host}/{rng.choice(WORDS)}/{rng.choice(WORDS)}-{i}.pdf"
            if rng.random() < 0.2:
                pattern += f"?id={i}"
            exact_urls.append(pattern)
        elif roll < 0.75:
            kind = "prefix"
            pattern = f"http://{host}/{rng.choice(WORDS)}/"
            prefixes.append(pattern)
        else:
            kind = "domain"
            pattern = host
            domains.append(host)
        rules.append(UrlRule(i, kind, pattern, rng.choice(actions), "bench", "bench"))  # type: ignore[arg-type]
    return rules, exact_urls, prefixes, domains


def variant(url: str, rng: random.Random) -> str:
    """A spelling of ``url`` that only canonicalization brings back."""
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    pick = rng.randrange(6)
    if pick == 0:
        return f"{scheme}://{host.upper()}/{path}"
    if pick == 1:
        return f"{url}#page=2"
    if pick == 2:
        return f"{scheme}://{host}:{443 if scheme == 'https' else 80}/{path}"
    if pick == 3:
        return f"{scheme}://{host}./{path.replace('/', '/./', 1)}"
    if pick == 4:
        return f"{scheme}://{host}/{path.replace('e', '%65', 1)}"
    return f"HTTP://{host}//{path}"


def make_urls(count: int, rng: random.Random, exact: list[str], prefixes: list[str],
              domains: list[str], miss_offset: int) -> list[str]:
    urls: list[str] = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.25 and exact:
            urls.append(rng.choice(exact))
        elif roll < 0.40 and exact:
            urls.append(variant(rng.choice(exact), rng))
        elif roll < 0.55 and prefixes:
            urls.append(f"{rng.choice(prefixes)}{rng.choice(WORDS)}/{i}.html?utm_source=x")
        elif roll < 0.70 and domains:
            urls.append(f"https://www.{rng.choice(domains)}/{rng.choice(WORDS)}/{i}")
        else:
            host = make_host(rng, miss_offset + i)
            urls.append(f"https://{host}/{rng.choice(WORDS)}/{rng.choice(WORDS)}/{i}?ref=feed")
    return urls


def zipf_sample(urls: list[str], count: int, rng: random.Random, s: float = 1.0) -> list[str]:
    """``count`` draws from ``urls`` where the k-th most popular URL (in a random order) is drawn
    with weight 1/k**s: viral links repeat, most links are rare."""
    ranked = urls[:]
    rng.shuffle(ranked)
    weights = [1.0 / (k**s) for k in range(1, len(ranked) + 1)]
    return rng.choices(ranked, weights=weights, k=count)


class Rate(NamedTuple):
    cpu: float  # URLs per second of process CPU time (fair under load from other processes)
    wall: float  # URLs per second of wall-clock time
    result: int


def measure(runs: int, n: int, fn: Callable[[], int]) -> Rate:
    """The median over ``runs`` passes of ``fn`` (which handles ``n`` URLs)."""
    cpu: list[float] = []
    wall: list[float] = []
    result = 0
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return Rate(n / statistics.median(cpu), n / statistics.median(wall), result)


def show(label: str, rate: Rate, extra: str = "") -> None:
    print(f"  {label:<34}{rate.cpu:>12,.0f} URLs/s CPU {rate.wall:>12,.0f} wall{extra}")


def run_workload(name: str, urls: list[str], index: RuleIndex, raw: dict[str, UrlRule], runs: int,
                 by_path: bool = False) -> Rate:
    n = len(urls)
    fast = sum(1 for u in urls if _fast_canonical(u) is not None)
    middle = sum(1 for u in urls if _fast_canonical(u) is None and _middle_canonical(u) is not None)
    full = n - fast - middle
    print(f"{name}: {n:,} URLs, {len(set(urls)):,} distinct; canonicalized by the fast path "
          f"{fast / n:.0%}, middle path {middle / n:.0%}, full path {full / n:.0%}")

    def ours() -> int:
        match = index.match
        return sum(1 for u in urls if match(u))

    def ours_cached() -> int:  # as a caller that sees repeats would: a fresh cache per pass
        cache, match = canonical_cache(CACHE_SIZE), index.match_canonical
        return sum(1 for u in urls if match(cache(u)))

    def canon_only() -> int:
        return sum(1 for u in urls if canonicalize(u))

    def naive() -> int:
        get = raw.get
        return sum(1 for u in urls if get(u) is not None)

    gc.collect()
    rate = measure(runs, n, ours)
    cache_rate = measure(runs, n, ours_cached)
    canon_rate = measure(runs, n, canon_only)
    naive_rate = measure(runs, n, naive)
    assert cache_rate.result == rate.result, "the cache changed a result"
    show("canonicalize + match:", rate, f"   matched {rate.result:,}")
    show(f"  with a {CACHE_SIZE:,}-URL cache:", cache_rate)
    show("canonicalize only:", canon_rate)
    show("naive raw dict lookup (reference):", naive_rate, f"   matched {naive_rate.result:,}")
    if by_path:
        fast_urls = [u for u in urls if _fast_canonical(u) is not None]
        middle_urls = [u for u in urls if _fast_canonical(u) is None and _middle_canonical(u) is not None]
        if fast_urls and middle_urls:
            fast_rate = measure(runs, len(fast_urls), lambda: sum(1 for u in fast_urls if canonicalize(u)))
            middle_rate = measure(runs, len(middle_urls), lambda: sum(1 for u in middle_urls if canonicalize(u)))
            full_rate = measure(runs, len(middle_urls), lambda: sum(1 for u in middle_urls if _canonicalize_text(u)))
            show("  canonicalize, fast-path URLs:", fast_rate)
            show("  canonicalize, middle-path URLs:", middle_rate)
            show("  the same by the full path:", full_rate,
                 f"   (middle/full = {middle_rate.cpu / full_rate.cpu:.1f}x)")
    print(f"  cost of correctness: naive/ours = {naive_rate.cpu / rate.cpu:.1f}x (CPU), "
          f"{naive_rate.cpu / cache_rate.cpu:.1f}x with the cache; "
          f"ours finds {rate.result - naive_rate.result:,} more matches")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=1_000_000)
    parser.add_argument("--urls", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="timed passes; the median is reported")
    args = parser.parse_args(argv)
    if args.rules < 1 or args.urls < 1 or args.runs < 1:
        parser.error("--rules, --urls and --runs must be positive")

    rng = random.Random(args.seed)
    rules, exact, prefixes, domains = make_rules(args.rules, rng)
    urls = make_urls(args.urls, rng, exact, prefixes, domains, miss_offset=args.rules)
    repeats = zipf_sample(urls, args.urls, rng)

    gc.collect()
    rss_before = rss_bytes()
    start = time.perf_counter()
    index = RuleIndex(rules)
    build_s = time.perf_counter() - start
    gc.collect()
    rss_delta = rss_bytes() - rss_before

    raw = {r.pattern: r for r in rules}  # the naive reference: raw strings, no canonicalization

    print(f"python {sys.version.split()[0]}, seed {args.seed}, median of {args.runs} passes, one core; "
          "rates per second of process CPU time (and of wall-clock time)")
    print(f"rules: {len(index):,} (exact {len(exact):,}, prefix {len(prefixes):,}, domain {len(domains):,})")
    print(f"build: {build_s:.2f} s ({len(index) / build_s:,.0f} rules/s), RSS +{rss_delta / 2**20:.0f} MiB "
          f"({rss_delta / len(index):.0f} B/rule)")
    rate = run_workload("distinct (hits, variants, subdomains, misses; the goal's workload)", urls, index, raw,
                        args.runs, by_path=True)
    run_workload("repeats (the same URLs drawn with Zipf popularity, s=1)", repeats, index, raw, args.runs)
    met = "met" if rate.cpu >= GOAL_URLS_PER_S else "NOT met"
    print(f"goal >= {GOAL_URLS_PER_S:,} URLs/s/core on distinct URLs, no cache: {met} "
          f"({rate.cpu / GOAL_URLS_PER_S:.2f}x of goal, CPU time; {rate.wall / GOAL_URLS_PER_S:.2f}x wall)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
