"""URL rules (exact URL, URL prefix, domain) and an in-memory index that matches them.

Every pattern and every URL is compared in Safe Browsing canonical form
(:func:`leakwarden.links.url.canonicalize`), so case, ports, trailing dots, ``%``-escapes, IP
spellings, ``..`` segments, fragments and IDN spellings cannot slip a URL past a rule.

Matching (``U`` is the canonical URL; ``http`` and ``https`` are the same resource, as in Safe
Browsing, whose expressions carry no scheme):

- ``exact``: ``U`` equals the canonical pattern (the query must match too, byte for byte).
- ``prefix``: the pattern's host equals ``U``'s host and ``U`` starts with the pattern at a
  boundary: the pattern ends with ``/`` or ``?``, or the character of ``U`` right after it is
  ``/``, ``?``, ``&`` or the end. So ``http://a.com/p`` matches ``http://a.com/p``,
  ``http://a.com/p/x`` and ``http://a.com/p?q`` but not ``http://a.com/pq``; ``http://a.com/p/``
  matches ``http://a.com/p/x`` but not ``http://a.com/p``; ``http://a.com/`` matches every URL of
  ``a.com`` (not of its subdomains: that is what domain rules are for); a pattern with a query
  (``http://a.com/v?id=1``) matches ``...?id=1`` and ``...?id=1&x=2`` but not ``...?id=12``.
- ``domain``: ``U``'s host is the pattern or ends with ``.`` + pattern (``example.com`` matches
  ``example.com`` and ``x.y.example.com``, not ``notexample.com``). Every host suffix is looked up,
  not only the last five labels, so piling up subdomains cannot evade a rule. An IP pattern
  matches only that IP.

Precedence (:func:`decide`): the most specific rule wins: exact > prefix (longer beats shorter)
> domain (more labels beats fewer). A strictly more specific ``allow`` therefore overrides a
broader ``block`` (an allowed article on a blocked site), but at equal specificity the safer
action wins: ``block`` > ``warn`` > ``allow``; then the lowest rule id.

Lookups are dictionary probes over the URL's candidate keys (its host suffixes and its path and
query boundaries), so cost grows with the URL's length, never with the number of rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

from leakwarden.errors import InvalidInput, InvalidURL
from leakwarden.links.url import canonicalize, is_ip_host

__all__ = [
    "RuleAction",
    "RuleIndex",
    "RuleKind",
    "RuleMatch",
    "Specificity",
    "UrlRule",
    "decide",
    "normalize_rule_pattern",
]

RuleKind = Literal["exact", "prefix", "domain"]
RuleAction = Literal["block", "warn", "allow"]
RULE_KINDS: tuple[str, ...] = get_args(RuleKind)
RULE_ACTIONS: tuple[str, ...] = get_args(RuleAction)

_KIND_RANK = {"domain": 1, "prefix": 2, "exact": 3}
_ACTION_RANK = {"allow": 0, "warn": 1, "block": 2}


@dataclass(frozen=True, slots=True)
class UrlRule:
    """One URL rule. ``pattern`` is canonical (see :func:`normalize_rule_pattern`);
    :meth:`RuleIndex.add` normalizes it if it is not. ``source`` is carried through untouched."""

    id: int
    kind: RuleKind
    pattern: str
    action: RuleAction
    reason: str
    added_by: str
    source: bool = False

    def __post_init__(self) -> None:
        if self.kind not in _KIND_RANK:
            raise InvalidInput(f"unknown URL rule kind {self.kind!r}: use one of {', '.join(RULE_KINDS)}")
        if self.action not in _ACTION_RANK:
            raise InvalidInput(
                f"unknown URL rule action {self.action!r}: use one of {', '.join(RULE_ACTIONS)}"
            )
        if isinstance(self.id, bool) or not isinstance(self.id, int):
            raise InvalidInput(f"URL rule id must be an integer, not {self.id!r}")

    @classmethod
    def create(
        cls,
        id: int,
        kind: RuleKind,
        value: str,
        action: RuleAction,
        reason: str,
        added_by: str,
        source: bool = False,
    ) -> UrlRule:
        """A rule whose pattern is ``value`` in canonical form."""
        return cls(id, kind, normalize_rule_pattern(kind, value), action, reason, added_by, source)


class Specificity(NamedTuple):
    """Orders matches: kind (domain 1 < prefix 2 < exact 3), then the pattern's length
    (characters of the scheme-less key for exact/prefix, labels for domain)."""

    kind_rank: int
    length: int


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule that matched the canonical URL ``url``."""

    rule: UrlRule
    specificity: Specificity
    url: str

    @property
    def precedence(self) -> tuple[Specificity, int, int]:
        """Larger wins: specificity, then block > warn > allow, then the lower rule id."""
        return (self.specificity, _ACTION_RANK[self.rule.action], -self.rule.id)


def decide(matches: Iterable[RuleMatch]) -> RuleMatch | None:
    """The winning match (see the module docstring), or None when nothing matched."""
    return max(matches, key=lambda m: m.precedence, default=None)


def normalize_rule_pattern(kind: str, value: str) -> str:
    """The canonical pattern for a rule of ``kind`` given as ``value``.

    - exact: the canonical URL (``HTTP://A.com:80/x#f`` -> ``http://a.com/x``);
    - prefix: the canonical URL prefix (``a.com/p`` -> ``http://a.com/p``);
    - domain: the canonical host; ``value`` may be a host (``Example.COM.``, ``*.example.com``,
      ``.example.com``, ``bücher.example``) or a URL with no path beyond ``/``.
    Raises :class:`InvalidInput` (or :class:`InvalidURL`) with a message for anything else.
    """
    if kind not in _KIND_RANK:
        raise InvalidInput(f"unknown URL rule kind {kind!r}: use one of {', '.join(RULE_KINDS)}")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"a {kind} rule needs a non-empty pattern")
    if kind != "domain":
        return canonicalize(value)
    host_text = value.strip()
    if host_text.startswith("*."):
        host_text = host_text[2:]
    canonical = canonicalize(host_text)
    path_start = canonical.index("/", canonical.index("://") + 3)
    if canonical[path_start:] != "/":
        raise InvalidInput(
            f"a domain rule takes a host name, not a URL with a path or query ({value[:200]!r}); "
            "use a prefix rule for part of a site"
        )
    return canonical[canonical.index("://") + 3 : path_start]


# A bucket holds the rules that share one key: a single rule, or a tuple when several do.
_Bucket = UrlRule | tuple[UrlRule, ...]


def _bucket_add(table: dict[str, _Bucket], key: str, rule: UrlRule) -> None:
    current = table.get(key)
    if current is None:
        table[key] = rule
    elif isinstance(current, UrlRule):
        table[key] = (current, rule)
    else:
        table[key] = (*current, rule)


def _bucket_remove(table: dict[str, _Bucket], key: str, rule_id: int) -> None:
    current = table.get(key)
    if current is None:
        return
    if isinstance(current, UrlRule):
        if current.id == rule_id:
            del table[key]
        return
    rest = tuple(r for r in current if r.id != rule_id)
    if not rest:
        del table[key]
    else:
        table[key] = rest[0] if len(rest) == 1 else rest


def _rules(bucket: _Bucket) -> tuple[UrlRule, ...]:
    return (bucket,) if isinstance(bucket, UrlRule) else bucket


def _url_key(canonical: str) -> str:
    """The scheme-folded key: ``https://x/...`` is looked up as ``http://x/...``."""
    if canonical.startswith("https://"):
        return "http://" + canonical[8:]
    return canonical


class RuleIndex:
    """URL rules in memory, matched in O(length of the URL) dictionary probes.

    ``add`` is an upsert by rule id (re-adding an id replaces the old rule, so reloads do not
    grow memory). Safe to read from several threads while one thread adds or removes.
    """

    def __init__(self, rules: Iterable[UrlRule] = ()) -> None:
        self._by_id: dict[int, UrlRule] = {}
        self._exact: dict[str, _Bucket] = {}
        self._prefix: dict[str, _Bucket] = {}
        self._prefix_hosts: dict[str, int] = {}  # "http://host" -> number of prefix rules on it
        self._domain: dict[str, _Bucket] = {}  # host names: matched with every host suffix
        self._domain_ip: dict[str, _Bucket] = {}  # IP addresses: matched exactly
        for rule in rules:
            self.add(rule)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[UrlRule]:
        return iter(list(self._by_id.values()))

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def get(self, rule_id: int) -> UrlRule | None:
        return self._by_id.get(rule_id)

    def add(self, rule: UrlRule) -> UrlRule:
        """Index ``rule`` (its pattern normalized if needed) and return the rule as stored."""
        if not isinstance(rule, UrlRule):
            raise InvalidInput(f"expected a UrlRule, not {type(rule).__name__}")
        pattern = normalize_rule_pattern(rule.kind, rule.pattern)
        if pattern != rule.pattern:
            rule = dataclasses.replace(rule, pattern=pattern)
        if rule.id in self._by_id:
            self.remove(rule.id)
        if rule.kind == "domain":
            _bucket_add(self._domain_ip if is_ip_host(pattern) else self._domain, pattern, rule)
        elif rule.kind == "exact":
            _bucket_add(self._exact, _url_key(pattern), rule)
        else:
            key = _url_key(pattern)
            _bucket_add(self._prefix, key, rule)
            host_key = key[: key.index("/", 7)]
            self._prefix_hosts[host_key] = self._prefix_hosts.get(host_key, 0) + 1
        self._by_id[rule.id] = rule
        return rule

    def remove(self, rule_id: int) -> UrlRule | None:
        """Drop the rule with ``rule_id``; returns it, or None if there was none."""
        rule = self._by_id.pop(rule_id, None)
        if rule is None:
            return None
        if rule.kind == "domain":
            table = self._domain_ip if is_ip_host(rule.pattern) else self._domain
            _bucket_remove(table, rule.pattern, rule_id)
        elif rule.kind == "exact":
            _bucket_remove(self._exact, _url_key(rule.pattern), rule_id)
        else:
            key = _url_key(rule.pattern)
            _bucket_remove(self._prefix, key, rule_id)
            host_key = key[: key.index("/", 7)]
            left = self._prefix_hosts.get(host_key, 0) - 1
            if left > 0:
                self._prefix_hosts[host_key] = left
            else:
                self._prefix_hosts.pop(host_key, None)
        return rule

    def match(self, url: str) -> list[RuleMatch]:
        """Every rule matching ``url`` (canonicalized first), winner first.

        Raises :class:`InvalidURL` when ``url`` cannot be canonicalized."""
        return self.match_canonical(canonicalize(url))

    def verdict(self, url: str) -> RuleMatch | None:
        """The winning rule for ``url`` (see :func:`decide`), or None."""
        return decide(self.match(url))

    def match_canonical(self, canonical: str) -> list[RuleMatch]:
        """Like :meth:`match` for a URL already in canonical form (e.g. ``Hop.canonical``)."""
        if canonical.startswith("http://"):
            key = canonical
        elif canonical.startswith("https://"):
            key = "http://" + canonical[8:]
        else:
            raise InvalidURL(f"not a canonical http(s) URL: {canonical[:200]!r}")
        host_end = key.find("/", 7)
        if host_end < 0:
            raise InvalidURL(f"not a canonical http(s) URL (no path): {canonical[:200]!r}")
        found: list[RuleMatch] = []

        bucket = self._exact.get(key)
        if bucket is not None:
            spec = Specificity(3, len(key))
            found.extend(RuleMatch(r, spec, canonical) for r in _rules(bucket))

        if self._prefix and key[:host_end] in self._prefix_hosts:
            prefix = self._prefix
            for cand in _prefix_candidates(key, host_end):
                bucket = prefix.get(cand)
                if bucket is not None:
                    spec = Specificity(2, len(cand))
                    found.extend(RuleMatch(r, spec, canonical) for r in _rules(bucket))

        domain = self._domain
        host = key[7:host_end]
        if is_ip_host(host):
            bucket = self._domain_ip.get(host)
            if bucket is not None:
                spec = Specificity(1, 4)
                found.extend(RuleMatch(r, spec, canonical) for r in _rules(bucket))
        elif domain:
            labels = host.count(".") + 1
            while True:
                bucket = domain.get(host)
                if bucket is not None:
                    spec = Specificity(1, labels)
                    found.extend(RuleMatch(r, spec, canonical) for r in _rules(bucket))
                dot = host.find(".")
                if dot < 0:
                    break
                host = host[dot + 1 :]
                labels -= 1

        if len(found) > 1:
            found.sort(key=lambda m: m.precedence, reverse=True)
        return found


def _prefix_candidates(key: str, host_end: int) -> list[str]:
    """The prefixes of ``key`` that end at a boundary (see the module docstring)."""
    q = key.find("?", host_end)
    path_end = len(key) if q < 0 else q
    out: list[str] = [key[: host_end + 1]]
    i = key.find("/", host_end + 1, path_end)
    while i >= 0:
        out.append(key[:i])
        out.append(key[: i + 1])
        i = key.find("/", i + 1, path_end)
    if key[path_end - 1] != "/":
        out.append(key[:path_end])
    if q >= 0:
        out.append(key[: q + 1])
        j = key.find("&", q + 1)
        while j >= 0:
            out.append(key[:j])
            j = key.find("&", j + 1)
        if len(key) > q + 1:
            out.append(key)
    return out
