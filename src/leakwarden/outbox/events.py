"""Events written with each change, and the ordered feed a platform reads them from.

**Writing.** :func:`emit` adds one ``outbox_events`` row inside the caller's transaction, so an event
exists exactly when its change does: both commit or neither. Writers touch no shared row.

**Ordering.** Row ids come from an autoincrement, and concurrent transactions commit out of id order
(on PostgreSQL a transaction may take id 11, stay open, and commit after the one that took id 12).
A reader that handed out 12 and moved its cursor past it would never see 11. So the feed is not
ordered by id but by ``seq``, a *commit-ordered* sequence: a row gets its ``seq`` only after its
transaction has committed, from :func:`sequence`, which numbers every committed, unnumbered row
while holding the ``outbox_head`` row lock for that short transaction only (never through a
writer's transaction). Sequencing runs serialize on that lock, and each one commits before the
next one starts, so any row numbered later has a larger ``seq`` and is committed no earlier than
its predecessors become visible: a reader that has seen ``seq`` n has seen every row numbered
below n, and a cursor (the last ``seq`` read) never skips one. The other choice, handing out only
rows older than the oldest in-flight transaction, needs PostgreSQL's snapshot functions and has no
SQLite equivalent; this one works the same on both. Readers (``GET /v1/events``, the webhook
dispatcher) sequence before they read.

Event data carry ids, verdicts, action types, clauses and standings: never texts, evidence,
moderators' notes or private values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from leakwarden.model import Decision, utcnow
from leakwarden.outbox.tables import OutboxEvent, OutboxHead
from leakwarden.store.db import Database

#: Every event type, in the order a post meets them.
EVENT_TYPES = (
    "decision.made",  # a post was ingested and decided
    "decision.completed",  # a partially decided post's links were followed and it was decided again
    "decision.revised",  # a stored post was decided again (retroactive rules, bank rescans) and changed
    "action.applied",
    "action.reversed",  # an overturn, a granted appeal, a reinstatement
    "account.standing_changed",
    "case.resolved",
    "appeal.resolved",
)
MAX_PAGE = 1000
_SEQUENCE_BATCH = 5000


def emit(session: Session, kind: str, subject: tuple[str, str], data: dict[str, Any]) -> OutboxEvent:
    """Record one event in the caller's transaction. ``subject``: (type, id), e.g. ("post", "p1")."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind!r}")
    row = OutboxEvent(type=kind, subject_type=subject[0], subject_id=str(subject[1]), data=data,
                      created_at=utcnow())
    session.add(row)
    return row


def emit_many(session: Session, events: list[tuple[str, tuple[str, str], dict[str, Any]]]) -> None:
    """Record many events (kind, subject, data) in the caller's transaction, in one statement."""
    now = utcnow()
    for kind, _, _ in events:
        if kind not in EVENT_TYPES:
            raise ValueError(f"unknown event type {kind!r}")
    if events:
        session.execute(insert(OutboxEvent), [{"type": kind, "subject_type": subject[0], "subject_id": str(subject[1]),
                                               "data": data, "created_at": now} for kind, subject, data in events])


# -- what events say -----------------------------------------------------------------------------
def decision_data(decision: Decision) -> dict[str, Any]:
    """A decision without its evidence: verdict, actions, and which clause fired on which signal."""
    return {"post_id": decision.post_id, "account": decision.author, "verdict": decision.verdict.value,
            "partial": decision.partial, "policy": decision.policy, "policy_version": decision.policy_version,
            "actions": [a.model_dump(mode="json", exclude_none=True, exclude={"note"}) for a in decision.actions],
            "reasons": [{"signal": r.signal, "clause": r.clause, "strength": r.strength} for r in decision.reasons]}


def revised(kind: str) -> str:
    """The event type of a stored post decided again (``Engine.redecide``'s audit kind)."""
    return "decision.completed" if kind == "decision.completed" else "decision.revised"


def action_event(session: Session, kind: str, row: Any, actor: str) -> OutboxEvent:
    """``action.applied`` or ``action.reversed`` for one ``EnforcementAction`` row."""
    return emit(session, kind, ("post" if row.post_id else "account", row.post_id or row.account), {
        "action_id": row.id, "post_id": row.post_id, "account": row.account, "type": row.type,
        "clause": row.clause, "target": row.target or None, "duration_s": row.duration_s,
        "automatic": row.automatic, "by": actor})


def standing_changed(session: Session, account: str) -> OutboxEvent:
    """``account.standing_changed`` with the standing as it reads inside this transaction."""
    from leakwarden.enforcement.standing import standing_of

    standing = standing_of(session, account)
    return emit(session, "account.standing_changed", ("account", account),
                standing.model_dump(mode="json", exclude_none=True))


# -- the feed ------------------------------------------------------------------------------------
def sequence(db: Database) -> int:
    """Number every committed, unnumbered event in id order; return how many were numbered."""
    with db.session() as s:
        if s.scalar(select(OutboxEvent.id).where(OutboxEvent.seq.is_(None)).limit(1)) is None:
            return 0  # nothing to number: readers need not take the lock
    total = 0
    while True:
        with db.session() as s:
            # the lock first: rows read after it include every row committed before it was granted
            head = s.execute(update(OutboxHead).where(OutboxHead.id == 1).values(seq=OutboxHead.seq)
                             .returning(OutboxHead.seq)).scalar_one()
            ids = list(s.scalars(select(OutboxEvent.id).where(OutboxEvent.seq.is_(None))
                                 .order_by(OutboxEvent.id).limit(_SEQUENCE_BATCH)))
            if not ids:
                return total
            s.execute(update(OutboxEvent), [{"id": i, "seq": head + n} for n, i in enumerate(ids, 1)])
            s.execute(update(OutboxHead).where(OutboxHead.id == 1).values(seq=head + len(ids)))
        total += len(ids)
        if len(ids) < _SEQUENCE_BATCH:
            return total


@dataclass(frozen=True)
class Page:
    events: list[dict[str, Any]]
    next: int  # the cursor to pass as ``after`` next time


def as_json(row: OutboxEvent) -> dict[str, Any]:
    """An event as the feed shows it and a webhook carries it (Standard Webhooks' type/timestamp/data)."""
    return {"id": f"evt_{row.id}", "seq": row.seq, "type": row.type, "timestamp": _iso(row),
            "subject": {"type": row.subject_type, "id": row.subject_id}, "data": row.data}


def _iso(row: OutboxEvent) -> str:
    from leakwarden.enforcement.standing import aware

    at = aware(row.created_at)
    assert at is not None
    return at.isoformat().replace("+00:00", "Z")


def read(db: Database, after: int = 0, limit: int = 100, types: list[str] | None = None) -> Page:
    """Events with ``seq`` above ``after``, oldest first, at most ``limit``."""
    sequence(db)
    with db.session() as s:
        query = select(OutboxEvent).where(OutboxEvent.seq > after).order_by(OutboxEvent.seq)
        if types:
            query = query.where(OutboxEvent.type.in_(types))
        rows = list(s.scalars(query.limit(max(1, min(limit, MAX_PAGE)))))
    return Page([as_json(r) for r in rows], rows[-1].seq or after if rows else after)


def latest(db: Database) -> int:
    """The highest ``seq`` handed out so far."""
    sequence(db)
    with db.session() as s:
        return int(s.scalar(select(OutboxHead.seq).where(OutboxHead.id == 1)) or 0)
