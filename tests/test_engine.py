"""The pipeline end to end on the URL-rule signal: decide, enforce, record, idempotently."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from leakwarden.enforcement.actions import reinstate
from leakwarden.enforcement.standing import standing_of
from leakwarden.engine import Engine
from leakwarden.errors import Conflict, InvalidURL
from leakwarden.model import Post, StandingState, Verdict, utcnow
from leakwarden.store.tables import PostRow, Sanction, Strike


def make_engine(url: str, policy: str = "strict") -> Engine:
    return Engine(url, policy=policy, detectors=[])


def post(pid: str, text: str, author: str = "journo", **extra: object) -> Post:
    return Post.model_validate({"id": pid, "author": author, "text": text, **extra})


@pytest.fixture
def engine(any_db_url: str) -> Engine:
    e = make_engine(any_db_url)
    e.rules.add("domain", "newsletter.example", "block", "source of the dossier", "mod", source=True)
    return e


def test_check_stores_nothing(engine: Engine) -> None:
    decision = engine.check(post("p1", "see https://newsletter.example/p/dossier"))
    assert decision.verdict is Verdict.REMOVE
    with engine.db.session() as s:
        assert s.scalar(select(func.count()).select_from(PostRow)) == 0


def test_ingest_is_idempotent_on_post_id(engine: Engine) -> None:
    p = post("p1", "see https://newsletter.example/p/dossier")
    first = engine.ingest(p)
    again = engine.ingest(p)
    assert first.verdict is again.verdict is Verdict.REMOVE
    with engine.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Strike)) == 1
        assert standing_of(s, "journo").state is StandingState.SUSPENDED


def test_same_id_different_content_is_a_conflict(engine: Engine) -> None:
    engine.ingest(post("p1", "hello"))
    with pytest.raises(Conflict):
        engine.ingest(post("p1", "hello, changed"))


@pytest.mark.parametrize("text,links,verdict", [
    ("plain words, no links", [], Verdict.ALLOW),
    ("HTTPS://NEWSLETTER.EXAMPLE./p/dossier#top", [], Verdict.REMOVE),
    ("mirror at http://cdn.newsletter.example:80/x", [], Verdict.REMOVE),
    ("", ["https://newsletter.example/%70/dossier"], Verdict.REMOVE),
    ("not the same site: https://notnewsletter.example/p", [], Verdict.ALLOW),
    ("bare link newsletter.example/p/dossier in prose", [], Verdict.REMOVE),
])
def test_variants_of_a_blocked_url_do_not_slip_through(engine: Engine, text: str, links: list[str],
                                                       verdict: Verdict) -> None:
    assert engine.check(post("p", text, links=links)).verdict is verdict


def test_a_more_specific_allow_outranks_a_broader_block(engine: Engine) -> None:
    engine.rules.add("prefix", "https://newsletter.example/public/", "allow", "public notices", "mod")
    assert engine.check(post("a", "https://newsletter.example/public/notice")).verdict is Verdict.ALLOW
    assert engine.check(post("b", "https://newsletter.example/p/dossier")).verdict is Verdict.REMOVE


def test_invalid_link_field_is_an_error(engine: Engine) -> None:
    with pytest.raises(InvalidURL):
        engine.check(post("p", "x", links=["ftp://files.example/x"]))


def test_strike_ladder_suspends_then_bans(engine: Engine) -> None:
    for i in range(3):
        engine.ingest(post(f"p{i}", f"copy {i}: https://newsletter.example/p/{i}"))
        with engine.db.session() as s:
            state = standing_of(s, "journo")
        expected = StandingState.BANNED if i == 2 else StandingState.SUSPENDED
        assert state.state is expected, i
    with engine.db.session() as s:
        first = s.scalars(select(Sanction).order_by(Sanction.id)).first()
        assert first is not None and first.until is not None
        assert abs((first.until - first.starts_at) - timedelta(hours=12)) < timedelta(seconds=1)


def test_suspension_lifts_itself_when_its_time_comes(engine: Engine) -> None:
    engine.ingest(post("p1", "https://newsletter.example/p/dossier"))
    with engine.db.session() as s:
        s.execute(update(Sanction).values(until=utcnow() - timedelta(seconds=1)))
    with engine.db.session() as s:
        assert standing_of(s, "journo").state is StandingState.GOOD


def test_moderator_reinstatement_outranks_automatic_clauses(engine: Engine) -> None:
    engine.ingest(post("p1", "https://newsletter.example/p/dossier"))
    with engine.db.session() as s:
        reinstate(s, "journo", "mod:alice", "newsworthy")
    # a new rule and a retro-scan would sanction again on the same post: it must not
    engine.rules.add("exact", "https://newsletter.example/p/dossier", "block", "exact copy", "mod", source=True)
    list(engine.retro_rules())
    engine.redecide("p1")
    with engine.db.session() as s:
        assert standing_of(s, "journo").state is StandingState.GOOD
    # new evidence (another post, another URL) still counts
    engine.ingest(post("p2", "https://newsletter.example/other"))
    with engine.db.session() as s:
        assert standing_of(s, "journo").state is StandingState.SUSPENDED


def test_presets_differ_on_the_same_posts(any_db_url: str) -> None:
    strict = make_engine(any_db_url, "strict")
    strict.rules.add("domain", "newsletter.example", "block", "source", "mod", source=True)
    share = strict.with_policy("share-block")
    p1, p2 = post("s1", "https://newsletter.example/d", author="a"), post("b1", "https://newsletter.example/d",
                                                                               author="b")
    d_strict, d_share = strict.ingest(p1), share.ingest(p2)
    assert d_strict.verdict is Verdict.REMOVE and d_share.verdict is Verdict.RESTRICT
    assert {a.type.value for a in d_strict.actions} >= {"remove", "strike", "suspend", "block_link"}
    assert {a.type.value for a in d_share.actions} == {"block_link"}
    with strict.db.session() as s:
        assert standing_of(s, "a").state is StandingState.SUSPENDED
        assert standing_of(s, "b").state is StandingState.GOOD
    assert d_strict.policy_version == "strict@2026.11.30" and d_share.policy_version == "share-block@2026.11.30"


def test_block_link_blocks_the_url_for_everyone_after(any_db_url: str) -> None:
    engine = make_engine(any_db_url, "share-block")
    rule = engine.rules.add("domain", "newsletter.example", "block", "dossier host", "mod")
    decision = engine.ingest(post("p1", "https://newsletter.example/p/dossier"))
    assert [a.url for a in decision.actions if a.type.value == "block_link"] == [
        "https://newsletter.example/p/dossier"]
    engine.rules.remove(int(str(rule["id"])), "mod")  # the domain rule goes; the blocked link stays blocked
    assert engine.check(post("p2", "HTTPS://newsletter.example/p/dossier#x")).verdict is Verdict.RESTRICT
    assert engine.check(post("p3", "https://newsletter.example/p/other")).verdict is Verdict.ALLOW


def test_retro_rules_enforce_on_stored_posts(engine: Engine) -> None:
    engine.ingest(post("old", "https://files.example/dossier.pdf", author="early"))
    version = engine.rules.version
    engine.rules.add("domain", "files.example", "block", "hosts the dossier", "mod", source=True)
    decisions = list(engine.retro_rules(version))
    assert [d.post_id for d in decisions] == ["old"]
    with engine.db.session() as s:
        assert s.get_one(PostRow, "old").status == "removed"
        assert standing_of(s, "early").state is StandingState.SUSPENDED
    assert list(engine.retro_rules(engine.rules.version)) == []  # nothing newer: nothing to do


def test_every_decision_keeps_its_policy_version(engine: Engine) -> None:
    engine.ingest(post("p1", "hello"))
    with engine.db.session() as s:
        row = s.get_one(PostRow, "p1")
        assert row.policy_version == "strict@2026.11.30" == row.decision["policy_version"]


def test_one_post_gives_one_strike_however_many_clauses(engine: Engine, tmp_path: Path) -> None:
    engine.ingest(post("p1", "https://newsletter.example/dossier"))
    renamed = tmp_path / "renamed.toml"
    renamed.write_text('''name = "renamed"
version = "2"
[strikes]
ladder = [{ count = 1, action = "suspend", duration = "1d" }]
[[clauses]]
id = "another-name-for-the-same-thing"
when = { signal = "url_rule", attrs = { action = "block" } }
verdict = "remove"
actions = ["remove", "strike"]
''')
    decision = engine.with_policy(str(renamed)).redecide("p1")
    assert decision.reasons[0].clause == "another-name-for-the-same-thing"
    with engine.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Strike)) == 1


def test_a_weak_signal_opens_a_case_for_a_person(db_url: str) -> None:
    from leakwarden.model import Evidence, Signal, Subject, SubjectKind
    from leakwarden.store.tables import CaseRow

    class WeakPii:
        kind = "pii"
        subjects = frozenset({SubjectKind.POST_TEXT})

        def detect(self, subject: Subject) -> list[Signal]:
            return [Signal(kind="pii", strength=0.6, subject_kind=subject.kind, attrs={"unredacted": True},
                           evidence=[Evidence(summary="maybe a phone number")])]

    engine = Engine(db_url, detectors=[WeakPii()])
    decision = engine.ingest(post("p1", "call me maybe"))
    assert decision.verdict is Verdict.ALLOW
    assert [a.type.value for a in decision.actions] == ["queue_review"]
    with engine.db.session() as s:
        case = s.scalars(select(CaseRow)).one()
        assert (case.source, case.post_id, case.state) == ("detector", "p1", "open")


def test_concurrent_ingests_lose_nothing(engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    posts = [post(f"c{i}", f"copy https://newsletter.example/{i}", author=f"new{i % 3}") for i in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        decisions = list(pool.map(engine.ingest, posts))
    assert [d.verdict for d in decisions] == [Verdict.REMOVE] * 12
    with engine.db.session() as s:
        assert s.scalar(select(func.count()).select_from(PostRow)) == 12
        assert s.scalar(select(func.count()).select_from(Strike)) == 12
        from leakwarden.audit import log as audit

        assert audit.verify(s).ok


def test_a_moderator_can_strike_again_after_an_overturn_but_automation_cannot(engine: Engine) -> None:
    from leakwarden.enforcement.actions import apply
    from leakwarden.enforcement.review import reverse_post
    from leakwarden.model import Action, ActionType

    decision = engine.ingest(post("p1", "https://newsletter.example/p/dossier"))
    with engine.db.session() as s:
        reverse_post(s, "p1", "mod:alice")
        assert standing_of(s, "journo").state is StandingState.GOOD
    engine.redecide("p1")  # automation does not undo a person's reversal
    with engine.db.session() as s:
        assert standing_of(s, "journo").state is StandingState.GOOD
        assert s.get_one(PostRow, "p1").status == "visible"
        manual = decision.model_copy(update={"actions": [Action(type=ActionType.STRIKE, clause="review:case-1")]})
        applied = apply(s, manual, engine.policy, engine.rules, actor="mod:bob", automatic=False).applied
        assert [a.type for a in applied] == [ActionType.STRIKE, ActionType.SUSPEND]
        assert standing_of(s, "journo").state is StandingState.SUSPENDED


LIMITING = """name = "limiting"
version = "1"
[strikes]
expire_after = "30d"
ladder = [{ count = 1, action = "limit" }, { count = 2, action = "suspend", duration = "1d" }]
[[clauses]]
id = "blocked"
when = { signal = "url_rule", attrs = { action = "block" } }
verdict = "remove"
actions = ["remove", "strike"]
"""


def test_strikes_expire_and_a_rung_can_limit(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "limiting.toml"
    path.write_text(LIMITING)
    limiting = engine.with_policy(str(path))
    first = limiting.ingest(post("p1", "https://newsletter.example/1"))
    assert [a.type.value for a in first.actions] == ["remove", "strike", "limit"]
    with engine.db.session() as s:
        assert standing_of(s, "journo").state is StandingState.LIMITED
        s.execute(update(Strike).values(expires_at=utcnow() - timedelta(seconds=1)))  # 30 days pass
    second = limiting.ingest(post("p2", "https://newsletter.example/2"))
    assert [a.type.value for a in second.actions] == ["remove", "strike", "limit"]  # the first strike expired
    with engine.db.session() as s:
        assert standing_of(s, "journo").active_strikes == 1
        reinstate(s, "journo", "mod:alice")
        assert standing_of(s, "journo").state is StandingState.GOOD


def test_a_blocked_link_stays_a_source_when_a_narrower_rule_wins(engine: Engine) -> None:
    first = engine.ingest(post("p1", "https://newsletter.example/p/dossier"))  # adds an exact block rule
    assert any(a.type.value == "block_link" for a in first.actions)
    again = engine.check(post("p2", "https://newsletter.example/p/dossier", author="other"))
    assert [r.clause for r in again.reasons] == ["source-of-hacked-material"]
    assert "strike" in {a.type.value for a in again.actions}


def test_engines_racing_on_the_same_posts_store_each_once(any_db_url: str) -> None:
    """Engines sharing a database (as processes do) ingest overlapping posts at the same time: the
    loser of a race on a post id gets the stored decision, not an error, and nothing is doubled."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from leakwarden.audit import log as audit

    make_engine(any_db_url).rules.add("domain", "newsletter.example", "block", "source", "mod", source=True)
    engines = [make_engine(any_db_url) for _ in range(4)]
    posts = [post(f"s{i}", f"copy https://newsletter.example/{i}", author=f"u{i % 5}") for i in range(40)]
    start = threading.Barrier(len(engines))

    created: list[str] = []

    def ingest_all(k: int) -> list[tuple[str, str, tuple[tuple[str, str | None, str | None], ...]]]:
        mine = [p for i, p in enumerate(posts) if i % len(engines) != k]  # each post goes to 3 of the 4
        start.wait()
        out = []
        for p in mine:
            d, stored_here = engines[k].ingest_once(p, actor=f"engine{k}")
            if stored_here:
                created.append(d.post_id)
            out.append((d.post_id, d.verdict.value, tuple(sorted(a.key() for a in d.actions))))
        return out

    with ThreadPoolExecutor(max_workers=len(engines)) as pool:
        results = [r for rs in pool.map(ingest_all, range(len(engines))) for r in rs]
    assert len(results) == 3 * len(posts)
    assert len(set(results)) == len(posts)  # every engine saw the same decision for the same post
    assert sorted(created) == sorted(p.id for p in posts)  # one writer stored each (the API's 201)
    with engines[0].db.session() as s:
        assert s.scalar(select(func.count()).select_from(PostRow)) == len(posts)
        assert s.scalar(select(func.count()).select_from(Strike)) == len(posts)
        assert len(list(audit.events(s, kind="decision"))) == len(posts)
        assert audit.verify(s).ok


def test_four_racing_cli_scans_lose_nothing_and_double_nothing(any_db_url: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11's shape: four ``leakwarden scan FILE --ingest`` processes over overlapping files
    (each post in two or more of them, in different orders). Every distinct post is stored once,
    no action, strike or audit event is doubled, and the audit log verifies."""
    import json
    import random
    import subprocess
    import sys

    from leakwarden.audit import log as audit
    from leakwarden.store.tables import AuditEventRow, EnforcementAction

    make_engine(any_db_url).rules.add("domain", "newsletter.example", "block", "source", "mod", source=True)
    monkeypatch.setenv("LEAKWARDEN_EMBEDDER", "none")
    distinct = 120
    lines = [json.dumps({"id": f"s{i}", "author": f"u{i % 9}",
                         "text": f"post {i} https://newsletter.example/{i}" if i % 4 == 0 else f"post {i}"}) + "\n"
             for i in range(distinct)]
    rng = random.Random(11)
    files = []
    for k in range(4):  # post i goes to every file but file i % 4 when i is odd: 2 to 4 copies of each
        mine = [line for i, line in enumerate(lines) if i % 2 == 0 or i % 4 != k]
        rng.shuffle(mine)
        files.append(tmp_path / f"part{k}.jsonl")
        files[-1].write_text("".join(mine))
    sent = sum(len(f.read_text().splitlines()) for f in files)
    assert sent > 3 * distinct
    scans = [subprocess.Popen([sys.executable, "-m", "leakwarden", "scan", str(f), "--ingest", "--no-follow",
                               "--policy", "strict", "--out", str(f) + ".out", "--db", any_db_url],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    for scan, f in zip(scans, files, strict=True):
        out, err = scan.communicate(timeout=300)
        assert scan.returncode == 0 and "error" not in err, err
        assert f"{len(f.read_text().splitlines())} posts decided" in out
    with make_engine(any_db_url).db.session() as s:
        assert s.scalar(select(func.count()).select_from(PostRow)) == distinct
        decided = s.scalars(select(AuditEventRow.subject_id).where(AuditEventRow.kind == "decision")).all()
        assert sorted(decided) == sorted(f"s{i}" for i in range(distinct))  # one decision event per post
        blocked = distinct // 4
        struck = s.scalars(select(Strike.post_id)).all()
        assert sorted(struck) == sorted(f"s{i}" for i in range(0, distinct, 4)) and len(struck) == blocked
        actions = s.execute(select(EnforcementAction.post_id, EnforcementAction.type, EnforcementAction.clause,
                                   EnforcementAction.target)).all()
        assert len(actions) == len(set(actions))
        applied = s.scalar(select(func.count()).select_from(AuditEventRow)
                           .where(AuditEventRow.kind == "action.applied"))
        assert applied == len(actions)  # every action recorded once, none twice
    engine = make_engine(any_db_url)
    assert audit.seal_and_verify(engine.db.engine).ok


def test_the_library_creates_a_database_unless_told_not_to(tmp_path: Path) -> None:
    from leakwarden.store.db import NoDatabase

    with pytest.raises(NoDatabase, match="no database at"):
        Engine(str(tmp_path / "missing" / "lw.db"), detectors=[], create=False)
    assert not (tmp_path / "missing").exists()
    Engine(str(tmp_path / "var" / "lw.db"), detectors=[])  # as the README shows: made on first use
    assert (tmp_path / "var" / "lw.db").exists()
    Engine(str(tmp_path / "var" / "lw.db"), detectors=[], create=False)


def test_rule_changes_and_decisions_at_once_never_deadlock(any_db_url: str) -> None:
    """A decision that blocks a link adds a rule inside its transaction, while moderators add and
    remove rules: the only lock both take is the rules' version (the audit log takes none in their
    transactions), so neither waits on the other crosswise (PostgreSQL aborted such pairs as deadlocks)."""
    import threading

    deciding, moderating = make_engine(any_db_url), make_engine(any_db_url)
    deciding.rules.add("domain", "blocked.example", "block", "a source", "mod")
    errors: list[str] = []

    def decide() -> None:
        for i in range(60):
            try:
                deciding.ingest(post(f"p{i}", f"https://blocked.example/{i}", author=f"u{i % 5}"))
            except Exception as exc:
                errors.append(f"ingest: {type(exc).__name__}")

    def moderate() -> None:
        for i in range(60):
            try:
                rule = moderating.rules.add("domain", f"d{i}.example", "block", "r", "mod")
                if i % 3 == 0:
                    moderating.rules.remove(int(str(rule["id"])), "mod")
            except Exception as exc:
                errors.append(f"rules: {type(exc).__name__}")

    threads = [threading.Thread(target=decide), threading.Thread(target=moderate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with deciding.db.session() as s:
        assert s.scalar(select(func.count()).select_from(PostRow)) == 60


def test_a_new_post_is_enforced_once_without_asking_for_its_earlier_actions(engine: Engine) -> None:
    """A new post has no actions or strike yet: they are recorded without looking them up, once
    each; decided again, the stored post's are looked up, and nothing doubles."""
    from sqlalchemy import event

    from leakwarden.store.tables import EnforcementAction

    asked: list[str] = []

    def listen(_c: object, _cur: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and ("actions.post_id =" in statement
                                                                 or "strikes.post_id =" in statement):
            asked.append(statement)  # the post's own actions or strike (the account's are counted)

    event.listen(engine.db.engine, "before_cursor_execute", listen)
    try:
        decision = engine.ingest(post("p1", "https://newsletter.example/p/dossier"))
        assert asked == []
        engine.redecide("p1")
        assert asked  # a stored post: its actions are looked up
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", listen)
    done = sorted(a.type.value for a in decision.actions)
    assert {"remove", "strike", "suspend"} <= set(done)
    with engine.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Strike)) == 1
        assert s.scalar(select(func.count()).select_from(Sanction)) == 1
        assert sorted(s.scalars(select(EnforcementAction.type))) == done  # each once
        assert standing_of(s, "journo").state is StandingState.SUSPENDED
