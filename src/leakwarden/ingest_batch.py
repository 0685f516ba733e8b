"""Ingest a batch of posts in one transaction: what a worker does with the messages it fetched.

Each post ends as :meth:`Engine.ingest_once` would leave it, ingested one after another in the
batch's order: stored once, idempotent on its id, a conflict for another post under a stored id.
What changes is the cost: the posts are checked first (no transaction open), then one transaction

1. reads which of the batch's ids are stored already (one query): those return their stored
   decision, or a conflict;
2. makes the authors' accounts that are new (two statements) and inserts the new posts (one);
3. enforces, in the batch's order, only the posts whose decision acts (a post that acts on
   nothing writes nothing but its row, its links, its audit event and its outbox event), each
   after its author's accounts are locked in id order, so strikes are counted in turn, those of
   an earlier post of the batch included;
4. commits once; the audit events it appended are sealed once, after the commit.

Posts the batch holds twice (a message delivered twice) are ingested after it, one by one: the
second finds the first stored. If the transaction fails (a writer racing on one of its ids, a
deadlock, a connection dropped, a value the database refuses), it wrote nothing and each post is
ingested again on its own, where each of those cases has its answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leakwarden import outbox
from leakwarden.audit import log as audit
from leakwarden.enforcement.actions import ladder_actions
from leakwarden.enforcement.standing import active_strikes, ensure_accounts
from leakwarden.model import ActionType, Decision, Post, utcnow
from leakwarden.signals.images import evidence as image_evidence
from leakwarden.signals.pii import atrest
from leakwarden.store.tables import Account, PostRow

if TYPE_CHECKING:
    from leakwarden.engine import Engine

log = logging.getLogger("leakwarden.engine")
Outcome = tuple[Decision, bool] | Exception
Mapper = Callable[[Callable[[Post], object], Sequence[Post]], Iterable[object]]


def ingest_many(engine: Engine, posts: Sequence[Post], *, actor: str, budget_s: float | None = None,
                run: Mapper | None = None) -> list[Outcome]:
    """For each post, what ``engine.ingest_once`` gives ((decision, stored here)) or raises."""
    from leakwarden.engine import stored_decision

    if not posts:
        return []
    results: list[Outcome | None] = [None] * len(posts)
    bodies = [p.model_dump(mode="json") for p in posts]
    first: dict[str, int] = {}
    again: list[int] = []  # an id the batch holds already: ingested after it
    for index, post in enumerate(posts):
        if post.id in first:
            again.append(index)
        else:
            first[post.id] = index
    with engine.db.session() as s:
        existing = {row.id: row for row in s.scalars(select(PostRow).where(PostRow.id.in_(list(first))))}
        for post_id, row in existing.items():
            index = first[post_id]
            try:
                results[index] = (stored_decision(row, bodies[index]), False)
            except Exception as exc:  # a conflict; a sealed body this key cannot open
                results[index] = exc
    new = [i for i in first.values() if results[i] is None]

    def decide(post: Post) -> Decision | Exception:
        try:
            return atrest.seal(engine._check(post, budget_s=budget_s), keep=True, scan=engine._scan_pii)
        except Exception as exc:  # an invalid post (too many links, bad attachment), a bug: this post's
            return exc

    decided = list((run or map)(decide, [posts[i] for i in new]))
    ready: list[tuple[int, Decision]] = []
    for index, decision in zip(new, decided, strict=True):
        if isinstance(decision, Decision):
            ready.append((index, decision))
        else:
            results[index] = decision if isinstance(decision, Exception) else TypeError("not a decision")
    if ready:
        try:
            record(engine, [(posts[i], d) for i, d in ready], actor)
        except Exception as exc:  # it wrote nothing: each post on its own, where each failure has its answer
            log.log(logging.INFO if isinstance(exc, DBAPIError) else logging.WARNING,
                    "a batch of %d posts is ingested one by one: %s", len(ready), type(exc).__name__)
            _one_by_one(engine, posts, [i for i, _ in ready], actor, budget_s, results)
        else:
            for index, decision in ready:
                results[index] = (atrest.readable(decision), True)
            if any(a.type is ActionType.BLOCK_LINK for _, d in ready for a in d.actions):
                engine.rules.refresh(force=True)  # a rule added: the next check sees it at once
    _one_by_one(engine, posts, again, actor, budget_s, results)
    return [r if r is not None else RuntimeError("not ingested") for r in results]


def _one_by_one(engine: Engine, posts: Sequence[Post], indexes: Iterable[int], actor: str,
                budget_s: float | None, results: list[Outcome | None]) -> None:
    for index in indexes:
        try:
            results[index] = engine.ingest_once(posts[index], actor=actor, budget_s=budget_s)
        except Exception as exc:
            results[index] = exc


def record(engine: Engine, batch: Sequence[tuple[Post, Decision]], actor: str, *,
           also: Callable[[Session], object] | None = None) -> None:
    """Store, enforce and audit new posts in one transaction: a worker's batch, or the one post
    of :meth:`Engine.ingest_once`. ``also``: more writes that commit with the posts or not at all
    (called first, in the same transaction)."""
    from leakwarden.engine import decision_event

    ordered = sorted(batch, key=lambda pair: pair[0].id)  # racing batches take their rows in one order
    shadow = engine.deployments.shadow
    with engine.db.session() as s:
        if also is not None:
            also(s)
        ensure_accounts(s, (post.author for post, _ in ordered))
        now = utcnow()
        rows = {post.id: engine._post_row(post, decision, now) for post, decision in ordered}
        acting = {post.id for post, decision in ordered if decision.actions or shadow is not None}
        for post, decision in ordered:
            if post.id not in acting:  # nothing to enforce: its decision is stored as it is
                rows[post.id].decision = atrest.stored_form(decision)
        s.add_all(rows.values())
        s.flush()
        for post, decision in ordered:
            engine._store_links(s, post.id, decision.chains, new=True)
            image_evidence.keep(s, post.id, decision)
        # the posts that act on nothing: their events in two statements
        quiet = [decision for post, decision in ordered if post.id not in acting]
        audit.append_many(s, [decision_event(d, actor, kind="decision") for d in quiet])
        outbox.emit_many(s, [("decision.made", ("post", d.post_id), outbox.decision_data(d)) for d in quiet])
        _lock_accounts(s, {post.author for post, _ in ordered if post.id in acting})
        for post, decision in batch:  # in the batch's order: an author's strikes add up in turn
            if post.id not in acting:
                continue
            _recount_ladder(engine, s, decision)
            engine._audit_decision(s, decision, actor, kind="decision")
            decision.actions = engine._enforce_beside_shadow(s, post.surface, decision, new_post=True)
            rows[post.id].decision = atrest.stored_form(decision)
            outbox.emit(s, "decision.made", ("post", post.id), outbox.decision_data(decision))


def _lock_accounts(s: Session, accounts: set[str]) -> None:
    """Hold the row locks of the accounts enforcement will count strikes for, taken in id order
    (enforcing takes each again, already held): batches that share authors never deadlock. SQLite
    has no row locks to take (one writer holds the whole database): there it asks nothing."""
    if accounts and s.get_bind().dialect.name != "sqlite":
        s.execute(select(Account.id).where(Account.id.in_(sorted(accounts))).order_by(Account.id).with_for_update())


def _recount_ladder(engine: Engine, s: Session, decision: Decision) -> None:
    """The strike ladder's sanction as the check gave it counted the strikes committed then; an
    earlier post of this batch by the same author may have added one since, as it would have,
    ingested before this one. Counted again in this transaction, under the author's lock."""
    strikes = sum(1 for a in decision.actions if a.type is ActionType.STRIKE)
    if not strikes:
        return
    kept = [a for a in decision.actions if a.clause != "strike-ladder"]
    decision.actions = kept + ladder_actions(engine.policy, active_strikes(s, decision.author), strikes)
