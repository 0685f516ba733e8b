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
length, never with the number of rules. With many rules each probe is a few cache misses, so a
small filter on the host's hash first says which tables may hold rules on the host (most hosts
have none), and host suffixes are probed only for the label counts that domain rules have.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

from leakwarden.errors import InvalidInput, InvalidURL
from leakwarden.links.url import (
    _CANONICAL_URL,
    MAX_URL_CHARS,
    _canonicalize_rest,
    _fast_variant,
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
    """The scheme-folded key: ``http://x/...`` is looked up as ``https://x/...`` (the commoner
    scheme, so that most URLs are their own key)."""
    if canonical.startswith("http://"):
        return "https://" + canonical[7:]
    return canonical


def _key_host(key: str) -> str:
    """The host of a key (``https://host/...``)."""
    return key[8 : key.index("/", 8)]


def _specificity(rule: UrlRule) -> Specificity:
    if rule.kind == "domain":
        return Specificity(1, 4 if is_ip_host(rule.pattern) else rule.pattern.count(".") + 1)
    scheme_folded = len(rule.pattern) - rule.pattern.startswith("https://")  # as if http
    return Specificity(_KIND_RANK[rule.kind], scheme_folded)


_IP_LAST_CHARS = frozenset("0123456789]")

# Flags in the host filter (RuleIndex._filter): which tables may hold rules on a host.
_HOST_PREFIX = 1
_HOST_DOMAIN = 2
_HOST_EXACT = 4
_FILTER_MIN_SIZE = 1024
_NO_LABELS = 1 << 30  # the fewest labels of the domain rules when there are none
_FILTER_SLOTS_PER_HOST = 16  # about 6% of hosts without rules share a slot with one that has


class RuleIndex:
    """URL rules in memory, matched in O(length of the URL) dictionary probes.

    ``add`` is an upsert by rule id (re-adding an id replaces the old rule, so reloads do not
    grow memory). Readers need no lock while one writer adds or removes (each step is a single
    dict operation under the GIL; during an upsert a reader may briefly see neither version);
    several writers must share a lock.

    With a million rules the tables are far bigger than the CPU caches, so each probe costs a
    few memory reads. A small filter (one byte per slot, slot = hash of the host) says which
    tables may hold rules on a host; the host of a URL, and each host suffix, costs a probe
    only where its slot says so. Flags are only ever added to a slot; removing rules leaves
    stale flags (they cost a wasted probe, never a wrong answer) until the filter is rebuilt.
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
        # label count -> how many domain rules (not IPs) have it; the fewest and most labels,
        # so a URL's host suffixes outside that range are not looked up.
        self._domain_label_counts: dict[int, int] = {}
        self._domain_labels: tuple[int, int] = (_NO_LABELS, 0)
        # The host filter and its mask, swapped as one object; marks: flags set since the last
        # rebuild; stale: rules removed since then.
        self._filter: tuple[bytearray, int] = (bytearray(_FILTER_MIN_SIZE), _FILTER_MIN_SIZE - 1)
        self._filter_marks = 0
        self._filter_stale = 0
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
            if is_ip_host(pattern):
                _bucket_add(self._domain_ip, pattern, entry)
            else:
                _bucket_add(self._domain, pattern, entry)
                self._count_domain_labels(pattern, 1)
            host, flag = pattern, _HOST_DOMAIN
        elif rule.kind == "exact":
            key = _url_key(pattern)
            _bucket_add(self._exact, key, entry)
            host, flag = _key_host(key), _HOST_EXACT
        else:
            key = _url_key(pattern)
            host, flag = _key_host(key), _HOST_PREFIX
            if key not in self._prefix:  # a new key: record its length on the host
                lengths = self._prefix_lengths.get(host, ())
                if len(key) in lengths:
                    shared = (host, len(key))
                    self._prefix_shared[shared] = self._prefix_shared.get(shared, 0) + 1
                else:
                    self._prefix_lengths[host] = tuple(sorted((*lengths, len(key))))
            _bucket_add(self._prefix, key, entry)
        self._by_id[rule.id] = entry
        self._mark(host, flag)  # after the tables: a reader never sees a flag before its rule
        return rule

    def remove(self, rule_id: int) -> UrlRule | None:
        """Drop the rule with ``rule_id``; returns it, or None if there was none."""
        entry = self._by_id.pop(rule_id, None)
        if entry is None:
            return None
        rule = entry.rule
        if rule.kind == "domain":
            if is_ip_host(rule.pattern):
                _bucket_remove(self._domain_ip, rule.pattern, rule_id)
            else:
                _bucket_remove(self._domain, rule.pattern, rule_id)
                self._count_domain_labels(rule.pattern, -1)
        elif rule.kind == "exact":
            _bucket_remove(self._exact, _url_key(rule.pattern), rule_id)
        else:
            key = _url_key(rule.pattern)
            _bucket_remove(self._prefix, key, rule_id)
            host = _key_host(key)
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
        self._filter_stale += 1
        if self._filter_stale > max(_FILTER_MIN_SIZE, self._filter_marks // 2):
            self._rebuild_filter()
        return rule

    def _count_domain_labels(self, pattern: str, change: int) -> None:
        labels = pattern.count(".") + 1
        counts = self._domain_label_counts
        counts[labels] = counts.get(labels, 0) + change
        if not counts[labels]:
            del counts[labels]
        self._domain_labels = (min(counts), max(counts)) if counts else (_NO_LABELS, 0)

    def _mark(self, host: str, flag: int) -> None:
        flt, mask = self._filter
        self._filter_marks += 1
        if self._filter_marks * _FILTER_SLOTS_PER_HOST > 2 * len(flt):
            self._rebuild_filter()  # grown past half its size: twice as big (the rule is in)
        else:
            flt[hash(host) & mask] |= flag

    def _rebuild_filter(self) -> None:
        """A fresh filter from the tables, sized for the hosts they hold (no stale flags)."""
        hosts = len(self._exact) + len(self._prefix_lengths) + len(self._domain) + len(self._domain_ip)
        size = _FILTER_MIN_SIZE
        while size < hosts * _FILTER_SLOTS_PER_HOST:
            size *= 2
        flt, mask = bytearray(size), size - 1
        for key in self._exact:
            flt[hash(_key_host(key)) & mask] |= _HOST_EXACT
        for host in self._prefix_lengths:
            flt[hash(host) & mask] |= _HOST_PREFIX
        for table in (self._domain, self._domain_ip):
            for host in table:
                flt[hash(host) & mask] |= _HOST_DOMAIN
        self._filter = (flt, mask)  # one store: readers see the old filter or the new one
        self._filter_marks, self._filter_stale = hosts, 0

    def match(self, url: str) -> list[RuleMatch]:
        """Every rule matching ``url`` (canonicalized first), winner first.

        Raises :class:`InvalidURL` when ``url`` cannot be canonicalized."""
        if type(url) is str and len(url) <= MAX_URL_CHARS:
            m = _CANONICAL_URL.fullmatch(url)  # the commonest case, inline
            if m is not None:
                return self._match(url, 7 if url[4] == ":" else 8, m.group(1))
            canonical = _fast_variant(url) or _canonicalize_rest(url)
        else:
            canonical = canonicalize(url)
        host_start = 7 if canonical[4] == ":" else 8
        return self._match(canonical, host_start, canonical[host_start : canonical.index("/", host_start)])

    def verdict(self, url: str) -> RuleMatch | None:
        """The winning rule for ``url`` (see :func:`decide`), or None."""
        return decide(self.match(url))

    def match_canonical(self, canonical: str) -> list[RuleMatch]:
        """Like :meth:`match` for a URL already in canonical form (e.g. ``Hop.canonical``)."""
        if canonical.startswith("https://"):
            host_start = 8
        elif canonical.startswith("http://"):
            host_start = 7
        else:
            raise InvalidURL(f"not a canonical http(s) URL: {canonical[:200]!r}")
        host_end = canonical.find("/", host_start)
        if host_end < 0:
            raise InvalidURL(f"not a canonical http(s) URL (no path): {canonical[:200]!r}")
        return self._match(canonical, host_start, canonical[host_start:host_end])

    def _match(self, canonical: str, host_start: int, host: str) -> list[RuleMatch]:
        """The matches of a canonical URL whose ``host`` starts at ``host_start``, winner first.

        Hot path: the filter says which tables may hold rules on the host; rules are looked up
        by the scheme-folded key (``https://host/...``), built only when a table needs it."""
        found: list[RuleMatch] = []
        flt, mask = self._filter
        flags = flt[hash(host) & mask]
        if flags:
            key = canonical if host_start == 8 else "https://" + canonical[7:]
            if flags & _HOST_EXACT:
                bucket = self._exact.get(key)
                if bucket is not None:
                    if type(bucket) is RuleMatch:
                        found.append(bucket)
                    else:
                        found.extend(bucket)  # type: ignore[arg-type]
            if flags & _HOST_PREFIX:
                lengths = self._prefix_lengths.get(host)
                if lengths is not None:
                    self._add_prefix_matches(found, key, 8 + len(host), lengths)
            if flags & _HOST_DOMAIN:
                bucket = self._domain.get(host) or self._domain_ip.get(host)
                if bucket is not None:
                    if type(bucket) is RuleMatch:
                        found.append(bucket)
                    else:
                        found.extend(bucket)  # type: ignore[arg-type]

        # Domain rules on the host's proper suffixes, longest first, for the label counts that
        # domain rules have (none for an IP address).
        fewest, most = self._domain_labels
        labels = host.count(".")  # the labels of the longest proper suffix
        if labels >= fewest and not (host[-1] in _IP_LAST_CHARS and is_ip_host(host)):
            if labels > most:  # a deep host: start at the suffix of `most` labels
                start = len(host)
                for _ in range(most):
                    start = host.rfind(".", 0, start)
                start += 1
                labels = most
            else:
                start = host.find(".") + 1
            domain = self._domain
            while True:
                suffix = host[start:]
                if flt[hash(suffix) & mask] & _HOST_DOMAIN:
                    bucket = domain.get(suffix)
                    if bucket is not None:
                        if type(bucket) is RuleMatch:
                            found.append(bucket)
                        else:
                            found.extend(bucket)  # type: ignore[arg-type]
                if labels <= fewest:
                    break
                start = host.find(".", start) + 1
                labels -= 1

        if len(found) > 1:
            found.sort(key=_precedence, reverse=True)
        return found

    def _add_prefix_matches(self, found: list[RuleMatch], key: str, host_end: int,
                            lengths: tuple[int, ...]) -> None:
        """Add the prefix rules matching ``key``: for each prefix length on the host, the key's
        prefix of that length, if it ends at a boundary (see the module docstring)."""
        size = len(key)
        q = key.find("?", host_end)
        prefix = self._prefix
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
            bucket = prefix.get(key[:n])
            if bucket is not None:
                if type(bucket) is RuleMatch:
                    found.append(bucket)
                else:
                    found.extend(bucket)  # type: ignore[arg-type]


def _precedence(match: RuleMatch) -> tuple[Specificity, int, int]:
    return match.precedence
