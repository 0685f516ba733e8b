"""The audit log: append-only, hash-chained events.

Each event's hash is ``sha256(prev_hash || canonical_json(event))``. Appending first bumps the single
``audit_head`` row, which takes the write lock (SQLite) or the row lock (PostgreSQL), so concurrent
writers chain in order. An event is written in the same transaction as the change it records:
either both are kept or neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leakwarden.model import utcnow
from leakwarden.store.tables import AuditEventRow, AuditHead

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _digest(prev_hash: str, seq: int, at: datetime, actor: str, kind: str, subject_type: str,
            subject_id: str, payload: str) -> str:
    body = canonical_json([seq, _as_utc(at).isoformat(), actor, kind, subject_type, subject_id, payload])
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _as_utc(at: datetime) -> datetime:
    """Every time we store is UTC; SQLite gives it back naive, PostgreSQL in the session's zone."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def lock(session: Session) -> None:
    """Take the chain's write lock now (the head row), before any other shared counter.

    Every audited change takes this lock when it appends; a change that also bumps another counter
    (the URL rules' version) takes this one first, as a decision does, so that two writers never
    wait for each other crosswise (PostgreSQL would abort one of them as a deadlock)."""
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))


def append(session: Session, *, actor: str, kind: str, subject_type: str, subject_id: str,
           payload: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEventRow:
    """Append one event inside the caller's transaction and return it."""
    head = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).first()
    if head is None:
        session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        session.flush()
        seq, prev = 1, GENESIS
    else:
        seq, prev = int(head[0]), str(head[1])
    at = at or utcnow()
    body = canonical_json(payload or {})
    digest = _digest(prev, seq, at, actor, kind, subject_type, subject_id, body)
    row = AuditEventRow(seq=seq, at=at, actor=actor, kind=kind, subject_type=subject_type,
                        subject_id=str(subject_id), payload=body, prev_hash=prev, hash=digest)
    session.add(row)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=digest))
    return row


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    problem: str | None = None


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Recompute the chain; report the first event whose link or content does not hold."""
    prev, expected_seq, checked = GENESIS, 1, 0
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEventRow).where(AuditEventRow.seq > last).order_by(AuditEventRow.seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"event {expected_seq} is missing")
            if row.prev_hash != prev:
                return VerifyResult(False, checked, row.seq, "its link to the previous event is broken")
            digest = _digest(prev, row.seq, row.at, row.actor, row.kind, row.subject_type,
                             row.subject_id, row.payload)
            if digest != row.hash:
                return VerifyResult(False, checked, row.seq, "its content does not match its hash")
            prev, expected_seq, checked, last = row.hash, row.seq + 1, checked + 1, row.seq
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev):
        return VerifyResult(False, checked, checked + 1, "events after the last one were removed")
    return VerifyResult(True, checked)


def events(session: Session, *, kind: str | None = None, subject_type: str | None = None,
           subject_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
           limit: int | None = None, newest_first: bool = False) -> Iterator[AuditEventRow]:
    order = AuditEventRow.seq.desc() if newest_first else AuditEventRow.seq
    query = select(AuditEventRow).order_by(order)
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
