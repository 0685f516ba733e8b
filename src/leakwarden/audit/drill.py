"""Tampering drills: what an intruder with write access to the database, but not the audit key, can
do to the log and the rows it covers, one case at a time, and whether ``audit verify`` catches it,
plain and against a checkpoint kept elsewhere.

Each case runs on its own copy of one prepared SQLite database (the checks do not depend on the
database engine) and tampers with plain SQL, as an intruder would: never through leakwarden's
code, whose hooks would record the change. ``bench/bench_tamper.py`` prints the table;
``tests/test_audit_tamper.py`` pins every row of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, create_engine, select, text

from leakwarden.audit import log as audit
from leakwarden.audit import signing
from leakwarden.model import Post, utcnow
from leakwarden.store.tables import AuditEventRow


@dataclass(frozen=True)
class Scene:
    """The prepared database, an older copy of it, and a checkpoint taken at the end."""

    base: Path
    older: Path
    checkpoint: signing.Checkpoint


Tamper = Callable[[Connection, Scene], None]


@dataclass(frozen=True)
class Case:
    name: str
    tamper: Tamper
    plain_misses: str = ""  # why plain `audit verify` cannot see it; empty: it must


@dataclass(frozen=True)
class Outcome:
    case: Case
    plain: audit.VerifyResult
    anchored: audit.VerifyResult


def prepare(directory: Path) -> Scene:
    """A database with decisions, actions, strikes, a suspension and a ban, a reinstatement; an older
    copy of it; then more work, and a checkpoint of the whole."""
    from leakwarden.enforcement.actions import reinstate
    from leakwarden.engine import Engine

    base, older = directory / "base.db", directory / "older.db"
    engine = Engine(str(base), detectors=[], policy="strict")
    engine.rules.add("domain", "leaks.example", "block", "a hack-and-leak source", "mod", source=True)
    for i in range(5):
        engine.ingest(Post(id=f"a{i}", author="alice", text=f"the dossier https://leaks.example/{i}"))
    with engine.db.session() as s:
        reinstate(s, "alice", "mod", "judged in context")
    for i in range(4):
        engine.ingest(Post(id=f"b{i}", author="bob", text=f"again https://leaks.example/b{i}"))
    _copy(base, older)
    for i in range(4):
        engine.ingest(Post(id=f"c{i}", author="carol", text=f"mirror https://leaks.example/c{i}"))
        engine.ingest(Post(id=f"d{i}", author="dan", text=f"council budget vote {i}"))
    kept = audit.checkpoint(engine.db.engine)
    engine.db.dispose()
    return Scene(base=base, older=older, checkpoint=kept)


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def run(case: Case, scene: Scene, directory: Path, key: Ed25519PrivateKey | None = None) -> Outcome:
    """Tamper with a fresh copy of the scene, then verify it plain and against the checkpoint."""
    key = key or signing.signing_key()
    copy = directory / f"{case.name}.db"
    _copy(scene.older if case.tamper is _rollback else scene.base, copy)
    engine = create_engine(f"sqlite:///{copy}")
    try:
        with engine.begin() as conn:
            case.tamper(conn, scene)
        plain = audit.seal_and_verify(engine, key=key)
        anchored = audit.seal_and_verify(engine, key=key, checkpoint=scene.checkpoint)
    finally:
        engine.dispose()
    return Outcome(case, plain, anchored)


# -- what an intruder does ---------------------------------------------------------------------
def _last(conn: Connection) -> int:
    return int(conn.execute(text("SELECT MAX(seq) FROM audit_events")).scalar() or 0)


def _sql(statement: str, **params: Any) -> Tamper:
    def tamper(conn: Connection, _scene: Scene) -> None:
        conn.execute(text(statement.replace(":last", str(_last(conn)))), params)

    return tamper


def _rechain(conn: Connection, start: int) -> tuple[int, str]:
    """Recompute every link from ``start`` on (anyone can: the hash has no key); move the head."""
    table = AuditEventRow.__table__
    rows = conn.execute(select(table).where(table.c.seq >= start).order_by(table.c.seq)).all()
    prev = str(conn.execute(text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": start - 1}).scalar()
               or audit.GENESIS)
    for row in rows:
        digest = audit._digest(prev, row.seq, row.at, row.actor, row.kind, row.subject_type, row.subject_id,
                               row.payload)
        conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s"),
                     {"p": prev, "h": digest, "s": row.seq})
        prev = digest
    last = _last(conn)
    conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": last, "h": prev})
    return last, prev


def _edit_and_rechain(conn: Connection, _scene: Scene) -> None:
    conn.execute(text("""UPDATE audit_events SET payload = '{"verdict":"allow"}' WHERE seq = 6"""))
    _rechain(conn, 6)


def _rechain_own_key(conn: Connection, _scene: Scene) -> None:
    conn.execute(text("""UPDATE audit_events SET payload = '{"verdict":"allow"}' WHERE seq = 6"""))
    last, head = _rechain(conn, 6)
    at = utcnow()
    _, kid, signature = signing.sign_head(Ed25519PrivateKey.generate(), last, head, at)
    conn.execute(text("UPDATE audit_head SET signed_at = :at, key_id = :k, signature = :s"),
                 {"at": at, "k": kid, "s": signature})


def _append(conn: Connection, count: int, *, move_head: bool) -> None:
    last = _last(conn)
    for i in range(count):
        conn.execute(text("INSERT INTO audit_events (seq, at, actor, kind, subject_type, subject_id, payload, "
                          "prev_hash, hash) VALUES (:s, :at, 'mod', 'account.reinstated', 'account', 'carol', "
                          "'{}', '', '')"), {"s": last + 1 + i, "at": utcnow()})
    _rechain(conn, last + 1)
    if not move_head:
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = (SELECT hash FROM audit_events WHERE seq = :s)"),
                     {"s": last})


def _truncate_rewind(conn: Connection, _scene: Scene) -> None:
    last = _last(conn)
    conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": last - 3})
    conn.execute(text("UPDATE audit_head SET seq = :s, hash = (SELECT hash FROM audit_events WHERE seq = :s)"),
                 {"s": last - 3})


def _truncate_to_saved_head(conn: Connection, scene: Scene) -> None:
    with sqlite3.connect(scene.older) as old:
        seq, digest, at, kid, signature = old.execute(
            "SELECT seq, hash, signed_at, key_id, signature FROM audit_head").fetchone()
    conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": seq})
    conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h, signed_at = :at, key_id = :k, signature = :g"),
                 {"s": seq, "h": digest, "at": at, "k": kid, "g": signature})


def _forged_unsealed(mac: str | None) -> Tamper:
    def tamper(conn: Connection, _scene: Scene) -> None:
        conn.execute(text("INSERT INTO audit_events (at, actor, kind, subject_type, subject_id, payload, mac) "
                          "VALUES (:at, 'mod', 'account.reinstated', 'account', 'carol', '{}', :mac)"),
                     {"at": utcnow(), "mac": mac})

    return tamper


def _reorder(conn: Connection, _scene: Scene) -> None:
    conn.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 6"))
    conn.execute(text("UPDATE audit_events SET seq = 6 WHERE seq = 7"))
    conn.execute(text("UPDATE audit_events SET seq = 7 WHERE seq = -1"))


def _swap_payloads(conn: Connection, _scene: Scene) -> None:
    one, two = (conn.execute(text("SELECT payload FROM audit_events WHERE seq = :s"), {"s": s}).scalar()
                for s in (6, 9))
    conn.execute(text("UPDATE audit_events SET payload = :p WHERE seq = 6"), {"p": two})
    conn.execute(text("UPDATE audit_events SET payload = :p WHERE seq = 9"), {"p": one})


def _wipe_log_and_head(conn: Connection, _scene: Scene) -> None:
    conn.execute(text("DELETE FROM audit_events"))
    conn.execute(text("DELETE FROM audit_head"))


def _wipe_everything(conn: Connection, _scene: Scene) -> None:
    for table in ("audit_events", "strikes", "sanctions", "cases", "actions"):
        conn.execute(text(f"DELETE FROM {table}"))  # the names above
    conn.execute(text("UPDATE audit_head SET seq = 0, hash = :g, signed_at = NULL, key_id = NULL, signature = NULL"),
                 {"g": audit.GENESIS})


def _rollback(conn: Connection, _scene: Scene) -> None:
    """The whole database replaced with an older copy of itself (``run`` copies the older file)."""


def _forge_strike(conn: Connection, _scene: Scene) -> None:
    now = utcnow()
    conn.execute(text("INSERT INTO strikes (account, post_id, clause, created_at, expires_at) "
                      "VALUES ('dan', 'd0', 'leaked-material', :now, :later)"),
                 {"now": now, "later": now + timedelta(days=90)})


_ROLLBACK = ("the older copy is a consistent, signed log of its day; only a checkpoint taken since "
             "shows the events it lacks")
CASES: tuple[Case, ...] = (
    Case("edit payload", _sql("""UPDATE audit_events SET payload = '{"verdict":"allow"}' WHERE seq = 6""")),
    Case("edit actor", _sql("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 6")),
    Case("edit kind", _sql("UPDATE audit_events SET kind = 'case.closed' WHERE seq = 6")),
    Case("edit time", _sql("UPDATE audit_events SET at = '2020-01-01 00:00:00.000000' WHERE seq = 6")),
    Case("edit subject", _sql("UPDATE audit_events SET subject_id = 'p-other' WHERE seq = 6")),
    Case("delete a middle event", _sql("DELETE FROM audit_events WHERE seq = 6")),
    Case("delete the first event", _sql("DELETE FROM audit_events WHERE seq = 1")),
    Case("truncate the tail", _sql("DELETE FROM audit_events WHERE seq > :last - 3")),
    Case("truncate the tail and rewind the head", _truncate_rewind),
    Case("truncate to an old signed head kept by the intruder", _truncate_to_saved_head),
    Case("wipe the log", _sql("DELETE FROM audit_events")),
    Case("wipe the log and the head", _wipe_log_and_head),
    Case("re-chain after an edit (every hash recomputed)", _edit_and_rechain),
    Case("re-chain and sign the head with another key", _rechain_own_key),
    Case("forged appended events (valid chain extension, head moved)", lambda c, s: _append(c, 2, move_head=True)),
    Case("forged appended events (head left as it was)", lambda c, s: _append(c, 2, move_head=False)),
    Case("forged unsealed event (no writer's MAC)", _forged_unsealed(None)),
    Case("forged unsealed event (made-up MAC)", _forged_unsealed("0011223344556677." + "ab" * 32)),
    Case("reorder two events", _reorder),
    Case("duplicate an event", _sql(
        "INSERT INTO audit_events (seq, at, actor, kind, subject_type, subject_id, payload, prev_hash, hash) "
        "SELECT :last + 1, at, actor, kind, subject_type, subject_id, payload, "
        "(SELECT hash FROM audit_events WHERE seq = :last), hash FROM audit_events WHERE seq = 6")),
    Case("change a prev_hash", _sql("UPDATE audit_events SET prev_hash = :h WHERE seq = 6", h="f" * 64)),
    Case("swap two events' payloads", _swap_payloads),
    Case("forge the head's signature", _sql("UPDATE audit_head SET signature = :s", s="00" * 64)),
    Case("delete a strike row", _sql("DELETE FROM strikes WHERE id = (SELECT MAX(id) FROM strikes)")),
    Case("delete a sanction (suspension) row", _sql("DELETE FROM sanctions WHERE kind = 'suspend'")),
    Case("lift a ban silently", _sql("UPDATE sanctions SET lifted_at = '2026-01-01 00:00:00', lifted_by = 'x' "
                                     "WHERE kind = 'ban' AND lifted_at IS NULL")),
    Case("delete an action row", _sql("DELETE FROM actions WHERE id = (SELECT MAX(id) FROM actions)")),
    Case("edit an action row", _sql("UPDATE actions SET type = 'label' WHERE id = 1")),
    Case("insert a strike behind the log's back", _forge_strike),
    Case("wipe the log, reset the head and delete every sanction", _wipe_everything,
         plain_misses="it leaves what a fresh database holds: nothing to compare with but a checkpoint"),
    Case("replace the whole database with an older copy (rollback)", _rollback, plain_misses=_ROLLBACK),
)
