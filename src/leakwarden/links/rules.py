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

Lookups are dictionary probes: one for exact rules, one per host suffix for domain rules, and for
prefix rules one per distinct prefix length present on the URL's host. Cost grows with the URL's
length, never with the number of rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

from leakwarden.errors import InvalidInput, InvalidURL
from leakwarden.links.url import (
    MAX_URL_CHARS,
    _canonicalize_text,
    _fast_canonical,
    canonicalize,
    is_ip_host,
)

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
    """A rule that matched, with how specifically it matched.

    A rule always matches with the same specificity, so the index builds one RuleMatch per rule
    when the rule is added and hands it out on every match (no allocation per URL)."""

    rule: UrlRule
    specificity: Specificity

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


# A bucket holds the matches of the rules that share one key: one, or a tuple when several do.
_Bucket = RuleMatch | tuple[RuleMatch, ...]


def _bucket_add(table: dict[str, _Bucket], key: str, entry: RuleMatch) -> None:
    current = table.get(key)
    if current is None:
        table[key] = entry
    elif isinstance(current, RuleMatch):
        table[key] = (current, entry)
    else:
        table[key] = (*current, entry)


def _bucket_remove(table: dict[str, _Bucket], key: str, rule_id: int) -> None:
    current = table.get(key)
    if current is None:
        return
    if isinstance(current, RuleMatch):
        if current.rule.id == rule_id:
            del table[key]
        return
    rest = tuple(m for m in current if m.rule.id != rule_id)
    if not rest:
        del table[key]
    else:
        table[key] = rest[0] if len(rest) == 1 else rest


def _url_key(canonical: str) -> str:
    """The scheme-folded key: ``https://x/...`` is looked up as ``http://x/...``."""
    if canonical.startswith("https://"):
        return "http://" + canonical[8:]
    return canonical


def _specificity(rule: UrlRule) -> Specificity:
    if rule.kind == "domain":
        return Specificity(1, 4 if is_ip_host(rule.pattern) else rule.pattern.count(".") + 1)
    return Specificity(_KIND_RANK[rule.kind], len(_url_key(rule.pattern)))


_IP_LAST_CHARS = frozenset("0123456789]")


class RuleIndex:
    """URL rules in memory, matched in O(length of the URL) dictionary probes.

    ``add`` is an upsert by rule id (re-adding an id replaces the old rule, so reloads do not
    grow memory). Readers need no lock while one writer adds or removes (each step is a single
    dict operation under the GIL; during an upsert a reader may briefly see neither version);
    several writers must share a lock.
    """

    def __init__(self, rules: Iterable[UrlRule] = ()) -> None:
        self._by_id: dict[int, RuleMatch] = {}
        self._exact: dict[str, _Bucket] = {}
        self._prefix: dict[str, _Bucket] = {}
        # host -> the distinct lengths of its prefix keys, sorted, so a URL probes only the
        # lengths that exist instead of every path boundary; (host, length) -> how many more
        # distinct keys share that length (kept only when some do).
        self._prefix_lengths: dict[str, tuple[int, ...]] = {}
        self._prefix_shared: dict[tuple[str, int], int] = {}
        self._domain: dict[str, _Bucket] = {}  # host names: matched with every host suffix
        self._domain_ip: dict[str, _Bucket] = {}  # IP addresses: matched exactly
        for rule in rules:
            self.add(rule)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[UrlRule]:
        return iter([m.rule for m in list(self._by_id.values())])

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def get(self, rule_id: int) -> UrlRule | None:
        entry = self._by_id.get(rule_id)
        return None if entry is None else entry.rule

    def add(self, rule: UrlRule) -> UrlRule:
        """Index ``rule`` (its pattern normalized if needed) and return the rule as stored."""
        if not isinstance(rule, UrlRule):
            raise InvalidInput(f"expected a UrlRule, not {type(rule).__name__}")
        pattern = normalize_rule_pattern(rule.kind, rule.pattern)
        if pattern != rule.pattern:
            rule = dataclasses.replace(rule, pattern=pattern)
        if rule.id in self._by_id:
            self.remove(rule.id)
        entry = RuleMatch(rule, _specificity(rule))
        if rule.kind == "domain":
            _bucket_add(self._domain_ip if is_ip_host(pattern) else self._domain, pattern, entry)
        elif rule.kind == "exact":
            _bucket_add(self._exact, _url_key(pattern), entry)
        else:
            key = _url_key(pattern)
            host = key[7 : key.index("/", 7)]
            if key not in self._prefix:  # a new key: record its length on the host
                lengths = self._prefix_lengths.get(host, ())
                if len(key) in lengths:
                    shared = (host, len(key))
                    self._prefix_shared[shared] = self._prefix_shared.get(shared, 0) + 1
                else:
                    self._prefix_lengths[host] = tuple(sorted((*lengths, len(key))))
            _bucket_add(self._prefix, key, entry)
        self._by_id[rule.id] = entry
        return rule

    def remove(self, rule_id: int) -> UrlRule | None:
        """Drop the rule with ``rule_id``; returns it, or None if there was none."""
        entry = self._by_id.pop(rule_id, None)
        if entry is None:
            return None
        rule = entry.rule
        if rule.kind == "domain":
            table = self._domain_ip if is_ip_host(rule.pattern) else self._domain
            _bucket_remove(table, rule.pattern, rule_id)
        elif rule.kind == "exact":
            _bucket_remove(self._exact, _url_key(rule.pattern), rule_id)
        else:
            key = _url_key(rule.pattern)
            _bucket_remove(self._prefix, key, rule_id)
            host = key[7 : key.index("/", 7)]
            shared = (host, len(key))
            if key in self._prefix:
                pass  # other rules share the key
            elif self._prefix_shared.get(shared, 0) > 0:  # other keys share the length
                self._prefix_shared[shared] -= 1
                if not self._prefix_shared[shared]:
                    del self._prefix_shared[shared]
            else:
                lengths = tuple(n for n in self._prefix_lengths.get(host, ()) if n != len(key))
                if lengths:
                    self._prefix_lengths[host] = lengths
                else:
                    self._prefix_lengths.pop(host, None)
        return rule

    def match(self, url: str) -> list[RuleMatch]:
        """Every rule matching ``url`` (canonicalized first), winner first.

        Raises :class:`InvalidURL` when ``url`` cannot be canonicalized."""
        canonical = _fast_canonical(url) if isinstance(url, str) and len(url) <= MAX_URL_CHARS else None
        if canonical is None:
            canonical = canonicalize(url) if not isinstance(url, str) else _canonicalize_text(url)
        return self.match_canonical(canonical)

    def verdict(self, url: str) -> RuleMatch | None:
        """The winning rule for ``url`` (see :func:`decide`), or None."""
        return decide(self.match(url))

    def match_canonical(self, canonical: str) -> list[RuleMatch]:
        """Like :meth:`match` for a URL already in canonical form (e.g. ``Hop.canonical``)."""
        if canonical.startswith("https://"):
            key = "http://" + canonical[8:]
        elif canonical.startswith("http://"):
            key = canonical
        else:
            raise InvalidURL(f"not a canonical http(s) URL: {canonical[:200]!r}")
        host_end = key.find("/", 7)
        if host_end < 0:
            raise InvalidURL(f"not a canonical http(s) URL (no path): {canonical[:200]!r}")
        found: list[RuleMatch] = []

        bucket = self._exact.get(key)
        if bucket is not None:
            if isinstance(bucket, RuleMatch):
                found.append(bucket)
            else:
                found.extend(bucket)

        host = key[7:host_end]
        lengths = self._prefix_lengths.get(host)
        if lengths is not None:
            for bucket in self._prefix_buckets(key, host_end, lengths):
                if isinstance(bucket, RuleMatch):
                    found.append(bucket)
                else:
                    found.extend(bucket)

        if host[-1] in _IP_LAST_CHARS and is_ip_host(host):
            bucket = self._domain_ip.get(host)
            if bucket is not None:
                if isinstance(bucket, RuleMatch):
                    found.append(bucket)
                else:
                    found.extend(bucket)
        elif self._domain:
            domain = self._domain
            while True:
                bucket = domain.get(host)
                if bucket is not None:
                    if isinstance(bucket, RuleMatch):
                        found.append(bucket)
                    else:
                        found.extend(bucket)
                dot = host.find(".")
                if dot < 0:
                    break
                host = host[dot + 1 :]

        if len(found) > 1:
            found.sort(key=_precedence, reverse=True)
        return found

    def _prefix_buckets(self, key: str, host_end: int, lengths: tuple[int, ...]) -> list[_Bucket]:
        """The prefix buckets matching ``key``: for each prefix length on the host, the key's
        prefix of that length, if it ends at a boundary (see the module docstring)."""
        out: list[_Bucket] = []
        size = len(key)
        q = key.find("?", host_end)
        for n in lengths:
            if n > size:
                break
            if n < size:
                last, after = key[n - 1], key[n]
                if q < 0 or n <= q:  # the prefix ends in the path
                    if last != "/" and after != "/" and after != "?":
                        continue
                elif not (n == q + 1 or after == "&"):  # the prefix ends in the query
                    continue
            bucket = self._prefix.get(key[:n])
            if bucket is not None:
                out.append(bucket)
        return out


def _precedence(match: RuleMatch) -> tuple[Specificity, int, int]:
    return match.precedence
