"""URL rules: moderators block, warn on or allow URLs by exact URL, prefix or domain.

``RuleBook`` keeps the rules in the database and an in-memory :class:`RuleIndex` in step with it.
Every change bumps ``meta.rules_version`` in the same transaction, so other processes sharing the
database pick up only the rows that changed (no full reload). ``UrlRuleDetector`` judges every
LINK subject (each hop of each chain) against the index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Literal, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leakwarden.audit import log as audit
from leakwarden.errors import InvalidInput, InvalidURL, NotFound
from leakwarden.links.rules import RuleIndex, UrlRule, decide, normalize_rule_pattern
from leakwarden.links.url import canonicalize, host_of, is_host_name
from leakwarden.model import Evidence, Signal, Subject, SubjectKind, utcnow
from leakwarden.signals.base import Attr, SignalSpec
from leakwarden.store.db import Database
from leakwarden.store.tables import Meta, UrlRuleRow

RuleKind = Literal["exact", "prefix", "domain"]
RuleAction = Literal["block", "warn", "allow"]
KINDS: tuple[str, ...] = ("exact", "prefix", "domain")
ACTIONS: tuple[str, ...] = ("block", "warn", "allow")
VERSION_KEY = "rules_version"


def _to_rule(row: UrlRuleRow) -> UrlRule:
    return UrlRule(id=row.id, kind=cast(RuleKind, row.kind), pattern=row.pattern,
                   action=cast(RuleAction, row.action), reason=row.reason, added_by=row.added_by,
                   source=row.source)


def bump_version(session: Session, key: str) -> int:
    row = session.execute(
        update(Meta).where(Meta.key == key).values(value=Meta.value + 1).returning(Meta.value)
    ).first()
    if row is None:
        session.add(Meta(key=key, value=1))
        session.flush()
        return 1
    return int(row[0])


def lock_version(session: Session, key: str) -> None:
    """Take the counter's row lock now: two writers adding the same rule check for it in turn."""
    session.execute(update(Meta).where(Meta.key == key).values(value=Meta.value))


def rule_dict(row: UrlRuleRow) -> dict[str, object]:
    return {"id": row.id, "kind": row.kind, "value": row.value, "pattern": row.pattern,
            "action": row.action, "reason": row.reason, "added_by": row.added_by, "source": row.source,
            "created_at": row.created_at.isoformat(),
            "removed_at": row.removed_at.isoformat() if row.removed_at else None}


class RuleBook:
    """The URL rules of one database, with an index kept in step."""

    #: How often (seconds) a check looks for rule changes made by other processes.
    poll_interval = 0.5

    def __init__(self, db: Database) -> None:
        self.db = db
        self.index = RuleIndex()
        self._version = 0
        self._checked = 0.0
        self._lock = threading.Lock()
        self.refresh(force=True)

    # -- reading ---------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> None:
        """Load rule rows changed since the last refresh (cheap when nothing changed)."""
        now = time.monotonic()
        if not force and now - self._checked < self.poll_interval:
            return
        with self._lock:
            self._checked = now
            with self.db.session() as s:
                current = s.scalar(select(Meta.value).where(Meta.key == VERSION_KEY)) or 0
                if current == self._version:
                    return
                rows = s.scalars(select(UrlRuleRow).where(UrlRuleRow.version > self._version)).all()
            for row in rows:
                self.index.remove(row.id)
                if row.removed_at is None:
                    self.index.add(_to_rule(row))
            self._version = current

    def list(self, *, include_removed: bool = False) -> list[dict[str, object]]:
        with self.db.session() as s:
            query = select(UrlRuleRow).order_by(UrlRuleRow.id)
            if not include_removed:
                query = query.where(UrlRuleRow.removed_at.is_(None))
            return [rule_dict(r) for r in s.scalars(query)]

    # -- changing --------------------------------------------------------------------------
    def add(self, kind: str, value: str, action: str, reason: str, added_by: str, *,
            source: bool = False, session: Session | None = None, check_host: bool = True) -> dict[str, object]:
        """Add a rule (or return the same active rule). ``value`` must name a real host (an IP
        address or a DNS name): canonicalization turns any text into a URL, and a rule on
        ``http://not%20a%20url/`` would match nothing. ``check_host=False`` is for URLs taken from
        posts themselves (a policy's block_link), which are blocked as they appeared."""
        if kind not in KINDS:
            raise InvalidInput(f"a rule kind must be one of {', '.join(KINDS)}", code="invalid_rule")
        if action not in ACTIONS:
            raise InvalidInput(f"a rule action must be one of {', '.join(ACTIONS)}", code="invalid_rule")
        if not reason.strip():
            raise InvalidInput("a rule needs a reason", code="invalid_rule")
        pattern = normalize_rule_pattern(cast(RuleKind, kind), value)
        host = pattern if kind == "domain" else host_of(pattern)
        if check_host and not is_host_name(host):
            raise InvalidURL(f"{value[:200]!r} is not a URL or host name ({host[:100]!r} is not a host)",
                             code="invalid_url")
        if session is None:
            with self.db.session() as s:
                result = self._add(s, kind, value, pattern, action, reason, added_by, source)
            self.refresh(force=True)
            return result
        return self._add(session, kind, value, pattern, action, reason, added_by, source)

    def _add(self, s: Session, kind: str, value: str, pattern: str, action: str, reason: str,
             added_by: str, source: bool) -> dict[str, object]:
        lock_version(s, VERSION_KEY)
        existing = s.scalar(select(UrlRuleRow).where(
            UrlRuleRow.kind == kind, UrlRuleRow.pattern == pattern, UrlRuleRow.action == action,
            UrlRuleRow.removed_at.is_(None)))
        if existing is not None:
            return rule_dict(existing)
        version = bump_version(s, VERSION_KEY)
        row = UrlRuleRow(kind=kind, value=value, pattern=pattern, action=action, reason=reason,
                         added_by=added_by, source=source, created_at=utcnow(), version=version)
        s.add(row)
        s.flush()
        audit.append(s, actor=added_by, kind="rule.added", subject_type="url_rule", subject_id=str(row.id),
                     payload={"kind": kind, "pattern": pattern, "action": action, "reason": reason,
                              "source": source})
        return rule_dict(row)

    def remove(self, rule_id: int, removed_by: str) -> dict[str, object]:
        with self.db.session() as s:
            row = s.get(UrlRuleRow, rule_id)
            if row is None or row.removed_at is not None:
                raise NotFound(f"no active URL rule with id {rule_id}")
            row.removed_at, row.removed_by = utcnow(), removed_by
            row.version = bump_version(s, VERSION_KEY)
            audit.append(s, actor=removed_by, kind="rule.removed", subject_type="url_rule",
                         subject_id=str(rule_id), payload={"pattern": row.pattern, "action": row.action})
            result = rule_dict(row)
        self.refresh(force=True)
        return result

    def active_since(self, version: int) -> Iterator[UrlRule]:
        with self.db.session() as s:
            rows = s.scalars(select(UrlRuleRow).where(UrlRuleRow.version > version,
                                                      UrlRuleRow.removed_at.is_(None))).all()
        for row in rows:
            yield _to_rule(row)

    @property
    def version(self) -> int:
        return self._version

    def count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(UrlRuleRow)
                                .where(UrlRuleRow.removed_at.is_(None))) or 0)


#: What UrlRuleDetector emits (policies are validated against it). An ``allow`` rule emits nothing.
URL_RULE_SIGNAL = SignalSpec(
    kind="url_rule", subjects=frozenset({SubjectKind.LINK}),
    doc="a URL (a hop of a link chain) matched a block or warn rule",
    attrs={
        "action": Attr(str, values=("block", "warn"), doc="what the winning rule does"),
        "rule_id": Attr(int, doc="the winning rule"),
        "match": Attr(str, values=KINDS, doc="the winning rule's kind"),
        "source": Attr(bool, doc="the URL is under a marked source of hacked material"),
    },
)


class UrlRuleDetector:
    """Judges each URL (each hop) against the rules; the most specific rule wins."""

    kind = URL_RULE_SIGNAL.kind
    subjects = URL_RULE_SIGNAL.subjects
    signal = URL_RULE_SIGNAL

    def __init__(self, book: RuleBook) -> None:
        self.book = book

    def detect(self, subject: Subject) -> list[Signal]:
        if not subject.url:
            return []
        self.book.refresh()
        try:
            canonical = canonicalize(subject.url)
        except InvalidURL:
            return []
        matches = self.book.index.match_canonical(canonical)
        winner = decide(matches)
        if winner is None or winner.rule.action == "allow":
            return []
        rule = winner.rule
        # a URL under a source a moderator marked stays "source" even when a narrower rule (say,
        # the exact rule a block_link action added) is the one that wins
        source = rule.action == "block" and any(m.rule.source and m.rule.action == "block" for m in matches)
        summary = f"{canonical} ({rule.action}ed by rule {rule.id}: {rule.kind} {rule.pattern})"
        return [Signal(
            kind=self.kind, strength=1.0, subject_kind=subject.kind, subject=subject.ref,
            attrs={"action": rule.action, "rule_id": rule.id, "match": rule.kind, "source": source},
            evidence=[Evidence(summary=summary, subject=subject.ref, item=f"rule:{rule.id}",
                               path=list(subject.path), data={"url": canonical, "reason": rule.reason})],
        )]
