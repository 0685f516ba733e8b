"""The audit log is hash-chained, persisted, and any edit is caught."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

from leakwarden.audit import log as audit
from leakwarden.audit import signing
from leakwarden.engine import Engine
from leakwarden.model import Post
from leakwarden.store.tables import AuditEventRow, AuditHead, PostRow


def busy_engine(url: str) -> Engine:
    engine = Engine(url, detectors=[])
    engine.rules.add("domain", "newsletter.example", "block", "source", "mod", source=True)
    for i in range(3):
        engine.ingest(Post(id=f"p{i}", author="a", text=f"https://newsletter.example/{i}"))
    return engine


def test_chain_verifies_after_real_work(any_db_url: str) -> None:
    engine = busy_engine(any_db_url)
    with engine.db.session() as s:
        result = audit.verify(s)
        kinds = {e.kind for e in audit.events(s)}
    assert result.ok and result.checked > 10
    assert {"policy.loaded", "rule.added", "decision", "action.applied"} <= kinds


def test_an_edited_row_is_caught(any_db_url: str) -> None:
    engine = busy_engine(any_db_url)
    with engine.db.session() as s:
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 5).values(actor="someone-else"))
    with engine.db.session() as s:
        result = audit.verify(s)
    assert not result.ok and result.first_broken == 5 and "content" in (result.problem or "")


def test_a_deleted_row_is_caught(any_db_url: str) -> None:
    engine = busy_engine(any_db_url)
    with engine.db.session() as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq == 4))
    with engine.db.session() as s:
        result = audit.verify(s)
    assert not result.ok and result.first_broken == 4


def test_a_truncated_tail_is_caught(db_url: str) -> None:
    engine = busy_engine(db_url)
    with engine.db.session() as s:
        last = max(e.seq for e in audit.events(s))
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq == last))
    with engine.db.session() as s:
        assert not audit.verify(s).ok


def test_the_log_survives_reopening(db_url: str) -> None:
    busy_engine(db_url).db.dispose()
    reopened = Engine(db_url, detectors=[])
    with reopened.db.session() as s:
        assert audit.verify(s).ok
        assert sum(1 for e in audit.events(s, kind="decision")) == 3


def test_events_are_written_unsealed_and_chained_after_commit(any_db_url: str) -> None:
    engine = busy_engine(any_db_url)
    with engine.db.session() as s:
        event = audit.append(s, actor="mod", kind="note", subject_type="post", subject_id="p1", payload={"n": 1})
        s.flush()
        assert event.seq is None and event.hash is None and event.mac  # no place in the chain yet
        unsealed = [e.id for e in audit.events(s) if e.seq is None]
        assert unsealed == [event.id]  # readers see it, after the sealed ones
    with engine.db.session() as s:
        sealed = s.get_one(AuditEventRow, event.id)
        head = s.get_one(AuditHead, 1)
        assert sealed.seq == head.seq and sealed.hash == head.hash and head.signature  # the writer sealed it
    assert audit.seal_and_verify(engine.db.engine).ok


def test_a_writer_in_its_transaction_blocks_no_other_writer(any_db_url: str) -> None:
    """The chain is no longer a lock held through the ingest transaction: while one transaction with
    an audit event stays open, another post is ingested and its events sealed."""
    if any_db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time whatever the log does")
    engine = busy_engine(any_db_url)
    other = Engine(any_db_url, detectors=[])
    with engine.db.session() as s:
        audit.append(s, actor="mod", kind="note", subject_type="post", subject_id="p1")
        s.flush()  # its row is written, its transaction open
        with ThreadPoolExecutor(1) as pool:
            done = pool.submit(other.ingest, Post(id="q1", author="b", text="https://newsletter.example/q"))
            assert done.result(timeout=30).post_id == "q1"
    with engine.db.session() as s:
        assert all(e.seq is not None for e in audit.events(s))
    assert audit.seal_and_verify(engine.db.engine).ok


def test_seal_catches_up_on_events_a_writer_left(db_url: str) -> None:
    engine = busy_engine(db_url)
    with engine.db.engine.begin() as conn, Session(conn) as s:  # a session on a connection: the caller seals
        audit.append(s, actor="mod", kind="note", subject_type="post", subject_id="p1")
        s.commit()
    with engine.db.session() as s:
        assert sum(1 for e in audit.events(s) if e.seq is None) == 1
    assert audit.seal(engine.db.engine) == 1
    assert audit.seal_and_verify(engine.db.engine).ok


def test_the_sealer_never_signs_over_a_rewritten_head(db_url: str) -> None:
    engine = busy_engine(db_url)
    with engine.db.session() as s:
        s.execute(update(AuditHead).values(hash="f" * 64))
    with pytest.raises(audit.ChainHeadUnsigned):
        audit.seal(engine.db.engine)
    engine.ingest(Post(id="late", author="a", text="hello"))  # accepted; its events wait unsealed
    result = audit.seal_and_verify(engine.db.engine)
    assert not result.ok and result.unsealed > 0 and "head does not match" in (result.problem or "")


@pytest.mark.parametrize(("column", "value"), [
    ("seq", 10_000), ("hash", "e" * 64), ("signed_at", datetime(2020, 1, 1, tzinfo=UTC)), ("key_id", "0" * 16),
    ("signature", "ab" * 64)])
def test_a_head_changed_in_any_field_after_this_process_signed_it_is_refused(
        db_url: str, column: str, value: object) -> None:
    """The sealer remembers the last head it signed so as not to verify it again: any field changed
    since, in the database, is verified, and refused."""
    engine = busy_engine(db_url)  # each write sealed: this process signed the head as it stands
    with engine.db.session() as s:
        s.execute(update(AuditHead).values({column: value}))
    with pytest.raises(audit.ChainHeadUnsigned):
        audit.seal(engine.db.engine)


def test_the_key_file_is_made_on_first_use_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys" / "audit.key"
    monkeypatch.setenv("LEAKWARDEN_AUDIT_KEY_FILE", str(path))
    signing.forget_cached_keys()
    key = signing.signing_key()
    assert path.stat().st_mode & 0o777 == 0o600 and len(path.read_text().strip()) == 64
    signing.forget_cached_keys()
    assert signing.key_id(signing.signing_key().public_key()) == signing.key_id(key.public_key())
    path.write_text("not a key\n")
    signing.forget_cached_keys()
    with pytest.raises(signing.AuditKeyUnavailable, match="not 64 hex digits"):
        signing.signing_key()
    signing.forget_cached_keys()


def test_cli_checkpoint_then_verify_against_it(capsys: pytest.CaptureFixture[str], db_url: str,
                                               tmp_path: Path) -> None:
    from test_cli import run as run_cli  # the CLI as a user meets it: one line and an exit status

    def run(*args: str) -> tuple[int, str]:
        code, out, err = run_cli(capsys, *args)
        return code, out + err

    engine = busy_engine(db_url)
    code, said = run("audit", "seal", "--db", db_url)
    assert code == 0 and said.startswith("sealed 0 events")  # the writers sealed their own
    kept = tmp_path / "checkpoint.json"
    code, said = run("audit", "checkpoint", "--out", str(kept), "--db", db_url)
    assert code == 0 and "written to" in said and json.loads(kept.read_text())["signature"]
    engine.ingest(Post(id="later", author="a", text="https://newsletter.example/later"))  # the chain grows on
    code, said = run("audit", "verify", "--checkpoint", str(kept), "--db", db_url)
    assert code == 0 and "consistent with the checkpoint" in said
    with engine.db.session() as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq > 3))
        s.execute(update(AuditHead).values(seq=3, hash=s.get_one(AuditEventRow, 3).hash))
    code, said = run("audit", "verify", "--checkpoint", str(kept), "--db", db_url)
    assert code == 1 and "BROKEN" in said
    altered = json.loads(kept.read_text()) | {"size": 2}
    kept.write_text(json.dumps(altered))
    code, said = run("audit", "verify", "--checkpoint", str(kept), "--db", db_url)
    assert code == 2 and "signature does not hold" in said and "Traceback" not in said
    code, said = run("audit", "verify", "--checkpoint", str(tmp_path / "missing.json"), "--db", db_url)
    assert code == 2 and "cannot read the checkpoint" in said


def test_api_checkpoints_and_verify_against_them(db_url: str) -> None:
    from fastapi.testclient import TestClient

    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key

    engine = busy_engine(db_url)
    keys = {role: {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"} for role in ("moderator", "admin")}
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        assert client.post("/v1/audit/checkpoints", headers=keys["moderator"]).status_code == 403
        made = client.post("/v1/audit/checkpoints", headers=keys["admin"])
        assert made.status_code == 201
        kept = made.json()
        engine.ingest(Post(id="later", author="a", text="hello"))
        checked = client.post("/v1/audit/verify", json=kept, headers=keys["admin"]).json()
        assert checked["ok"] and checked["checkpoint"] == kept["size"] and checked["checked"] > kept["size"]
        forged = client.post("/v1/audit/verify", json=kept | {"hash": "0" * 64}, headers=keys["admin"])
        assert forged.status_code == 422 and forged.json()["error"]["code"] == "invalid_checkpoint"
        with engine.db.session() as s:
            s.execute(delete(AuditEventRow).where(AuditEventRow.seq == 2))
        assert client.get("/v1/audit/verify", headers=keys["admin"]).json()["first_broken"] == 2
        broken = client.post("/v1/audit/verify", json=kept, headers=keys["admin"]).json()
        assert not broken["ok"] and broken["first_broken"] == 2


def test_forged_unsealed_rows_neither_get_sealed_nor_hold_up_the_others(db_url: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    engine = busy_engine(db_url)
    monkeypatch.setattr(audit, "_SEAL_BATCH", 2)
    with engine.db.engine.begin() as conn:  # an intruder's rows, written with plain SQL
        for i in range(3):
            conn.execute(text("INSERT INTO audit_events (at, actor, kind, subject_type, subject_id, payload, mac) "
                              "VALUES (:at, 'x', 'note', 'post', 'p1', '{}', :mac)"),
                         {"at": datetime.now(UTC), "mac": f"{i:016x}." + "0" * 64})
    engine.ingest(Post(id="late", author="b", text="hello"))
    with engine.db.session() as s:
        unsealed = [e.actor for e in audit.events(s) if e.seq is None]
        assert unsealed == ["x", "x", "x"]
        assert s.get_one(PostRow, "late") and all(e.seq for e in audit.events(s, subject_id="late"))
    result = audit.seal_and_verify(engine.db.engine)
    assert not result.ok and "forged" in (result.problem or "") and result.unsealed == 3


def test_a_batch_can_defer_sealing_to_its_end(db_url: str) -> None:
    engine = busy_engine(db_url)
    with audit.deferred_sealing(engine.db.engine):
        for i in range(3):
            engine.ingest(Post(id=f"batch{i}", author="b", text=f"https://newsletter.example/b{i}"))
        with engine.db.session() as s:
            assert sum(1 for e in audit.events(s) if e.seq is None) >= 3  # committed, not chained yet
    with engine.db.session() as s:
        assert all(e.seq is not None for e in audit.events(s))
    assert audit.seal_and_verify(engine.db.engine).ok


def test_a_writer_seals_with_one_connection_at_a_time(any_db_url: str) -> None:
    """The seal after a commit waits for the writer's connection to go back to the pool: with two
    held at once, N concurrent writers needed 2N connections and ran the pool dry."""
    from sqlalchemy import event

    engine = busy_engine(any_db_url)
    held, most = [0], [0]

    def checkout(*_: object) -> None:
        held[0] += 1
        most[0] = max(most[0], held[0])

    def checkin(*_: object) -> None:
        held[0] -= 1

    event.listen(engine.db.engine, "checkout", checkout)
    event.listen(engine.db.engine, "checkin", checkin)
    engine.ingest(Post(id="one-more", author="b", text="https://newsletter.example/x"))
    engine.ingest_many([Post(id=f"batch{i}", author="c", text="https://newsletter.example/y") for i in range(3)])
    with engine.db.session() as s:
        assert s.get_one(AuditHead, 1).seq == s.query(AuditEventRow).count()  # all sealed meanwhile
    assert most[0] == 1


def _unsealed(engine: Engine) -> int:
    with engine.db.session() as s:
        return sum(1 for e in audit.events(s) if e.seq is None)


def _until_sealed(engine: Engine, timeout: float = 20.0) -> int:
    import time

    deadline = time.monotonic() + timeout
    while (left := _unsealed(engine)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def test_a_background_sealer_chains_what_writers_commit(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writers of a process with a background sealer only wake it: four threads ingest, the
    sealer's thread (and no writer) chains every event in commit order, and the chain verifies.
    Stopped, it seals what is left itself; the writers seal after their commits again."""
    import threading

    engine = busy_engine(any_db_url)
    sealed_by: list[str] = []
    seal = audit.seal

    def watched(*args: object, **kwargs: object) -> int:
        sealed_by.append(threading.current_thread().name)
        return seal(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "seal", watched)
    sealer = audit.BackgroundSealer(engine.db.engine).start()
    try:
        with pytest.raises(RuntimeError):
            audit.BackgroundSealer(engine.db.engine).start()  # one a database
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: engine.ingest(Post(id=f"bg{i}", author=f"w{i % 3}",
                                                        text=f"https://newsletter.example/bg{i}")), range(24)))
        assert _until_sealed(engine) == 0
        assert sealed_by and set(sealed_by) == {"leakwarden-audit-sealer"}
        assert audit.seal_and_verify(engine.db.engine).ok
        with audit.deferred_sealing(engine.db.engine):  # the sealer's thread is not woken inside it
            engine.ingest(Post(id="late", author="w", text="https://newsletter.example/late"))
    finally:
        sealer.stop()
    assert _unsealed(engine) == 0
    engine.ingest(Post(id="after", author="w", text="https://newsletter.example/after"))
    assert _unsealed(engine) == 0  # sealed by the writer, after its commit, as before
    assert audit.seal_and_verify(engine.db.engine).ok


def test_the_server_seals_in_the_background_while_it_runs(db_url: str) -> None:
    """``create_app(seal_in_background=True)`` (``leakwarden serve``): requests commit, the app's
    sealer chains their events; at shutdown nothing is left unsealed."""
    from fastapi.testclient import TestClient

    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key

    engine = busy_engine(db_url)
    key = create_key(engine.db, "submitter")[1]
    with TestClient(create_app(engine, seal_in_background=True)) as http:
        assert engine.db.engine in audit._BACKGROUND
        for i in range(5):
            answer = http.post("/v1/posts", json={"id": f"api{i}", "author": "w", "text": f"note {i}"},
                               headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code in (200, 201), answer.text
        assert _until_sealed(engine) == 0
    assert engine.db.engine not in audit._BACKGROUND
    assert _unsealed(engine) == 0
    assert audit.seal_and_verify(engine.db.engine).ok
