"""The audit log: append-only events, chained by a sealer in commit order, heads signed.

How events get into the chain, as a transparency log does it:

1. **Append** (:func:`append`): a change writes its event in its own transaction, *unsealed*: it gets
   an id from the database (an autoincrement, which never blocks another writer), no place in the
   chain yet (``seq``, ``prev_hash`` and ``hash`` are empty), and the writer's MAC (HMAC-SHA-256
   under a key derived from the audit key, with a fresh nonce). Either the change and its event are
   both committed or neither is. No writer waits for another on the log.
2. **Seal** (:func:`seal`): a short transaction takes the chain head (the one ``audit_head`` row),
   gives every committed unsealed event the next ``seq`` in id order, sets its
   ``hash = sha256(prev_hash || canonical_json([seq, at, actor, kind, subject_type, subject_id,
   payload]))``, and moves the head to the last one, signed with the audit key (Ed25519, kept in a
   file outside the database, :mod:`leakwarden.audit.signing`). The writer seals right after its
   own commit, or, in a process that runs a :class:`BackgroundSealer` (the API server), wakes it to
   seal in a thread of its own; ``leakwarden audit seal``, ``audit verify`` and ``audit checkpoint``
   seal first too.
   Chain order is seal order, which follows commit order: an event is never sealed before it is
   committed, so nothing is ever inserted behind a sealed event. The sealer chains only events
   whose MAC holds, each nonce once (a row forged or replayed with plain SQL stays unsealed and
   ``verify`` reports it), and never extends a head whose signature does not hold.
3. **Verify** (:func:`verify`): recompute every link from the genesis, check that the head covers
   exactly the last event and that its signature holds, and cross-check the strikes, sanctions and
   actions against the events that recorded them (:mod:`leakwarden.audit.coverage`). With a
   checkpoint kept elsewhere (:func:`checkpoint`), also check that the chain still holds the
   checkpoint's events unchanged.

What an unsealed event means: it is committed (its change happened) but not yet in the chain. The
window is the time between the writer's commit and its seal (milliseconds), or, if the writer died in
between, until the next seal by anyone. Until then it is as protected as any other row; once sealed,
editing, deleting or reordering it breaks the chain, and rewriting the chain needs the signing key.
Sealing later never weakens what was sealed before: sealed events are never touched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, Engine, Table, bindparam, event, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from leakwarden.audit import signing
from leakwarden.errors import LeakwardenError
from leakwarden.model import utcnow
from leakwarden.store.tables import AuditEventRow, AuditHead

GENESIS = "0" * 64
_UNSEALED = "leakwarden.audit.unsealed"  # session.info: this transaction appended events
_SEAL_DUE = "leakwarden.audit.seal_due"  # session.info: committed them; seal once its connection is back
_SEAL_BATCH = 1000
_DEFERRED: ContextVar[bool] = ContextVar("leakwarden_audit_deferred_sealing", default=False)

log = logging.getLogger("leakwarden.audit")


class ChainHeadMissing(LeakwardenError):
    """The ``audit_head`` row is gone: the sealer refuses to start a new chain over an old one."""

    code = "audit_head_missing"
    status = 409


class ChainHeadUnsigned(LeakwardenError):
    """The head's signature does not hold: the sealer refuses to sign over it."""

    code = "audit_head_unsigned"
    status = 409


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _digest(prev_hash: str, seq: int, at: datetime, actor: str, kind: str, subject_type: str,
            subject_id: str, payload: str) -> str:
    body = canonical_json([seq, _as_utc(at).isoformat(), actor, kind, subject_type, subject_id, payload])
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _as_utc(at: datetime) -> datetime:
    """Every time we store is UTC; SQLite gives it back naive, PostgreSQL in the session's zone."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def append(session: Session, *, actor: str, kind: str, subject_type: str, subject_id: str,
           payload: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEventRow:
    """Append one event, unsealed, inside the caller's transaction and return it. It takes no lock:
    the sealer chains it once the transaction commits."""
    at, body = at or utcnow(), canonical_json(payload or {})
    row = AuditEventRow(at=at, actor=actor, kind=kind, subject_type=subject_type, subject_id=str(subject_id),
                        payload=body, mac=writer_mac(at=at, actor=actor, kind=kind, subject_type=subject_type,
                                                     subject_id=str(subject_id), payload=body))
    session.add(row)
    session.info[_UNSEALED] = True
    return row


def append_many(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Append many events, unsealed, in one statement (their ids are not read back): each a dict
    of ``actor``, ``kind``, ``subject_type``, ``subject_id`` and ``payload``, MACed as :func:`append`
    does. Events appended with it and with :func:`append` in one transaction are chained in the
    order they reach the database."""
    rows = []
    for e in events:
        at, body, subject_id = e.get("at") or utcnow(), canonical_json(e.get("payload") or {}), str(e["subject_id"])
        rows.append({"at": at, "actor": e["actor"], "kind": e["kind"], "subject_type": e["subject_type"],
                     "subject_id": subject_id, "payload": body,
                     "mac": writer_mac(at=at, actor=e["actor"], kind=e["kind"], subject_type=e["subject_type"],
                                       subject_id=subject_id, payload=body)})
    if rows:
        session.execute(insert(AuditEventRow), rows)
        session.info[_UNSEALED] = True


def writer_mac(*, at: datetime, actor: str, kind: str, subject_type: str, subject_id: str, payload: str,
               key: Ed25519PrivateKey | None = None, nonce: str | None = None) -> str:
    """The writer's keyed MAC of an event, with a fresh nonce unless given (see ``signing.event_mac``)."""
    return signing.event_mac(key or signing.signing_key(), nonce or secrets.token_hex(8),
                             [_as_utc(at).isoformat(), actor, kind, subject_type, subject_id, payload])


def _mac_holds(key: Ed25519PrivateKey, row: Any) -> bool:
    nonce, _, _ = (row.mac or "").partition(".")
    return bool(nonce) and hmac.compare_digest(
        row.mac, writer_mac(at=row.at, actor=row.actor, kind=row.kind, subject_type=row.subject_type,
                            subject_id=row.subject_id, payload=row.payload, key=key, nonce=nonce))


# -- sealing -----------------------------------------------------------------------------------
def seal(bind: Engine | Connection, *, key: Ed25519PrivateKey | None = None, flush_wal: bool = True) -> int:
    """Chain every committed unsealed event, in short transactions; return how many were sealed.

    ``flush_wal=False`` (a writer's seal after its commit) lets PostgreSQL commit the seal without
    waiting for its WAL to reach the disk: a crash can lose such a seal, never an event (each was
    committed durably with its change), and the next seal chains them again. A seal that is read
    outside (``checkpoint``, ``verify``) flushes, and with it every seal before it."""
    key = key or signing.signing_key()
    total, after = 0, 0
    while True:
        with Session(bind) as s, s.begin():
            connection = s.connection()
            if not flush_wal and connection.dialect.name == "postgresql":
                connection.execute(_NO_WAL_FLUSH)
            sealed, read, after = _seal_batch(connection, key, after)
        total += sealed
        if read < _SEAL_BATCH:
            return total


# The sealer's statements, built once, in SQLAlchemy Core on the tables: a seal runs after every
# writer's commit, and the ORM's bulk updates and statement building cost more than the work
# (5.5 ms of CPU a seal, 30 % of an Akismet comment-check, before).
_HEAD, _EVENTS = cast(Table, AuditHead.__table__), cast(Table, AuditEventRow.__table__)
_NO_WAL_FLUSH = text("SET LOCAL synchronous_commit TO OFF")
#: the update takes the chain's lock, briefly: sealers take turns
_TAKE_HEAD = (update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)
              .returning(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.signed_at, _HEAD.c.key_id, _HEAD.c.signature))
_UNSEALED_EVENTS = (select(_EVENTS.c.id, _EVENTS.c.at, _EVENTS.c.actor, _EVENTS.c.kind, _EVENTS.c.subject_type,
                           _EVENTS.c.subject_id, _EVENTS.c.payload, _EVENTS.c.mac)
                    .where(_EVENTS.c.seq.is_(None), _EVENTS.c.id > bindparam("after"))
                    .order_by(_EVENTS.c.id).limit(_SEAL_BATCH))
_SEALED_MACS = select(_EVENTS.c.mac).where(_EVENTS.c.mac.in_(bindparam("macs", expanding=True)),
                                           _EVENTS.c.seq.is_not(None))
_LINK = (update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id"))
         .values(seq=bindparam("event_seq"), prev_hash=bindparam("event_prev"), hash=bindparam("event_hash")))
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == 1)
              .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"), signed_at=bindparam("head_at"),
                      key_id=bindparam("head_kid"), signature=bindparam("head_signature")))


def _seal_batch(c: Connection, key: Ed25519PrivateKey, after: int) -> tuple[int, int, int]:
    """Seal the next unsealed events with ids above ``after``: (sealed, read, the last id read)."""
    head = c.execute(_TAKE_HEAD).first()
    if head is None:
        raise ChainHeadMissing("the audit chain's head row is missing; run `leakwarden audit verify`")
    problem = _head_signature_problem(head, key.public_key())
    if problem:  # never extend a head that cannot be verified: a rewritten chain stays visibly broken
        raise ChainHeadUnsigned(f"{problem}; nothing is sealed until it is looked into "
                                "(`leakwarden audit verify`)")
    rows = c.execute(_UNSEALED_EVENTS, {"after": after}).all()
    if not rows:
        return 0, 0, after
    seq, prev = head.seq, head.hash
    links = []
    for row in _written_by_key_holders(c, key, rows):
        seq += 1
        digest = _digest(prev, seq, row.at, row.actor, row.kind, row.subject_type, row.subject_id, row.payload)
        links.append({"event_id": row.id, "event_seq": seq, "event_prev": prev, "event_hash": digest})
        prev = digest
    if not links:
        return 0, len(rows), rows[-1].id
    c.execute(_LINK, links)
    at = utcnow()
    when, kid, signature = signing.sign_head(key, seq, prev, at)
    c.execute(_MOVE_HEAD, {"head_seq": seq, "head_hash": prev, "head_at": at, "head_kid": kid,
                           "head_signature": signature})
    _remember_signed(key.public_key(), seq, prev, when, kid, signature)  # exactly what was signed
    return len(links), len(rows), rows[-1].id


def _written_by_key_holders(c: Connection, key: Ed25519PrivateKey, rows: Sequence[Any]) -> list[Any]:
    """The events to seal: those whose writer's MAC holds and whose nonce no sealed event has (a
    forged or replayed row stays unsealed, and ``verify`` reports it)."""
    valid = [row for row in rows if _mac_holds(key, row)]
    used = set(c.scalars(_SEALED_MACS, {"macs": [r.mac for r in valid]})) if valid else set()
    if len(valid) < len(rows):
        log.warning("%d unsealed audit events have no valid writer's MAC: left unsealed", len(rows) - len(valid))
    return [row for row in valid if row.mac not in used]


@contextlib.contextmanager
def deferred_sealing(bind: Engine | Connection) -> Iterator[None]:
    """Within it, writers do not seal after each commit; it seals once on the way out. For a worker
    that commits a batch of posts one by one: one seal per batch instead of one per post."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
        _seal_quietly(bind)


@event.listens_for(Session, "after_commit")
def _seal_after_commit(session: Session) -> None:
    """The writer seals what it appended, right after its commit (best effort: an event left
    unsealed here is sealed by the next seal, whoever runs it)."""
    if not session.info.pop(_UNSEALED, False) or _DEFERRED.get():
        return
    bind = session.get_bind()
    if not isinstance(bind, Connection):  # a session on a caller's connection: the caller seals
        session.info[_SEAL_DUE] = bind


@event.listens_for(Session, "after_transaction_end")
def _seal_once_released(session: Session, transaction: SessionTransaction) -> None:
    """The seal runs once the committed transaction has given its connection back to the pool: a
    writer never holds two connections, so N threads writing at once need N, not 2N (which ran a
    pool of 15 dry with 8 writers, each waiting for a second connection for 30 s). Where a
    :class:`BackgroundSealer` runs for the database, the writer only wakes it."""
    if transaction.parent is None:
        bind = session.info.pop(_SEAL_DUE, None)
        if bind is not None:
            sealer = _BACKGROUND.get(bind)
            if sealer is not None:
                sealer.wake()
            else:
                _seal_quietly(bind)


class BackgroundSealer:
    """Seals a database's committed events from a thread of its own, for the writers of this
    process (the API server): a request does not wait for the seal after its commit, and one seal
    chains what every request committed meanwhile, in a single short transaction (one take of the
    chain head's lock instead of one per request).

    The chain's guarantees do not change: events are sealed in commit order, only once committed,
    and an event left unsealed (the process killed before the thread got to it) is sealed by the
    next seal, whoever runs it. :meth:`stop` seals what is left; ``audit verify`` and ``audit
    checkpoint`` seal first, as before."""

    def __init__(self, bind: Engine) -> None:
        self.bind = bind
        self._due = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> BackgroundSealer:
        with _BACKGROUND_LOCK:
            if self.bind in _BACKGROUND:
                raise RuntimeError("a background sealer already runs for this database")
            _BACKGROUND[self.bind] = self
        self._thread = threading.Thread(target=self._run, name="leakwarden-audit-sealer", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Events were committed: seal them soon."""
        self._due.set()

    def stop(self) -> None:
        """Stop the thread, then seal what is left, here."""
        with _BACKGROUND_LOCK:
            if _BACKGROUND.get(self.bind) is self:
                del _BACKGROUND[self.bind]
        self._stopping = True
        self._due.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        _seal_quietly(self.bind)

    def _run(self) -> None:
        while True:
            self._due.wait()
            if self._stopping:
                return
            self._due.clear()  # commits after this point wake the next round
            try:
                _seal_quietly(self.bind)
            except Exception as exc:  # the thread must outlive any one failure; the next seal retries
                log.warning("the background sealer's seal failed (the next one retries): %s", type(exc).__name__)


_BACKGROUND: dict[Engine | Connection, BackgroundSealer] = {}
_BACKGROUND_LOCK = threading.Lock()


def _seal_quietly(bind: Engine | Connection) -> None:
    """Seal after commits: what is committed stays committed, so a failure is logged, not raised."""
    try:
        seal(bind, flush_wal=False)
    except (LeakwardenError, SQLAlchemyError) as exc:
        log.warning("audit events left unsealed after a commit (the next seal chains them): %s",
                    getattr(exc, "message", None) or type(exc).__name__)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_UNSEALED, None)


# -- verifying ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    problem: str | None = None
    unsealed: int = 0
    checkpoint: int | None = None  # the size of the checkpoint verified against

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_broken": self.first_broken,
                "problem": self.problem, "unsealed": self.unsealed, "checkpoint": self.checkpoint}


@dataclass
class _Walk:
    """Where a walk along the chain has got to."""

    checked: int = 0
    prev: str = GENESIS
    broken: VerifyResult | None = None
    at_checkpoint: str | None = None  # the hash of the event the checkpoint names, once reached


def _walk(session: Session, walk: _Walk, checkpoint_size: int | None, batch: int) -> None:
    while walk.broken is None:
        rows = session.scalars(select(AuditEventRow).where(AuditEventRow.seq > walk.checked)
                               .order_by(AuditEventRow.seq).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            expected = walk.checked + 1
            if row.seq != expected:
                walk.broken = VerifyResult(False, walk.checked, expected, f"event {expected} is missing")
                return
            if row.prev_hash != walk.prev:
                walk.broken = VerifyResult(False, walk.checked, expected, "its link to the previous event is broken")
                return
            digest = _digest(walk.prev, expected, row.at, row.actor, row.kind, row.subject_type, row.subject_id,
                             row.payload)
            if digest != row.hash:
                walk.broken = VerifyResult(False, walk.checked, expected, "its content does not match its hash")
                return
            walk.prev, walk.checked = digest, expected
            if expected == checkpoint_size:
                walk.at_checkpoint = digest


def verify(session: Session, *, public_key: Ed25519PublicKey | None = None,
           checkpoint: signing.Checkpoint | None = None, key: Ed25519PrivateKey | None = None,
           batch: int = 5000) -> VerifyResult:
    """Recompute the chain; report the first event whose link or content does not hold, a head that
    does not cover the chain or is not signed by ``public_key``, a strike, sanction or action the
    events do not account for, and, given a checkpoint, any change to the events it covers."""
    size = checkpoint.size if checkpoint else None
    walk = _Walk(at_checkpoint=GENESIS if size == 0 else None)
    head: AuditHead | None = None
    for _ in range(10):  # a concurrent seal moves the head on: follow it
        _walk(session, walk, size, batch)
        if walk.broken is not None:
            break
        head = session.get(AuditHead, 1, populate_existing=True)
        if head is None or head.seq <= walk.checked:
            break
    unsealed = int(session.scalar(select(func.count()).select_from(AuditEventRow)
                                  .where(AuditEventRow.seq.is_(None))) or 0)

    def broken(first: int | None, problem: str) -> VerifyResult:
        return VerifyResult(False, walk.checked, first, problem, unsealed, size)

    if walk.broken is not None:
        return broken(walk.broken.first_broken, walk.broken.problem or "")
    if checkpoint is not None:
        problem = _against_checkpoint(walk, checkpoint, public_key)
        if problem:
            return broken(min(walk.checked + 1, checkpoint.size), problem)
    if head is None:
        return broken(None, "the chain head is missing (the log was wiped or replaced)")
    if head.seq > walk.checked:
        return broken(walk.checked + 1, f"events {walk.checked + 1}..{head.seq} were removed from the end")
    if head.seq < walk.checked:
        return broken(head.seq + 1, f"events {head.seq + 1}..{walk.checked} are not covered by the signed head "
                                    "(appended without the audit key)")
    if head.hash != walk.prev:
        return broken(head.seq, "the chain head does not match the last event")
    problem = _head_signature_problem(head, public_key)
    if problem:
        return broken(head.seq, problem)
    if key is not None and unsealed:
        problem = _forged_unsealed(session, key)
        if problem:
            return broken(None, problem)
    problem = coverage.check(session)
    if problem:
        return broken(None, problem)
    return VerifyResult(True, walk.checked, unsealed=unsealed, checkpoint=size)


def _forged_unsealed(session: Session, key: Ed25519PrivateKey) -> str | None:
    rows = session.scalars(select(AuditEventRow).where(AuditEventRow.seq.is_(None)).order_by(AuditEventRow.id)).all()
    for row in rows:
        if not _mac_holds(key, row):
            return f"unsealed event {row.id} was not written by a holder of the audit key (forged)"
    sealed_macs = set(session.scalars(select(AuditEventRow.mac).where(
        AuditEventRow.mac.in_([r.mac for r in rows]), AuditEventRow.seq.is_not(None))))
    for row in rows:
        if row.mac in sealed_macs:
            return f"unsealed event {row.id} replays a sealed event"
    return None


def _against_checkpoint(walk: _Walk, checkpoint: signing.Checkpoint, public_key: Ed25519PublicKey | None
                        ) -> str | None:
    if public_key is not None and checkpoint.key_id != signing.key_id(public_key):
        return f"the checkpoint was signed by key {checkpoint.key_id}, not this deployment's audit key"
    if walk.checked < checkpoint.size:
        return (f"the chain holds {walk.checked} events; the checkpoint of {checkpoint.at} saw "
                f"{checkpoint.size}: events {walk.checked + 1}..{checkpoint.size} are missing")
    if walk.at_checkpoint != checkpoint.hash:
        return (f"event {checkpoint.size} is not the one the checkpoint signed: the log up to it was "
                "rewritten")
    return None


#: The last head this process signed or found signed: (public key, seq, hash, at, key id, signature).
#: Whether a signature holds depends on nothing else, so a head read back unchanged is not verified
#: again (an Ed25519 verification a seal); any other head, a changed byte included, is.
_known_good: tuple[bytes, int, str, str, str, str] | None = None


def _remember_signed(public_key: Ed25519PublicKey, seq: int, head_hash: str, at: str, kid: str,
                     signature: str) -> None:
    global _known_good
    _known_good = (signing.public_bytes(public_key), seq, head_hash, at, kid, signature)


def _head_signature_problem(head: Any, public_key: Ed25519PublicKey | None) -> str | None:
    """``head``: the ``audit_head`` row (its ``seq``, ``hash``, ``signed_at``, ``key_id`` and
    ``signature``)."""
    if head.seq == 0 and head.signature is None:
        return None  # nothing sealed yet
    if head.signature is None or head.key_id is None or head.signed_at is None:
        return "the chain head is not signed"
    if public_key is None:
        return None
    at = _as_utc(head.signed_at).isoformat()
    seen = (signing.public_bytes(public_key), head.seq, head.hash, at, head.key_id, head.signature)
    if seen == _known_good:
        return None
    if not signing.head_signed(public_key, head.seq, head.hash, at, head.key_id, head.signature):
        return "the chain head's signature does not hold (the chain was rewritten without the audit key)"
    _remember_signed(public_key, head.seq, head.hash, at, head.key_id, head.signature)
    return None


def checkpoint(bind: Engine | Connection, *, key: Ed25519PrivateKey | None = None) -> signing.Checkpoint:
    """Seal, then sign the head as it stands: a checkpoint to keep outside the database."""
    key = key or signing.signing_key()
    seal(bind, key=key)
    with Session(bind) as s:
        head = s.get(AuditHead, 1)
        if head is None:
            raise ChainHeadMissing("the audit chain's head row is missing; run `leakwarden audit verify`")
        return signing.checkpoint(key, head.seq, head.hash, utcnow())


def seal_and_verify(bind: Engine | Connection, *, checkpoint: signing.Checkpoint | None = None,
                    key: Ed25519PrivateKey | None = None) -> VerifyResult:
    """What ``leakwarden audit verify`` does: seal what is committed, then verify it all with the
    public half of the audit key (and against a checkpoint, if given)."""
    key = key or signing.signing_key()
    with contextlib.suppress(ChainHeadMissing, ChainHeadUnsigned):  # verify says so
        seal(bind, key=key)
    with Session(bind) as s:
        return verify(s, public_key=key.public_key(), checkpoint=checkpoint, key=key)


# -- reading -----------------------------------------------------------------------------------
def events(session: Session, *, kind: str | None = None, subject_type: str | None = None,
           subject_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
           limit: int | None = None, newest_first: bool = False) -> Iterator[AuditEventRow]:
    """Events in chain order; unsealed ones (committed, not chained yet) come last, in id order."""
    if newest_first:
        order = (AuditEventRow.seq.desc().nulls_first(), AuditEventRow.id.desc())
    else:
        order = (AuditEventRow.seq.asc().nulls_last(), AuditEventRow.id.asc())
    query = select(AuditEventRow).order_by(*order)
    if kind:
        query = query.where(AuditEventRow.kind == kind)
    if subject_type:
        query = query.where(AuditEventRow.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditEventRow.subject_id == subject_id)
    if since:
        query = query.where(AuditEventRow.at >= since)
    if until:
        query = query.where(AuditEventRow.at < until)
    if limit:
        query = query.limit(limit)
    yield from session.scalars(query)


def payload_of(row: AuditEventRow) -> dict[str, Any]:
    value = json.loads(row.payload)
    return value if isinstance(value, dict) else {"value": value}


from leakwarden.audit import coverage  # noqa: E402  (its session hooks record covered rows)
