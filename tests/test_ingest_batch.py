"""A batch ingested in one transaction (``Engine.ingest_many``, what a worker does) leaves what
ingesting its posts one by one leaves: the same answers, rows, strikes, sanctions and events."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from leakwarden.audit import log as audit
from leakwarden.engine import Engine
from leakwarden.errors import LeakwardenError
from leakwarden.model import Decision, Post
from leakwarden.outbox.tables import OutboxEvent
from leakwarden.store.tables import Account, AuditEventRow, EnforcementAction, PostLink, PostRow, Sanction, Strike

BLOCKED = "https://newsletter.example/p/"


def make_engine(url: str) -> Engine:
    engine = Engine(url, policy="strict", detectors=[])
    engine.rules.add("domain", "newsletter.example", "block", "source of the dossier", "mod", source=True)
    return engine


def post(pid: str, text: str, author: str = "journo", **extra: Any) -> Post:
    return Post.model_validate({"id": pid, "author": author, "text": text, **extra})


# stored before the batch: one strike for "journo", and a post the batch holds again or conflicts with
BEFORE = [post("old", f"first copy {BLOCKED}0"), post("kept", "nothing to see")]
BATCH = [
    post("b1", f"second copy {BLOCKED}1"),  # journo's 2nd strike: the ladder suspends
    post("quiet", "plain words about the council budget", author="reader"),
    post("b1", f"second copy {BLOCKED}1"),  # the same message twice in one batch
    post("kept", "nothing to see"),  # stored before: seen, not stored again
    post("kept", "nothing to see, edited"),  # stored before with other content: a conflict
    post("bad", "x", links=["ftp://files.example/x"]),  # invalid: no row
    post("b2", f"third copy {BLOCKED}2 and https://elsewhere.example/a"),  # journo's 3rd: the ladder bans
    post("new-author", f"copy {BLOCKED}3", author="someone-new"),
    post("quiet2", "see https://elsewhere.example/b", author="reader"),
]


def answer(result: tuple[Decision, bool] | Exception) -> tuple[Any, ...]:
    if isinstance(result, Exception):
        return ("error", type(result).__name__, getattr(result, "code", None))
    decision, stored = result
    return (decision.post_id, decision.verdict.value, stored, tuple(sorted(str(a.key()) for a in decision.actions)))


def one_by_one(engine: Engine, posts: list[Post]) -> list[tuple[Decision, bool] | Exception]:
    results: list[tuple[Decision, bool] | Exception] = []
    for p in posts:
        try:
            results.append(engine.ingest_once(p, actor="worker"))
        except LeakwardenError as exc:
            results.append(exc)
    return results


def state(engine: Engine) -> dict[str, Any]:
    """What is stored, without ids and times (which differ between two databases)."""
    with engine.db.session() as s:
        def rows(*columns: Any) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in s.execute(select(*columns)).all())

        events = Counter((e.kind, e.subject_id, e.payload) for e in s.scalars(select(AuditEventRow))
                         if e.kind != "rows.recorded")  # one per commit: a batch has fewer commits
        feed = Counter((e.type, e.subject_id, str(sorted((k, v) for k, v in e.data.items()
                                                         if k not in ("action_id", "until"))))
                       for e in s.scalars(select(OutboxEvent)))
        decisions = {row.id: (row.decision["verdict"], sorted(str(a) for a in row.decision["actions"]))
                     for row in s.scalars(select(PostRow))}
        verified = audit.verify(s)
        return {
            "posts": rows(PostRow.id, PostRow.author, PostRow.verdict, PostRow.status, PostRow.text),
            "decisions": decisions,
            "links": rows(PostLink.post_id, PostLink.url, PostLink.host),
            "accounts": rows(Account.id, Account.limited),
            "actions": rows(EnforcementAction.post_id, EnforcementAction.account, EnforcementAction.type,
                            EnforcementAction.clause, EnforcementAction.target),
            "strikes": rows(Strike.account, Strike.post_id, Strike.clause),
            "sanctions": rows(Sanction.account, Sanction.kind, Sanction.post_id, Sanction.clause),
            "events": events, "feed": feed, "chain intact": verified.ok, "unsealed": verified.unsealed,
        }


def test_a_batch_leaves_what_one_by_one_leaves(any_db_url: str, tmp_path: Any) -> None:
    batched, single = make_engine(any_db_url), make_engine(f"sqlite:///{tmp_path}/one-by-one.db")
    for engine in (batched, single):
        one_by_one(engine, BEFORE)
    expected = one_by_one(single, BATCH)
    got = batched.ingest_many(BATCH, actor="worker")
    assert [answer(r) for r in got] == [answer(r) for r in expected]
    assert [answer(r) for r in got] == [
        ("b1", "remove", True, answer(got[0])[3]), ("quiet", "allow", True, ()),
        ("b1", "remove", False, answer(got[0])[3]), ("kept", "allow", False, ()),
        ("error", "Conflict", "post_conflict"), ("error", "InvalidURL", "invalid_url"),
        ("b2", "remove", True, answer(got[6])[3]), ("new-author", "remove", True, answer(got[7])[3]),
        ("quiet2", "allow", True, ())]
    assert state(batched) == state(single)
    with batched.db.session() as s:  # the ladder counted the batch's own strikes: suspended again, then banned
        kinds = sorted(s.scalars(select(Sanction.kind).where(Sanction.account == "journo")))
        assert kinds == ["ban", "suspend", "suspend"]
        assert s.scalar(select(func.count()).select_from(Strike).where(Strike.account == "journo")) == 3


def test_a_batch_delivered_again_changes_nothing(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    engine.ingest_many(BATCH, actor="worker")
    before = state(engine)
    again = engine.ingest_many(BATCH, actor="worker")
    assert not any(isinstance(r, tuple) and r[1] for r in again)  # nothing stored the second time
    assert state(engine) == before


def test_a_failing_check_fails_its_post_only(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(any_db_url)
    check = engine._check

    def broken(p: Post, **options: Any) -> Decision:
        if p.id == "quiet":
            raise RuntimeError("a detector's bug")
        return check(p, **options)

    monkeypatch.setattr(engine, "_check", broken)
    results = engine.ingest_many(BATCH[:2], actor="worker")
    assert answer(results[0])[:3] == ("b1", "remove", True)
    assert isinstance(results[1], RuntimeError)


def test_batches_racing_on_the_same_posts_store_each_once(any_db_url: str) -> None:
    """Engines sharing a database ingest overlapping batches at once: a batch that loses a race
    falls back to one by one; every post is stored once, every strike counted once."""
    make_engine(any_db_url)
    engines = [Engine(any_db_url, policy="strict", detectors=[]) for _ in range(3)]
    posts = [post(f"s{i}", f"copy {BLOCKED}{i}", author=f"u{i % 5}") for i in range(36)]
    start = threading.Barrier(len(engines))

    def ingest_all(k: int) -> list[tuple[Any, ...]]:
        mine = [p for i, p in enumerate(posts) if i % len(engines) != k][::(-1) ** k]  # each post to 2 of 3
        start.wait()
        out = []
        for i in range(0, len(mine), 8):
            out.extend(answer(r) for r in engines[k].ingest_many(mine[i:i + 8], actor=f"engine{k}"))
        return out

    with ThreadPoolExecutor(max_workers=len(engines)) as pool:
        results = [r for rs in pool.map(ingest_all, range(len(engines))) for r in rs]
    assert len(results) == 2 * len(posts)
    assert sum(1 for r in results if r[2]) == len(posts)  # stored by exactly one writer each
    assert len({(r[0], r[1]) for r in results}) == len(posts)
    with engines[0].db.session() as s:
        assert s.scalar(select(func.count()).select_from(PostRow)) == len(posts)
        assert s.scalar(select(func.count()).select_from(Strike)) == len(posts)
        assert len(list(audit.events(s, kind="decision"))) == len(posts)
        doubled = select(EnforcementAction.post_id).group_by(
            EnforcementAction.post_id, EnforcementAction.type, EnforcementAction.clause, EnforcementAction.target
        ).having(func.count() > 1)
        assert list(s.scalars(doubled)) == []
        assert audit.verify(s).ok
