"""Strikes, sanctions and actions are covered by the audit log: deleting or editing one is caught.

Every transaction that inserts, changes or deletes one of these rows records, before it commits, a
``rows.recorded`` event holding each such row's content hash (SHA-256 of all its columns), or null
for a deleted row. :func:`check` replays those events in chain order and compares them with the
tables both ways: a row the log knows of that is gone or differs, and a row the log never saw, are
both reported. The event is written by a session hook, so no code path that changes these rows
through the ORM can forget it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from leakwarden.audit import log as audit
from leakwarden.store.tables import EnforcementAction, Sanction, Strike

KIND = "rows.recorded"
COVERED: dict[str, type[Any]] = {"actions": EnforcementAction, "strikes": Strike, "sanctions": Sanction}
_NAMES = {cls: name for name, cls in COVERED.items()}
_NOUN = {"actions": "action", "strikes": "strike", "sanctions": "sanction"}
_CHANGED = "leakwarden.audit.rows_changed"
# The columns hashed: fixed here, so a column added later changes no stored hash (add it with care)
FIELDS: dict[str, tuple[str, ...]] = {
    "actions": ("id", "post_id", "account", "type", "clause", "target", "duration_s", "automatic", "actor",
                "policy_version", "created_at", "reversed_at", "reversed_by"),
    "strikes": ("id", "account", "post_id", "clause", "action_id", "created_at", "expires_at", "removed_at"),
    "sanctions": ("id", "account", "kind", "post_id", "clause", "action_id", "starts_at", "until", "automatic",
                  "lifted_at", "lifted_by"),
}


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()
    return value


def row_digest(name: str, row: object) -> str:
    """The content hash of a covered row (an ORM object or a Core row of table ``name``), times in UTC."""
    values = {field: _plain(getattr(row, field)) for field in FIELDS[name]}
    return hashlib.sha256(audit.canonical_json(values).encode()).hexdigest()


def baseline(connection: Connection) -> dict[str, dict[str, str | None]]:
    """The hashes of every covered row as it stands (for the event that adopts rows written before
    they were covered)."""
    rows: dict[str, dict[str, str | None]] = {}
    for name, cls in COVERED.items():
        table = cls.__table__
        for row in connection.execute(select(*(table.c[f] for f in FIELDS[name])).order_by(table.c.id)):
            rows.setdefault(name, {})[str(row.id)] = row_digest(name, row)
    return rows


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush: UOWTransaction) -> None:
    changed: dict[int, tuple[str, object, bool]] = session.info.setdefault(_CHANGED, {})
    for obj in chain(session.new, session.dirty):
        name = _NAMES.get(type(obj))
        if name is not None and (obj in session.new or session.is_modified(obj)):
            changed[id(obj)] = (name, obj, False)
    for obj in session.deleted:
        name = _NAMES.get(type(obj))
        if name is not None:
            changed[id(obj)] = (name, obj, True)


@event.listens_for(Session, "before_commit")
def _record(session: Session) -> None:
    if not session.info.get(_CHANGED):
        return
    session.flush()  # changes since the last flush are collected too
    changed: dict[int, tuple[str, object, bool]] = session.info.pop(_CHANGED, {})
    rows: dict[str, dict[str, str | None]] = {}
    for name, obj, deleted in changed.values():
        key = str(inspect(obj).identity[0]) if inspect(obj).identity else None
        if key is not None:
            rows.setdefault(name, {})[key] = None if deleted else row_digest(name, obj)
    if rows:
        audit.append(session, actor="system", kind=KIND, subject_type="rows", subject_id=",".join(sorted(rows)),
                     payload=rows)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def check(session: Session) -> str | None:
    """The first row that the log and the tables disagree on, said in words; None if none."""
    expected: dict[str, dict[str, str | None]] = {name: {} for name in COVERED}
    for row in audit.events(session, kind=KIND):
        for name, digests in audit.payload_of(row).items():
            if name in expected and isinstance(digests, dict):
                expected[name].update(digests)
    for name, cls in COVERED.items():
        known = expected[name]
        present: set[str] = set()
        for row in session.scalars(select(cls).order_by(cls.id)):
            key = str(row.id)
            present.add(key)
            if key not in known or known[key] is None:
                return f"{_NOUN[name]} {key} is not in the audit log (written behind its back)"
            if known[key] != row_digest(name, row):
                return f"{_NOUN[name]} {key} differs from what the audit log recorded (edited)"
        for key, digest in known.items():
            if digest is not None and key not in present:
                return f"{_NOUN[name]} {key} is in the audit log but gone from the database (deleted)"
    return None
