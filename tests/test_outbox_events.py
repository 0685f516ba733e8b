"""The outbox: events written with each change (same transaction), read in commit order from a cursor."""

from __future__ import annotations

import json
import threading

import pytest
from e2e.casework import ADDRESS, PDF_TEXT, SSN, casework_engine, seed
from e2e.cli import run
from fastapi.testclient import TestClient
from sqlalchemy import select

from leakwarden.enforcement import appeals, review
from leakwarden.engine import Engine
from leakwarden.outbox import EVENT_TYPES, emit, read
from leakwarden.service.app import create_app
from leakwarden.service.auth import Principal, create_key
from leakwarden.store.db import Database
from leakwarden.store.tables import CaseRow, EnforcementAction

MOD = Principal("mod:alice", "moderator")


def all_events(db: Database) -> list[dict[str, object]]:
    return read(db, 0, 1000).events


def types(db: Database) -> list[str]:
    return [str(e["type"]) for e in all_events(db)]


@pytest.fixture
def engine(any_db_url: str) -> Engine:
    e = casework_engine(any_db_url)
    seed(e)
    return e


def test_each_change_is_an_event(engine: Engine) -> None:
    seen = types(engine.db)
    assert seen.count("decision.made") == 3
    assert "action.applied" in seen and "account.standing_changed" in seen
    made = [e for e in all_events(engine.db) if e["type"] == "decision.made"]
    assert [e["subject"] for e in made] == [{"type": "post", "id": p} for p in ("p-dossier", "p-doxx", "p-ok")]
    doxx = made[1]["data"]
    assert isinstance(doxx, dict) and doxx["verdict"] == "remove" and doxx["account"] == "troll"
    assert {r["clause"] for r in doxx["reasons"]} and all(set(r) == {"signal", "clause", "strength"}
                                                          for r in doxx["reasons"])
    standing = [e["data"] for e in all_events(engine.db) if e["type"] == "account.standing_changed"
                and e["subject"] == {"type": "account", "id": "troll"}]
    assert standing and standing[-1]["state"] == "suspended"  # type: ignore[index]

    with engine.db.session() as s:
        case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-doxx", CaseRow.source == "policy")).one()
        review.overturn(s, case, MOD, "satire, not a dossier")
    after = all_events(engine.db)[len(seen):]
    kinds = [e["type"] for e in after]
    assert "action.reversed" in kinds and kinds[-1] == "case.resolved"
    assert after[kinds.index("account.standing_changed")]["data"]["state"] == "good"  # type: ignore[index]
    assert after[-1]["data"] == {"case_id": case, "post_id": "p-doxx", "account": "troll", "source": "policy",
                                 "resolution": "overturned", "by": MOD.name}


def test_a_resolved_appeal_is_an_event(engine: Engine) -> None:
    with engine.db.session() as s:
        action = s.scalars(select(EnforcementAction).where(EnforcementAction.post_id == "p-dossier",
                                                           EnforcementAction.type == "suspend")).one()
        case = appeals.file_appeal(s, action.id, "journo", "it is journalism", filed_by="journo").case_id
    with engine.db.session() as s:
        appeals.resolve_appeal(s, case, MOD, granted=True, note="newsworthy")
    events = all_events(engine.db)
    resolved = [e for e in events if e["type"] == "appeal.resolved"]
    assert len(resolved) == 1 and resolved[0]["data"]["outcome"] == "granted"  # type: ignore[index]
    assert resolved[0]["data"]["action_ids"] == [action.id]  # type: ignore[index]
    reversed_ = [e["data"] for e in events if e["type"] == "action.reversed"]
    # granting an appeal of a post's action restores the post: every action on it is reversed
    assert action.id in [d["action_id"] for d in reversed_]  # type: ignore[index]
    assert {d["post_id"] for d in reversed_} == {"p-dossier"}  # type: ignore[index]


def test_events_carry_no_private_values(engine: Engine) -> None:
    with engine.db.session() as s:
        case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == "p-doxx", CaseRow.source == "policy")).one()
        review.overturn(s, case, MOD, f"her address {ADDRESS} is public")  # a note may quote anything
    text = json.dumps(all_events(engine.db), ensure_ascii=False)
    for private in (ADDRESS, SSN, "6789", PDF_TEXT[:40], "satire", "public"):
        assert private not in text


def test_an_event_exists_only_if_its_change_committed(any_db_url: str) -> None:
    db = Database(any_db_url)
    with pytest.raises(RuntimeError), db.session() as s:
        emit(s, "case.resolved", ("case", "1"), {"case_id": 1})
        raise RuntimeError("the change fails")
    with db.session() as s:
        emit(s, "case.resolved", ("case", "2"), {"case_id": 2})
    assert [e["data"] for e in all_events(db)] == [{"case_id": 2}]
    with pytest.raises(ValueError), db.session() as s:
        emit(s, "no.such.type", ("case", "3"), {})


def test_the_cursor_resumes_without_gaps_or_repeats(any_db_url: str) -> None:
    db = Database(any_db_url)
    for n in range(7):
        with db.session() as s:
            emit(s, EVENT_TYPES[n % len(EVENT_TYPES)], ("case", str(n)), {"n": n})
    pages, after = [], 0
    while True:
        page = read(db, after, 3)
        if not page.events:
            assert page.next == after  # nothing new: the cursor stays
            break
        pages.append([e["data"]["n"] for e in page.events])  # type: ignore[index]
        after = page.next
    assert pages == [[0, 1, 2], [3, 4, 5], [6]]
    with db.session() as s:
        emit(s, "case.resolved", ("case", "7"), {"n": 7})
    assert [e["data"] for e in read(db, after).events] == [{"n": 7}]


def test_an_early_id_committed_late_is_not_skipped(any_db_url: str) -> None:
    """Transaction A takes the lower id, B commits first, a reader moves its cursor past B; A's
    event still comes after the cursor once A commits."""
    db = Database(any_db_url)
    if db.dialect == "sqlite":
        pytest.skip("SQLite has one writer at a time: its transactions cannot commit out of id order")
    with db.session() as a:
        first = emit(a, "case.resolved", ("case", "A"), {"who": "A"})
        a.flush()
        with db.session() as b:
            second = emit(b, "case.resolved", ("case", "B"), {"who": "B"})
            b.flush()
            assert first.id < second.id
        page = read(db, 0)
        assert [e["data"] for e in page.events] == [{"who": "B"}]
    later = read(db, page.next)
    assert [e["data"] for e in later.events] == [{"who": "A"}]
    assert read(db, later.next).events == []


def test_two_writers_and_a_reader_lose_nothing(any_db_url: str) -> None:
    db = Database(any_db_url)
    per_writer = 40
    got: list[dict[str, object]] = []
    done = threading.Event()
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for n in range(per_writer):
                with db.session() as s:
                    emit(s, "case.resolved", ("case", name), {"w": name, "n": n})
                    if n % 2:
                        emit(s, "appeal.resolved", ("case", name), {"w": name, "n": n, "second": True})
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def reader() -> None:
        after = 0
        while True:
            finished = done.is_set()
            page = read(db, after, 7)
            got.extend(page.events)
            after = page.next
            if finished and not page.events:
                return

    threads = [threading.Thread(target=writer, args=(w,)) for w in ("w1", "w2")]
    pull = threading.Thread(target=reader)
    pull.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    pull.join(60)
    assert not failures and not pull.is_alive()
    seqs = [e["seq"] for e in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # in order, each once
    for w in ("w1", "w2"):
        mine = [(e["data"]["n"], e["type"]) for e in got if e["data"]["w"] == w]  # type: ignore[index]
        assert len(mine) == per_writer + per_writer // 2
        assert [n for n, _ in mine] == sorted(n for n, _ in mine)  # one writer's events keep its order


def test_the_feed_through_the_api(any_db_url: str) -> None:
    engine = casework_engine(any_db_url)
    seed(engine)
    mod = {"Authorization": f"Bearer {create_key(engine.db, 'moderator')[1]}"}
    sub = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        assert client.get("/v1/events", headers=sub).status_code == 403
        first = client.get("/v1/events?limit=2", headers=mod).json()
        assert len(first["events"]) == 2 and first["next"] == first["events"][-1]["seq"]
        rest = client.get(f"/v1/events?after={first['next']}&limit=1000", headers=mod).json()
        everything = client.get("/v1/events?limit=1000", headers=mod).json()["events"]
        assert first["events"] + rest["events"] == everything
        made = client.get("/v1/events?type=decision.made", headers=mod).json()["events"]
        assert [e["subject"]["id"] for e in made] == ["p-dossier", "p-doxx", "p-ok"]
        for bad in ("after=-1", "limit=0", "limit=100000", "type=nonsense", "after=x"):
            answer = client.get(f"/v1/events?{bad}", headers=mod)
            assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_input", bad


def test_the_feed_through_the_cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    seed(casework_engine(db_url))

    code, out, _ = run(capsys, "events", "--limit", "2", "--db", db_url)
    first = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(first) == 2
    _, out, _ = run(capsys, "events", "--after", str(first[-1]["seq"]), "--limit", "1000", "--db", db_url)
    rest = [json.loads(line) for line in out.splitlines()]
    assert [e["seq"] for e in first + rest] == list(range(1, len(first) + len(rest) + 1))
    code, _, err = run(capsys, "events", "--after", "-1", "--db", db_url)
    assert code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1


def test_decided_again_completed_or_revised(any_db_url: str) -> None:
    from leakwarden.model import Post

    engine = Engine(any_db_url, detectors=[])
    engine.ingest(Post(id="p1", author="a", text="see https://files.example/x"))
    before = len(types(engine.db))
    engine.redecide("p1")  # nothing changed: nothing to tell
    assert len(types(engine.db)) == before
    engine.redecide("p1", kind="decision.completed")  # a partial decision finished: told even unchanged
    assert types(engine.db)[before:] == ["decision.completed"]
    engine.rules.add("domain", "files.example", "block", "hosts the dossier", "mod:alice")
    revised = list(engine.retro_rules())
    assert [d.verdict.value for d in revised] != ["allow"]
    new = [e for e in all_events(engine.db)[before + 1:] if e["type"] == "decision.revised"]
    assert [(e["subject"]["id"], e["data"]["verdict"]) for e in new] == [("p1", revised[0].verdict.value)]  # type: ignore[index]
