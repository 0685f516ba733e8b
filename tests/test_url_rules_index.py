"""URL rules and the rule index (leakwarden.links.rules)."""

from __future__ import annotations

import random

import pytest

from leakwarden.errors import InvalidInput, InvalidURL
from leakwarden.links.rules import (
    RuleIndex,
    RuleMatch,
    Specificity,
    UrlRule,
    decide,
    normalize_rule_pattern,
)
from leakwarden.links.url import canonicalize, is_ip_host


def rule(id: int, kind: str, value: str, action: str = "block", source: bool = False) -> UrlRule:
    return UrlRule.create(id, kind, value, action, f"reason {id}", "tester", source)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("exact", "HTTP://Newsletter.Example:80/p/Dossier.pdf#page=2", "http://newsletter.example/p/Dossier.pdf"),
        ("exact", "newsletter.example/p/x?utm=1", "http://newsletter.example/p/x?utm=1"),
        ("prefix", "https://leaks.example/files/", "https://leaks.example/files/"),
        ("prefix", "leaks.example/files/../files/a", "http://leaks.example/files/a"),
        ("prefix", "http://leaks.example", "http://leaks.example/"),
        ("domain", "Dossier-Leak.EXAMPLE.", "dossier-leak.example"),
        ("domain", "*.dossier-leak.example", "dossier-leak.example"),
        ("domain", ".dossier-leak.example", "dossier-leak.example"),
        ("domain", "https://www.dossier-leak.example/", "www.dossier-leak.example"),
        ("domain", "bücher.example", "xn--bcher-kva.example"),
        ("domain", "3279880203", "195.127.0.11"),
        ("domain", "  example.com  ", "example.com"),
    ],
)
def test_normalize_rule_pattern(kind: str, value: str, expected: str) -> None:
    assert normalize_rule_pattern(kind, value) == expected
    assert normalize_rule_pattern(kind, expected) == expected


@pytest.mark.parametrize(
    ("kind", "value", "error", "needle"),
    [
        ("regex", "a.com", InvalidInput, "unknown URL rule kind"),
        ("exact", "", InvalidInput, "non-empty"),
        ("exact", "   ", InvalidInput, "non-empty"),
        ("exact", "mailto:a@b.example", InvalidURL, "scheme"),
        ("prefix", "ftp://a.example/", InvalidURL, "scheme"),
        ("domain", "a.example/path", InvalidInput, "use a prefix rule"),
        ("domain", "a.example/?q", InvalidInput, "use a prefix rule"),
        ("domain", "http://", InvalidURL, "no host"),
    ],
)
def test_normalize_rule_pattern_rejects(kind: str, value: str, error: type[Exception], needle: str) -> None:
    with pytest.raises(error, match=needle):
        normalize_rule_pattern(kind, value)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"kind": "glob"}, "unknown URL rule kind"),
        ({"action": "delete"}, "unknown URL rule action"),
        ({"id": "7"}, "id must be an integer"),
        ({"id": True}, "id must be an integer"),
    ],
)
def test_url_rule_validates_its_fields(kwargs: dict[str, object], needle: str) -> None:
    fields: dict[str, object] = {
        "id": 1, "kind": "exact", "pattern": "http://a.example/", "action": "block",
        "reason": "r", "added_by": "t",
    }
    fields.update(kwargs)
    with pytest.raises(InvalidInput, match=needle):
        UrlRule(**fields)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- matching

SEMANTICS_RULES = [
    rule(1, "exact", "http://a.example/p/x.pdf"),
    rule(2, "prefix", "http://a.example/p"),
    rule(3, "prefix", "http://a.example/p/"),
    rule(4, "domain", "example.com"),
    rule(5, "prefix", "http://b.example/v?id=1"),
    rule(6, "exact", "http://a.example/q?"),
    rule(7, "prefix", "http://c.example/"),
    rule(8, "domain", "195.127.0.11"),
    rule(9, "prefix", "http://a.example/p?"),
]


@pytest.mark.parametrize(
    ("url", "expected_ids"),
    [
        ("http://a.example/p/x.pdf", {1, 2, 3}),
        ("http://a.example/p", {2}),
        ("http://a.example/p/", {2, 3}),
        ("http://a.example/p/y", {2, 3}),
        ("http://a.example/p?q", {2, 9}),
        ("http://a.example/p?", {2, 9}),
        ("http://a.example/pq", set()),
        ("http://a.example/", set()),
        ("http://www.a.example/p/x.pdf", set()),  # exact and prefix rules are host-exact
        ("http://a.example/p/x.pdf?dl=1", {2, 3}),  # the exact rule names no query
        ("http://example.com/", {4}),
        ("http://x.y.example.com/anything?at=all", {4}),
        ("http://notexample.com/", set()),
        ("http://example.com.evil.test/", set()),
        ("http://b.example/v?id=1", {5}),
        ("http://b.example/v?id=1&x=2", {5}),
        ("http://b.example/v?id=12", set()),
        ("http://b.example/v", set()),
        ("http://a.example/q?", {6}),
        ("http://a.example/q", set()),
        ("http://c.example/", {7}),
        ("http://c.example/deep/path/file?x=1", {7}),
        ("http://sub.c.example/", set()),
        ("http://195.127.0.11/anything", {8}),
        ("http://1.195.127.0.11/", set()),
        ("http://other.example/", set()),
    ],
)
def test_match_semantics(url: str, expected_ids: set[int]) -> None:
    index = RuleIndex(SEMANTICS_RULES)
    assert {m.rule.id for m in index.match(url)} == expected_ids


# Variants of blocked URLs that must not slip through. Every one must hit its rule.
EVASION_RULES = [
    rule(10, "exact", "http://newsletter.example/p/dossier.pdf"),
    rule(11, "prefix", "http://leaks.example/files/"),
    rule(12, "domain", "dossier-leak.example"),
    rule(13, "exact", "http://195.127.0.11/leak.pdf"),
    rule(14, "domain", "bücher.example"),
    rule(15, "domain", "xn--mgbh0fb.example"),
]


@pytest.mark.parametrize(
    ("variant", "rule_id"),
    [
        ("http://NEWSLETTER.Example/p/dossier.pdf", 10),
        ("http://newsletter.example./p/dossier.pdf", 10),
        ("http://newsletter.example.../p/dossier.pdf", 10),
        ("http://newsletter.example/p/%64%6F%73%73%69%65%72.pdf", 10),
        ("http://newsletter.example/p/%2564ossier.pdf", 10),
        ("http://newsletter.example:80/p/dossier.pdf", 10),
        ("https://newsletter.example:443/p/dossier.pdf", 10),
        ("https://newsletter.example/p/dossier.pdf", 10),
        ("http://newsletter.example/p/dossier.pdf#page=3", 10),
        ("http://newsletter.example/x/../p/./dossier.pdf", 10),
        ("http://newsletter.example//p//dossier.pdf", 10),
        ("http://reader@newsletter.example/p/dossier.pdf", 10),
        ("newsletter.example/p/dossier.pdf", 10),
        ("  http://newsletter.example/p/dossier.pdf\n", 10),
        ("http://newsletter.example/p/dossier\t.pdf", 10),
        ("http:\\\\newsletter.example\\p\\dossier.pdf", 10),
        ("HTTP://LEAKS.EXAMPLE/files/a/b.pdf", 11),
        ("http://leaks.example/files/%2e%2e/files/x", 11),
        ("http://leaks.example/other/../files/x", 11),
        ("https://leaks.example:443/files/x?dl=1#top", 11),
        ("http://dossier-leak.example/", 12),
        ("http://www.dossier-leak.example/copy.pdf", 12),
        ("http://a.b.c.d.e.f.g.h.dossier-leak.example/", 12),
        ("http://WWW.Dossier-Leak.Example./", 12),
        ("http://dossier-leak%2Eexample/", 12),
        ("http://3279880203/leak.pdf", 13),
        ("http://0xc37f000b/leak.pdf", 13),
        ("http://0303.0177.0.013/leak.pdf", 13),
        ("http://0xc3.0x7f.0.0xb/leak.pdf", 13),
        ("http://195.127.11/leak.pdf", 13),
        ("http://xn--bcher-kva.example/", 14),
        ("http://BÜCHER.example/", 14),
        ("http://www.bücher.example/", 14),
        ("http://مثال.example/", 15),
    ],
)
def test_variants_do_not_slip_through(variant: str, rule_id: int) -> None:
    index = RuleIndex(EVASION_RULES)
    winner = index.verdict(variant)
    assert winner is not None, variant
    assert winner.rule.id == rule_id


@pytest.mark.parametrize(
    "url",
    [
        "http://newsletter.example/p/dossier.pdf.html",
        "http://newsletter.example/p/dossier",
        "http://leaks.example/filesx/a",
        "http://leaks.example/files",
        "http://notdossier-leak.example/",
        "http://dossier-leak.example.org/",
        "http://195.127.0.12/leak.pdf",
        "http://bucher.example/",
    ],
)
def test_near_misses_do_not_match(url: str) -> None:
    assert RuleIndex(EVASION_RULES).match(url) == []


# ----------------------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    ("rules", "url", "winner"),
    [
        # Most specific wins, whatever the action.
        ([rule(1, "domain", "a.example", "block"), rule(2, "exact", "http://a.example/ok", "allow")],
         "http://a.example/ok", 2),
        ([rule(1, "domain", "a.example", "block"), rule(2, "prefix", "http://a.example/news/", "allow")],
         "http://a.example/news/story", 2),
        ([rule(1, "prefix", "http://a.example/news/", "allow"),
          rule(2, "exact", "http://a.example/news/leak", "block")],
         "http://a.example/news/leak", 2),
        ([rule(1, "prefix", "http://a.example/", "allow"),
          rule(2, "prefix", "http://a.example/leaks/", "warn")],
         "http://a.example/leaks/x", 2),
        ([rule(1, "prefix", "http://a.example/leaks/", "warn"),
          rule(2, "prefix", "http://a.example/", "block")],
         "http://a.example/leaks/x", 1),
        ([rule(1, "domain", "example", "block"), rule(2, "domain", "a.example", "allow")],
         "http://x.a.example/", 2),
        ([rule(1, "domain", "x.a.example", "warn"), rule(2, "domain", "a.example", "block")],
         "http://x.a.example/", 1),
        ([rule(1, "prefix", "http://a.example/", "allow"), rule(2, "domain", "a.example", "block")],
         "http://a.example/x", 1),
        # Equal specificity: block > warn > allow, then the lowest id.
        ([rule(1, "exact", "http://a.example/x", "allow"), rule(2, "exact", "http://a.example/x", "block")],
         "http://a.example/x", 2),
        ([rule(1, "exact", "http://a.example/x", "warn"), rule(2, "exact", "http://a.example/x", "allow")],
         "http://a.example/x", 1),
        ([rule(1, "exact", "http://a.example/x", "warn"), rule(2, "exact", "https://a.example/x", "block")],
         "http://a.example/x", 2),
        ([rule(1, "domain", "a.example", "allow"), rule(2, "domain", "A.example.", "warn")],
         "http://a.example/", 2),
        ([rule(3, "domain", "a.example", "block"), rule(2, "domain", "a.example", "block")],
         "http://a.example/", 2),
    ],
)
def test_precedence(rules: list[UrlRule], url: str, winner: int) -> None:
    index = RuleIndex(rules)
    matches = index.match(url)
    assert {m.rule.id for m in matches} == {r.id for r in rules}
    assert decide(matches) is not None
    assert decide(matches).rule.id == winner  # type: ignore[union-attr]
    assert matches[0].rule.id == winner  # match() lists the winner first
    assert decide(reversed(matches)).rule.id == winner  # type: ignore[union-attr]


def test_specificity_orders_kinds_before_lengths() -> None:
    ordered = [Specificity(3, 10), Specificity(2, 500), Specificity(2, 20), Specificity(1, 9)]
    assert sorted(ordered, reverse=True) == ordered


def test_decide_of_nothing_is_none() -> None:
    assert decide([]) is None
    assert RuleIndex().verdict("http://a.example/") is None


# ---------------------------------------------------------------------- index maintenance


def test_add_remove_and_len() -> None:
    index = RuleIndex()
    assert len(index) == 0
    stored = index.add(UrlRule(1, "prefix", "HTTP://A.example/p", "block", "r", "t"))
    assert stored.pattern == "http://a.example/p"  # normalized on the way in
    index.add(rule(2, "domain", "a.example"))
    index.add(rule(3, "exact", "http://a.example/p/x"))
    index.add(rule(4, "prefix", "http://a.example/p", "warn"))
    assert len(index) == 4
    assert 3 in index and index.get(3) is not None
    assert {m.rule.id for m in index.match("http://a.example/p/x")} == {1, 2, 3, 4}
    assert index.remove(3) is not None
    assert index.remove(3) is None
    assert index.remove(999) is None
    assert {m.rule.id for m in index.match("http://a.example/p/x")} == {1, 2, 4}
    index.remove(1)
    assert {m.rule.id for m in index.match("http://a.example/p/x")} == {2, 4}
    index.remove(4)
    index.remove(2)
    assert len(index) == 0
    assert index.match("http://a.example/p/x") == []
    _assert_empty(index)


def _assert_empty(index: RuleIndex) -> None:
    tables = [index._exact, index._prefix, index._prefix_lengths, index._prefix_shared, index._domain]
    assert not any(tables) and not index._domain_ip


def test_add_replaces_a_rule_with_the_same_id() -> None:
    index = RuleIndex([rule(1, "domain", "old.example")])
    index.add(rule(1, "domain", "new.example", "warn"))
    assert len(index) == 1
    assert index.match("http://old.example/") == []
    assert [m.rule.action for m in index.match("http://new.example/")] == ["warn"]


def test_rule_fields_travel_with_the_match() -> None:
    index = RuleIndex([rule(7, "exact", "https://leaks.example/dossier.pdf", "block", source=True)])
    (match,) = index.match("http://LEAKS.example/dossier.pdf#x")
    assert isinstance(match, RuleMatch)
    assert match.rule.source is True
    assert match.rule.reason == "reason 7" and match.rule.added_by == "tester"
    assert match.specificity == Specificity(3, len("http://leaks.example/dossier.pdf"))


@pytest.mark.parametrize("url", ["mailto:x@leaks.example", "ftp://leaks.example/", "/relative", "", "http://[::1"])
def test_match_rejects_invalid_urls(url: str) -> None:
    with pytest.raises(InvalidURL):
        RuleIndex([rule(1, "domain", "leaks.example")]).match(url)


@pytest.mark.parametrize("canonical", ["ftp://a.example/", "a.example/", "http://a.example"])
def test_match_canonical_rejects_non_canonical_input(canonical: str) -> None:
    with pytest.raises(InvalidURL):
        RuleIndex().match_canonical(canonical)


def test_add_rejects_non_rules() -> None:
    with pytest.raises(InvalidInput):
        RuleIndex().add("http://a.example/")  # type: ignore[arg-type]


# ------------------------------------------------- index == brute force over random rules


def _reference_match(rules: list[UrlRule], url: str) -> set[int]:
    """The documented semantics, checked rule by rule."""
    canonical = canonicalize(url)
    key = canonical.replace("https://", "http://", 1)
    host = key[7 : key.index("/", 7)]
    out: set[int] = set()
    for r in rules:
        pattern = r.pattern.replace("https://", "http://", 1)
        if r.kind == "exact" and key == pattern:
            out.add(r.id)
        elif r.kind == "prefix" and key.startswith(pattern):
            rest = key[len(pattern) :]
            if "?" in pattern:  # within the query: whole parameters only
                ok = pattern.index("?") == len(pattern) - 1 or rest == "" or rest[0] == "&"
            else:  # within the path: whole segments only
                ok = pattern.endswith("/") or rest == "" or rest[0] in "/?"
            if ok:
                out.add(r.id)
        elif r.kind == "domain" and (
            host == r.pattern or (not is_ip_host(r.pattern) and host.endswith("." + r.pattern))
        ):
            out.add(r.id)
    return out


def test_index_agrees_with_brute_force() -> None:
    rng = random.Random(5)
    hosts = ["a.example", "b.a.example", "c.b.a.example", "example", "x.test", "1.2.3.4"]
    segs = ["p", "q", "p.pdf", "x", ""]
    queries = ["", "?", "?id=1", "?id=1&b=2", "?id=12"]

    def random_url() -> str:
        path = "/".join(rng.choices(segs, k=rng.randint(0, 3)))
        return f"{rng.choice(['http', 'https'])}://{rng.choice(hosts)}/{path}{rng.choice(queries)}"

    rules = []
    for i in range(300):
        kind = rng.choice(["exact", "prefix", "domain"])
        value = rng.choice(hosts) if kind == "domain" else random_url()
        rules.append(rule(i, kind, value, rng.choice(["block", "warn", "allow"])))
    index = RuleIndex(rules)
    hits = 0
    for _ in range(1500):
        url = random_url()
        expected = _reference_match(rules, url)
        got = index.match(url)
        assert {m.rule.id for m in got} == expected, url
        hits += bool(expected)
        if got:
            best = max(got, key=lambda m: m.precedence)
            assert got[0] == best
    assert hits > 500  # the comparison covered many matches, not just empty results

    for r in rules[::2]:
        index.remove(r.id)
    kept = rules[1::2]
    assert len(index) == len(kept)
    for _ in range(500):
        url = random_url()
        assert {m.rule.id for m in index.match(url)} == _reference_match(kept, url), url
    assert index._prefix_shared  # prefixes of equal length on one host were exercised
    for r in kept:
        index.remove(r.id)
    _assert_empty(index)


# ------------------------------------------------- host filter and domain label range


def test_host_filter_grows_and_is_rebuilt_without_changing_results() -> None:
    rng = random.Random(11)
    hosts = [f"h{i}.example" for i in range(1500)]
    rules = []
    for i, host in enumerate(hosts):
        kind = ("exact", "prefix", "domain")[i % 3]
        value = host if kind == "domain" else f"{rng.choice(['http', 'https'])}://{host}/p/{i % 7}"
        rules.append(rule(i, kind, value))
    index = RuleIndex(rules)
    flt, _ = index._filter
    assert len(flt) >= 8 * len(hosts)  # grew with the hosts (started at 1024 slots)

    def random_url() -> str:
        host = rng.choice([*hosts, "other.example", "sub.h3.example"])
        return f"{rng.choice(['http', 'https'])}://{rng.choice(['', 'www.'])}{host}/p/{rng.randrange(8)}?x"

    urls = [random_url() for _ in range(600)]
    for url in urls:
        assert {m.rule.id for m in index.match(url)} == _reference_match(rules, url), url

    removed = rules[:1200]
    for r in removed:
        index.remove(r.id)
    assert index._filter_stale < 1200  # a rebuild dropped the stale flags on the way
    kept = rules[1200:]
    for url in urls:
        assert {m.rule.id for m in index.match(url)} == _reference_match(kept, url), url
    for r in kept:
        index.remove(r.id)
    _assert_empty(index)
    assert index.match("http://h1400.example/p/1") == []


@pytest.mark.parametrize(
    "url",
    ["http://a.example/p/x.pdf", "https://a.example/p/x.pdf", "https://A.example:443/p/./x.pdf#f",
     "http://x.y.example.com/q", "https://b.example/v?id=1&x=2", "http://195.127.0.11/a", "https://c.example/",
     "http://a.example/p?", "https://a.example/q?"],
)
def test_match_equals_match_canonical_on_both_schemes(url: str) -> None:
    index = RuleIndex(SEMANTICS_RULES)
    by_url = [m.rule.id for m in index.match(url)]
    assert by_url == [m.rule.id for m in index.match_canonical(canonicalize(url))]
    other = url.replace("https://", "http://", 1) if url.startswith("https") else url.replace("http://", "https://", 1)
    assert sorted(by_url) == sorted(m.rule.id for m in index.match(other))  # the scheme never matters


@pytest.mark.parametrize(
    ("patterns", "url", "expected"),
    [
        (["example", "b.example"], "http://a.b.example/", {0, 1}),
        (["example", "b.example"], "http://example/", {0}),
        (["c.d.example"], "http://a.b.c.d.example/", {0}),
        (["c.d.example"], "http://d.example/", set()),
        (["a.b.c.d.e.f.example"], "http://x.y.z.a.b.c.d.e.f.example/", {0}),
        (["example.com", "1.2.3.4"], "http://5.1.2.3.4/", set()),
        (["example", "b.example", "d.c.b.example"], "http://f.e.d.c.b.example/", {0, 1, 2}),
        (["example", "b.example", "d.c.b.example"], "http://c.b.example/", {0, 1}),
        (["b.example", "d.c.b.example"], "http://e.d.c.b.example./x", {0, 1}),
    ],
)
def test_domain_rules_of_any_label_count_match_every_suffix(patterns: list[str], url: str,
                                                            expected: set[int]) -> None:
    index = RuleIndex([rule(i, "domain", p) for i, p in enumerate(patterns)])
    assert {m.rule.id for m in index.match(url)} == expected


def test_domain_label_range_follows_adds_and_removals() -> None:
    index = RuleIndex([rule(1, "domain", "example"), rule(2, "domain", "a.b.example")])
    assert index._domain_labels == (1, 3)
    assert {m.rule.id for m in index.match("http://x.a.b.example/")} == {1, 2}
    index.remove(1)
    assert index._domain_labels == (3, 3)
    assert {m.rule.id for m in index.match("http://x.a.b.example/")} == {2}
    index.remove(2)
    assert not index._domain_label_counts
    assert index.match("http://x.a.b.example/") == []
