"""check(post) → Decision: the whole pipeline, top to bottom.

    post → links (extract, canonicalize, expand) → subjects → signals → policy → decision
                                                                ↘ ingest: enforce → audit

``check`` decides and stores nothing. ``ingest`` decides, enforces and records, in one transaction,
and is idempotent on the client's post id.
"""

from __future__ import annotations

import base64
import binascii
import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from leakwarden import outbox
from leakwarden.audit import log as audit
from leakwarden.audit import signing
from leakwarden.blocking import WouldBlock, on_event_loop
from leakwarden.enforcement import actions as enforcement
from leakwarden.enforcement.standing import active_strikes
from leakwarden.errors import Conflict, InvalidInput, InvalidURL, NotFound
from leakwarden.ingest_batch import ingest_many, record
from leakwarden.links.rules import UrlRule, decide
from leakwarden.links.url import canonical_cache, extract_urls, host_of
from leakwarden.model import (
    Action,
    ActionType,
    Decision,
    Hop,
    LinkChain,
    Post,
    Signal,
    Subject,
    SubjectKind,
    Surface,
    utcnow,
)
from leakwarden.policy import shadow as shadows
from leakwarden.policy.evaluate import evaluate
from leakwarden.policy.load import load_policy
from leakwarden.policy.schema import Policy
from leakwarden.signals.base import Detector, SignalSpec
from leakwarden.signals.catalog import register_signal
from leakwarden.signals.images import subjects as images
from leakwarden.signals.pii import atrest
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.signals.urlrules import RuleBook, UrlRuleDetector
from leakwarden.store.db import Database
from leakwarden.store.tables import PolicyVersionRow, PostLink, PostRow

log = logging.getLogger("leakwarden.engine")
_NO_BUDGET = 120.0  # seconds: completing a partial decision in the background
MAX_FOLLOWED_LINKS = 100  # URLs of one post followed; the rest are judged by URL rules alone
MAX_POST_URLS = 10_000  # distinct URLs in one post (links and text); more is refused
_JUDGING_S_PER_URL = 50e-6  # of a check's budget, kept back from fetching to judge each URL after it
_canonical = canonical_cache(20_000)  # a post's URLs are canonicalized again for its chains
_WRITE_ATTEMPTS = 5  # an insert that loses a race (a new account, a policy version) is tried again


def _short_db_error(exc: DataError) -> str:
    lines = str(exc.orig).strip().splitlines()
    return lines[0][:200] if lines else type(exc.orig).__name__


class Expander(Protocol):
    """Follows URLs to where they lead (see ``links.chain.ChainExpander``)."""

    def expand(self, urls: list[str], *, budget_s: float | None = None, refetch: bool = False
               ) -> list[LinkChain]: ...


def unfetched_chains(urls: Iterable[str], *, error: str | None = None, code: str | None = None) -> list[LinkChain]:
    """Chains of one hop each: the URL as posted, not followed (``error``: why)."""
    # model_construct: thousands of these for a post full of URLs, made of values already checked
    return [LinkChain.model_construct(url=u, hops=[Hop.model_construct(url=u, canonical=_canonical(u), via="post",
                                                                       error=error, error_code=code)])
            for u in urls]


def not_fetched(chains: Iterable[LinkChain]) -> list[str]:
    """The post's URLs that were not followed to the end: over the budget, or over the link limit."""
    return [c.url for c in chains
            if not c.complete or (len(c.hops) == 1 and c.hops[0].error_code == "not_followed")]


def post_urls(post: Post) -> list[str]:
    """The post's URLs as given (to fetch), one per canonical form: its ``links``, which must be
    valid, and any found in its text."""
    urls: dict[str, str] = {}
    for link in post.links:
        try:
            urls.setdefault(_canonical(link), link.strip())
        except InvalidURL as exc:
            raise InvalidURL(f"links: {exc.message}", field="links") from None
    for found in extract_urls(post.text):
        try:
            urls.setdefault(_canonical(found), found)
        except InvalidURL:
            continue
        if len(urls) > MAX_POST_URLS:
            raise InvalidInput(f"a post may carry at most {MAX_POST_URLS:,} distinct URLs", code="too_many_links",
                               field="text")
    return list(urls.values())


def subjects_of(post: Post, chains: Sequence[LinkChain]) -> list[Subject]:
    """Everything to inspect: the text, each attachment, and each hop of each chain."""
    subjects = [Subject(kind=SubjectKind.POST_TEXT, text=post.text, lang=post.lang, surface=post.surface)]
    for attachment in post.attachments:
        content = None
        if attachment.content_b64:
            try:
                content = base64.b64decode(attachment.content_b64, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput(f"attachment {attachment.name!r}: content_b64 is not base64",
                                   code="invalid_attachment") from None
        subjects.append(images.attachment_subject(attachment, content, post.surface))  # images: OCR
    for chain in chains:
        for index, hop in enumerate(chain.hops):
            path = ["post", *chain.path(index)]
            subjects.append(Subject(kind=SubjectKind.LINK, url=hop.canonical, path=path, surface=post.surface))
            if hop.text or hop.read is not None:
                is_document = bool(hop.content_type and "html" not in hop.content_type
                                   and "text/plain" not in hop.content_type)
                subjects.append(Subject(kind=SubjectKind.DOCUMENT if is_document else SubjectKind.PAGE,
                                        text=hop.text, url=hop.canonical, path=path, surface=post.surface,
                                        image=hop.read, content=hop.content))
    return subjects + images.url_subjects(subjects)  # URLs written in images: URL rules, never fetched


class Engine:
    """One policy, one database, a set of detectors, and optionally a link expander."""

    def __init__(self, db: Database | str | None = None, *, policy: Policy | str | None = None,
                 detectors: Sequence[Detector] | None = None, expander: Expander | None = None,
                 fetch_budget_s: float = 3.0, create: bool = True) -> None:
        """``db``: a Database, a SQLite path or a database URL (default ``leakwarden.db``). A SQLite
        file that does not exist is created, unless ``create=False``, which refuses it (NoDatabase)."""
        self.db = db if isinstance(db, Database) else Database(db, create=create)
        self.rules = RuleBook(self.db)
        self.detectors: list[Detector] = [UrlRuleDetector(self.rules)]
        if detectors is None:
            from leakwarden.signals import default_detectors

            self.detectors.extend(default_detectors(self.db))
        else:
            self.detectors.extend(d for d in detectors if not isinstance(d, UrlRuleDetector))
        for detector in self.detectors:  # a custom detector's kind: policies may name it
            spec = getattr(detector, "signal", None)
            if isinstance(spec, SignalSpec):
                register_signal(spec)
        self.policy = policy if isinstance(policy, Policy) else load_policy(policy)
        # a policy promoted to live on the database outranks this one; a shadow policy decides beside it
        self.deployments = shadows.Deployments(self.db)
        self._follows_deployment = True
        self.expander = expander
        self.fetch_budget_s = fetch_budget_s
        # private values at rest: the pii evidence spans say what to mask; without a PiiDetector, scan
        self._scan_pii = not any(isinstance(d, PiiDetector) for d in self.detectors)
        atrest.check_key()  # a deployment without a reveal key fails at start, not at its first post
        signing.signing_key()  # nor one without the audit key, which every writer MACs and seals with
        self._record_policy()
        self._follow_deployments()

    # -- deciding --------------------------------------------------------------------------
    def check(self, post: Post, *, budget_s: float | None = None) -> Decision:
        """Decide only: nothing is stored or enforced. Private values in hop texts and evidence
        come back masked (``signals.pii.atrest``)."""
        return atrest.seal(self._check(post, budget_s=budget_s), keep=False, scan=self._scan_pii)

    def check_on_loop(self, post: Post, *, budget_s: float | None = None) -> Decision | None:
        """:meth:`check` on the caller's event loop when the post can be decided without blocking:
        no link to follow (none, or a budget of 0 asked for), no attachment to read, no embedding
        and no database read due. None when it cannot: the caller decides it in a thread instead
        (``leakwarden.blocking``)."""
        if post.attachments or (budget_s != 0 and post_urls(post)):
            return None
        try:
            with on_event_loop():
                return self.check(post, budget_s=budget_s)
        except WouldBlock:
            return None

    def _check(self, post: Post, *, budget_s: float | None = None) -> Decision:
        """The decision with hop texts in clear: never stored or returned as it is."""
        started = time.perf_counter()
        urls = post_urls(post)
        budget = self.fetch_budget_s if budget_s is None else budget_s
        # the budget is the check's: fetching gets what is left of it once the time to judge what
        # was fetched and every URL not followed (by URL rules, a few ms a thousand) is kept back
        judging = min(0.1 * budget, _JUDGING_S_PER_URL * len(urls))
        # a budget of 0 asked for (not one spent): no link is followed now, the decision is completed later
        chains = self._expand(urls, max(0.0, budget - judging - (time.perf_counter() - started)), defer=budget == 0)
        decision = self._decide(post, chains)
        decision.elapsed_ms = (time.perf_counter() - started) * 1000
        return decision

    def signals_for(self, subjects: Iterable[Subject]) -> list[Signal]:
        signals: list[Signal] = []
        for subject in subjects:
            for detector in self.detectors:
                if subject.kind not in detector.subjects:
                    continue
                try:
                    found = detector.detect(subject)
                except Exception as exc:  # a detector bug must not sink the check
                    # the type only: an exception's message may quote the content, private data included
                    log.error("detector %s failed on a %s subject: %s", detector.kind, subject.kind.value,
                              type(exc).__name__)
                    continue
                for signal in found:
                    for evidence in signal.evidence:
                        if not evidence.path:
                            evidence.path = list(subject.path)
                if subject.image is not None:
                    images.locate(subject, found)  # a finding's span → regions of the image
                signals.extend(found)
        return signals

    def _expand(self, urls: list[str], budget_s: float | None, *, refetch: bool = False, defer: bool = False
                ) -> list[LinkChain]:
        """``defer``: follow nothing (the chains stay incomplete, and the decision partial)."""
        if not urls:
            return []
        if self.expander is None:
            return unfetched_chains(urls)
        started = time.perf_counter()
        followed, rest = urls[:MAX_FOLLOWED_LINKS], urls[MAX_FOLLOWED_LINKS:]
        not_followed = unfetched_chains(rest, code="not_followed",
                                        error=f"only a post's first {MAX_FOLLOWED_LINKS} links are followed")
        if defer:  # follow nothing now (a worker's decision path): the chains are completed later
            deferred = unfetched_chains(followed, code="deferred", error="followed after the decision")
            for chain in deferred:
                chain.complete = False
            return deferred + not_followed
        budget = max(0.0, (self.fetch_budget_s if budget_s is None else budget_s) - (time.perf_counter() - started))
        chains = self.expander.expand(followed, budget_s=budget, refetch=refetch)
        for chain in chains:
            if not chain.hops:  # not reached within the budget: its URL is still judged by the URL rules
                chain.hops = unfetched_chains([chain.url])[0].hops
        return chains + not_followed

    def _decide(self, post: Post, chains: list[LinkChain]) -> Decision:
        self._follow_deployments()
        subjects = subjects_of(post, chains)
        signals = self.signals_for(subjects)
        outcome = evaluate(self.policy, signals, post.surface)
        actions = list(outcome.actions)
        strikes = sum(1 for a in actions if a.type is ActionType.STRIKE)
        if strikes:
            with self.db.session() as s:
                before = active_strikes(s, post.author)
            actions.extend(enforcement.ladder_actions(self.policy, before, strikes))
        return Decision(post_id=post.id, author=post.author, verdict=outcome.verdict, actions=actions,
                        reasons=outcome.reasons, policy=self.policy.name, policy_version=self.policy.label,
                        signals=signals, chains=chains, partial=any(not c.complete for c in chains),
                        unfetched=not_fetched(chains))

    # -- ingesting -------------------------------------------------------------------------
    def ingest(self, post: Post, *, actor: str = "api", budget_s: float | None = None,
               also: Callable[[Session], object] | None = None) -> Decision:
        """Decide, enforce and record. The same post id with the same content returns the stored
        decision and applies nothing twice; with different content it is a conflict. Two writers
        racing on one post id (processes sharing the database) resolve it the same way: the loser
        returns what the winner stored. ``also``: more writes to commit with the post, in its
        transaction (not called when the post was stored before)."""
        return self.ingest_once(post, actor=actor, budget_s=budget_s, also=also)[0]

    def ingest_once(self, post: Post, *, actor: str = "api", budget_s: float | None = None,
                    also: Callable[[Session], object] | None = None) -> tuple[Decision, bool]:
        """:meth:`ingest`, and whether this call stored the post (False: it was stored before, or a
        concurrent writer stored it first)."""
        body = post.model_dump(mode="json")
        stored = self._stored_decision(post.id, body)
        if stored is not None:
            return stored, False
        decision = atrest.seal(self._check(post, budget_s=budget_s), keep=True, scan=self._scan_pii)
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                # one transaction: the post, its links, its audit and outbox events, and what its
                # decision enforces (a decision that acts on nothing: five statements)
                record(self, [(post, decision)], actor, also=also)
                break
            except IntegrityError:
                # a concurrent writer got there first (this post, or its author's new account);
                # this transaction wrote nothing
                stored = self._stored_decision(post.id, body)
                if stored is not None:
                    return stored, False
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise
            except DataError as exc:  # a value the database cannot store (PostgreSQL: a NUL character)
                raise InvalidInput(f"post {post.id!r} cannot be stored: {_short_db_error(exc)}",
                                   code="invalid_post") from None
        self._see_new_rules(decision)
        return atrest.readable(decision), True

    def ingest_many(self, posts: Sequence[Post], *, actor: str = "api", budget_s: float | None = None,
                    run: Callable[[Callable[[Post], object], Sequence[Post]], Iterable[object]] | None = None
                    ) -> list[tuple[Decision, bool] | Exception]:
        """:meth:`ingest_once` for each post, in one transaction: what each post would give
        ingested one after another, or the exception it would raise (a conflict, an invalid post).
        ``run``: how to map the checks over the posts (a thread pool's ``map``, to follow links
        of several posts at once); in turn by default. See :mod:`leakwarden.ingest_batch`."""
        return ingest_many(self, posts, actor=actor, budget_s=budget_s, run=run)

    def _stored_decision(self, post_id: str, body: dict[str, object]) -> Decision | None:
        """The decision stored for this post id, or None; a conflict if it was stored with other content."""
        with self.db.session() as s:
            existing = s.get(PostRow, post_id)
            return None if existing is None else stored_decision(existing, body)


    def _post_row(self, post: Post, decision: Decision, now: datetime) -> PostRow:
        """The post's row, its private values masked; its decision is set once enforced."""
        stored = atrest.seal_post(post, decision, scan=self._scan_pii)
        return PostRow(id=post.id, author=post.author, surface=post.surface.value, text=stored["text"], body=stored,
                       verdict=decision.verdict.value, policy=decision.policy, policy_version=decision.policy_version,
                       decision={}, partial=decision.partial, created_at=post.created_at, ingested_at=now,
                       decided_at=decision.decided_at)

    def _enforce(self, s: Session, decision: Decision, *, new_post: bool = False) -> list[Action]:
        result = enforcement.apply(s, decision, self.policy, self.rules, actor="auto", new_post=new_post)
        skipped = {a.key() for a in result.skipped}
        ladder = [a for a in result.applied if a.clause == "strike-ladder"]
        return [a for a in decision.actions if a.clause != "strike-ladder" and a.key() not in skipped] + ladder

    def _enforce_beside_shadow(self, s: Session, surface: Surface, decision: Decision, *,
                               new_post: bool = False) -> list[Action]:
        """Enforce the live decision; a deployed shadow policy decides too: stored, never enforced.
        ``new_post``: the post was stored in this transaction (see ``enforcement.apply``)."""
        shadow = self.deployments.shadow
        before = active_strikes(s, decision.author) if shadow is not None else 0
        actions = self._enforce(s, decision, new_post=new_post)
        if shadow is not None:
            shadows.record(s, surface, decision.model_copy(update={"actions": actions}), shadow, before)
        return actions

    def _see_new_rules(self, decision: Decision) -> None:
        """After the commit: a block_link action added a rule the next check must see at once."""
        if any(a.type is ActionType.BLOCK_LINK for a in decision.actions):
            self.rules.refresh(force=True)

    def _store_links(self, s: Session, post_id: str, chains: Sequence[LinkChain], *, new: bool = False) -> None:
        """``new``: the post was stored in this transaction, so it has no links stored yet."""
        seen = set() if new else set(s.scalars(select(PostLink.url).where(PostLink.post_id == post_id)))
        for chain in chains:
            for hop in chain.hops:
                url = hop.canonical or hop.url
                if url in seen:
                    continue
                seen.add(url)
                try:
                    host = host_of(url)
                except InvalidURL:
                    host = ""
                s.add(PostLink(post_id=post_id, url=url, host=host))

    def _audit_decision(self, s: Session, decision: Decision, actor: str, *, kind: str) -> None:
        audit.append(s, **decision_event(decision, actor, kind=kind))

    # -- deciding again --------------------------------------------------------------------
    def redecide(self, post_id: str, *, actor: str = "auto", refetch: bool = False,
                 kind: str = "decision.revised", budget_s: float | None = None) -> Decision:
        """Decide a stored post again under the current rules, items and policy, and enforce what
        is new. Its link chains are reused unless ``refetch``."""
        with self.db.session() as s:
            row = s.get(PostRow, post_id)
            if row is None:
                raise NotFound(f"no post {post_id!r}")
            try:
                post = Post.model_validate(atrest.clear_body(row.body))
            except atrest.SealedUnreadable:
                log.warning("post %s: its sealed text cannot be decrypted; deciding on its masked text", post_id)
                post = Post.model_validate(atrest.shown_body(row.body))
            stored = Decision.model_validate(row.decision) if row.decision else None
        chains: list[LinkChain] | None = None
        if not (refetch or stored is None or stored.partial):
            try:
                chains = atrest.clear_chains(stored)  # the masked texts would hide what was found
            except atrest.SealedUnreadable:
                log.warning("post %s: its sealed link texts cannot be decrypted; following its links again",
                            post_id)
        if chains is None:
            chains = self._expand(post_urls(post), budget_s, refetch=refetch)
        decision = atrest.seal(self._decide(post, chains), keep=True, scan=self._scan_pii)
        with self.db.session() as s:
            row = s.get_one(PostRow, post_id)
            changed = (stored is None or decision.verdict != stored.verdict
                       or {a.key() for a in decision.actions} != {a.key() for a in stored.actions})
            self._store_links(s, post_id, decision.chains)
            if changed:
                self._audit_decision(s, decision, actor, kind=kind)
            decision.actions = self._enforce_beside_shadow(s, post.surface, decision)
            if changed or kind == "decision.completed":
                outbox.emit(s, outbox.revised(kind), ("post", post_id), outbox.decision_data(decision))
            row.verdict, row.partial = decision.verdict.value, decision.partial
            row.policy, row.policy_version = decision.policy, decision.policy_version
            row.decision, row.decided_at = atrest.stored_form(decision), decision.decided_at
        self._see_new_rules(decision)
        return atrest.readable(decision)

    def stored_posts(self, *, since: datetime | None = None, hosts: set[str] | None = None) -> list[str]:
        """Ids of stored posts (ingested since a time, or linking to hosts), oldest first."""
        with self.db.session() as s:
            query = select(PostRow.id).order_by(PostRow.ingested_at)
            if since is not None:
                query = query.where(PostRow.ingested_at >= since)
            if hosts is not None:
                query = query.where(PostRow.id.in_(select(PostLink.post_id).where(PostLink.host.in_(hosts))))
            return list(s.scalars(query))

    def retro_rules(self, since_version: int = 0, *, progress: Callable[[int, int], None] | None = None
                    ) -> Iterator[Decision]:
        """Stored posts that link (at any hop) to URLs matched by block/warn rules added since
        ``since_version``: decide them again and enforce. Yields the new decisions."""
        self.rules.refresh(force=True)
        new_rules = [r for r in self.rules.active_since(since_version) if r.action != "allow"]
        if not new_rules:
            return
        hosts = {_rule_host(r.kind, r.pattern) for r in new_rules}
        candidates = self._posts_matching(hosts, new_rules)
        for done, post_id in enumerate(candidates, 1):
            yield self.redecide(post_id, kind="decision.retro")
            if progress:
                progress(done, len(candidates))

    def _posts_matching(self, hosts: set[str], rules: Sequence[UrlRule]) -> list[str]:
        rule_ids = {r.id for r in rules}
        with self.db.session() as s:
            links = s.execute(select(PostLink.post_id, PostLink.url, PostLink.host)).all()
        matched: list[str] = []
        for post_id, url, host in links:
            if post_id in matched or not any(host == h or host.endswith("." + h) for h in hosts):
                continue
            winner = decide(self.rules.index.match_canonical(url))
            if winner is not None and winner.rule.id in rule_ids:
                matched.append(post_id)
        return matched

    def rescan(self, since: datetime, *, progress: Callable[[int, int], None] | None = None
               ) -> Iterator[Decision]:
        """Decide every post stored since ``since`` again (e.g. after new bank items)."""
        ids = self.stored_posts(since=since)
        for done, post_id in enumerate(ids, 1):
            yield self.redecide(post_id, kind="decision.rescan")
            if progress:
                progress(done, len(ids))

    def complete_later(self, post_id: str) -> threading.Thread:
        """Finish following a partially decided post's links in the background, then decide it
        again; the change is recorded in the audit log as ``decision.completed``."""

        def run() -> None:
            try:
                self.redecide(post_id, kind="decision.completed", budget_s=_NO_BUDGET)
            except Exception as exc:  # the type only: a message may quote content
                log.error("completing a partial decision failed: %s", type(exc).__name__)

        thread = threading.Thread(target=run, name=f"complete-{post_id}", daemon=True)
        thread.start()
        return thread

    # -- policy ----------------------------------------------------------------------------
    def with_policy(self, policy: Policy | str) -> Engine:
        """The same engine (database, rules, detectors, expander) deciding under another policy."""
        other = copy.copy(self)
        other.policy = policy if isinstance(policy, Policy) else load_policy(policy)
        other._follows_deployment = False  # asked for by name: not replaced by the deployed one
        other._record_policy()
        return other

    def _follow_deployments(self) -> None:
        """Decide under the policy promoted to live on the database, if any (polled once a second)."""
        self.deployments.refresh()
        live = self.deployments.live
        if live is not None and self._follows_deployment and live.sha256 != self.policy.sha256:
            self.policy = live

    def _record_policy(self) -> None:
        """Remember each policy version the engine ran under; audit a new one. Processes that start
        together under a new policy race to record it: the loser finds it recorded."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                self._record_policy_once()
                return
            except IntegrityError:
                if attempt == _WRITE_ATTEMPTS - 1:
                    raise

    def _record_policy_once(self) -> None:
        with self.db.session() as s:
            known = s.scalar(select(PolicyVersionRow.id).where(PolicyVersionRow.name == self.policy.name,
                                                               PolicyVersionRow.sha256 == self.policy.sha256))
            if known is not None:
                return
            s.add(PolicyVersionRow(name=self.policy.name, version=self.policy.version, sha256=self.policy.sha256,
                                   source=self.policy.model_dump_json(), loaded_at=utcnow()))
            audit.append(s, actor="system", kind="policy.loaded", subject_type="policy",
                         subject_id=self.policy.label, payload={"sha256": self.policy.sha256,
                                                                "clauses": [c.id for c in self.policy.clauses]})



def decision_event(decision: Decision, actor: str, *, kind: str) -> dict[str, Any]:
    """The audit event that records a decision (``audit.append``'s arguments)."""
    return {"actor": actor, "kind": kind, "subject_type": "post", "subject_id": decision.post_id, "payload": {
        "author": decision.author, "verdict": decision.verdict.value, "partial": decision.partial,
        "policy_version": decision.policy_version,
        "actions": [a.model_dump(mode="json", exclude_none=True) for a in decision.actions],
        "reasons": [{"signal": r.signal, "clause": r.clause, "subject": r.subject, "strength": r.strength,
                     "evidence": [e.summary for e in r.evidence]} for r in decision.reasons],
    }}


def stored_decision(existing: PostRow, body: dict[str, object]) -> Decision:
    """The decision stored with a post, if ``body`` is the post's content; else a conflict."""
    if atrest.clear_body(existing.body) != body:
        raise Conflict(f"post {existing.id!r} was already ingested with different content", code="post_conflict")
    return atrest.readable(Decision.model_validate(existing.decision))


def _rule_host(kind: str, pattern: str) -> str:
    if kind == "domain":
        return pattern
    try:
        return host_of(pattern)
    except InvalidURL:
        return pattern
