"""Throughput of URL-rule matching: canonicalize + match against a large RuleIndex.

    .venv/bin/python bench/bench_urlrules.py [--rules 1000000] [--urls 200000] [--seed 7]

Builds ``--rules`` rules (exact / prefix / domain, generated with a fixed seed), then checks
``--urls`` URLs (hits, variants that need real canonicalization, subdomains, misses) on one core.
Each figure is printed beside a reference measured in the same run: a naive ``dict.get`` of the
raw URL string against the raw rule patterns. The ratio is the cost of correctness; the naive
lookup misses every variant (the "matched" counts show how many).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable

from leakwarden.links.rules import RuleIndex, UrlRule
from leakwarden.links.url import _fast_canonical, canonicalize

GOAL_URLS_PER_S = 300_000

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


def best_of(runs: int, fn: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    result = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=1_000_000)
    parser.add_argument("--urls", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="timed passes; the best is reported")
    args = parser.parse_args(argv)
    if args.rules < 1 or args.urls < 1:
        parser.error("--rules and --urls must be positive")

    rng = random.Random(args.seed)
    rules, exact, prefixes, domains = make_rules(args.rules, rng)
    urls = make_urls(args.urls, rng, exact, prefixes, domains, miss_offset=args.rules)
    slow = sum(1 for u in urls if _fast_canonical(u) is None)

    gc.collect()
    rss_before = rss_bytes()
    start = time.perf_counter()
    index = RuleIndex(rules)
    build_s = time.perf_counter() - start
    gc.collect()
    rss_delta = rss_bytes() - rss_before

    raw = {r.pattern: r for r in rules}  # the naive reference: raw strings, no canonicalization

    def ours() -> int:
        match = index.match
        return sum(1 for u in urls if match(u))

    def canon_only() -> int:
        return sum(1 for u in urls if canonicalize(u))

    def naive() -> int:
        get = raw.get
        return sum(1 for u in urls if get(u) is not None)

    ours_s, ours_hits = best_of(args.runs, ours)
    canon_s, _ = best_of(args.runs, canon_only)
    naive_s, naive_hits = best_of(args.runs, naive)
    n = len(urls)
    ours_rate, naive_rate, canon_rate = n / ours_s, n / naive_s, n / canon_s

    print(f"python {sys.version.split()[0]}, seed {args.seed}, best of {args.runs} passes, one core")
    print(f"rules: {len(index):,} (exact {len(exact):,}, prefix {len(prefixes):,}, domain {len(domains):,})")
    print(f"build: {build_s:.2f} s ({len(index) / build_s:,.0f} rules/s), RSS +{rss_delta / 2**20:.0f} MiB "
          f"({rss_delta / len(index):.0f} B/rule)")
    print(f"urls: {n:,}, of which {slow:,} ({slow / n:.0%}) need the full canonicalization path")
    print(f"canonicalize + match:     {ours_rate:>12,.0f} URLs/s   matched {ours_hits:,}")
    print(f"canonicalize only:        {canon_rate:>12,.0f} URLs/s")
    print(f"naive raw dict lookup:    {naive_rate:>12,.0f} URLs/s   matched {naive_hits:,}  (reference)")
    print(f"cost of correctness: naive/ours = {naive_rate / ours_rate:.1f}x slower; "
          f"ours finds {ours_hits - naive_hits:,} more matches")
    met = "met" if ours_rate >= GOAL_URLS_PER_S else "NOT met"
    print(f"goal >= {GOAL_URLS_PER_S:,} URLs/s/core: {met} ({ours_rate / GOAL_URLS_PER_S:.2f}x of goal)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
