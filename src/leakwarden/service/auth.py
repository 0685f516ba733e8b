"""API keys and roles. Keys are random, shown once, and stored only as a SHA-256 hash.

A valid key is remembered for ``KEY_TTL_S`` seconds per process, so a busy API does not read the
keys table on every request; revoking a key takes effect at once in the process that revokes it,
and within ``KEY_TTL_S`` in every other.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select

from leakwarden.audit import log as audit
from leakwarden.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from leakwarden.model import utcnow
from leakwarden.store.db import Database
from leakwarden.store.tables import ApiKey

ROLES = ("submitter", "moderator", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
KEY_PREFIX = "lw_"
KEY_TTL_S = 2.0
_KNOWN_MAX = 10_000  # remembered keys per process (valid ones only: a flood of bad keys costs nothing)
_known: dict[tuple[str, str], tuple[float, Principal]] = {}
_known_lock = threading.Lock()


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def can(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: str) -> None:
        if not self.can(role):
            raise Forbidden(f"this needs the {role} role; your key has the {self.role} role")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db: Database, role: str, name: str = "", *, actor: str = "cli") -> tuple[int, str]:
    """Make a key; return its id and the key itself (the only time it is seen)."""
    if role not in ROLES:
        raise InvalidInput(f"a role must be one of {', '.join(ROLES)}", code="invalid_role")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.session() as s:
        row = ApiKey(prefix=key[:10], hash=_hash(key), role=role, name=name or role, created_at=utcnow())
        s.add(row)
        s.flush()
        audit.append(s, actor=actor, kind="key.created", subject_type="api_key", subject_id=str(row.id),
                     payload={"role": role, "name": row.name, "prefix": row.prefix})
        return row.id, key


def revoke_key(db: Database, key_id: int, *, actor: str = "cli") -> None:
    with db.session() as s:
        row = s.get(ApiKey, key_id)
        if row is None or row.revoked_at is not None:
            raise NotFound(f"no active key {key_id}")
        row.revoked_at = utcnow()
        audit.append(s, actor=actor, kind="key.revoked", subject_type="api_key", subject_id=str(key_id))
    with _known_lock:
        _known.clear()


def list_keys(db: Database) -> list[dict[str, object]]:
    with db.session() as s:
        return [{"id": k.id, "name": k.name, "role": k.role, "prefix": k.prefix,
                 "created_at": k.created_at.isoformat(), "revoked": k.revoked_at is not None}
                for k in s.scalars(select(ApiKey).order_by(ApiKey.id))]


def remembered(db: Database, key: str | None) -> Principal | None:
    """The key's principal if this process checked the key within ``KEY_TTL_S``, else None:
    no database, so the API can ask on its event loop and go to a thread only on a miss."""
    if not key:
        return None
    with _known_lock:
        known = _known.get((db.url, _hash(key)))
    return known[1] if known is not None and known[0] > time.monotonic() else None


def authenticate(db: Database, key: str | None) -> Principal:
    if not key:
        raise Unauthorized("an API key is required (Authorization: Bearer KEY, or X-API-Key)")
    known = remembered(db, key)
    if known is not None:
        return known
    digest, now = _hash(key), time.monotonic()
    with db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.hash == digest, ApiKey.revoked_at.is_(None)))
        if row is None:
            raise Unauthorized("the API key is not valid")
        principal = Principal(name=f"key:{row.id}:{row.name}", role=row.role)
    with _known_lock:
        if len(_known) >= _KNOWN_MAX:
            _known.clear()
        _known[(db.url, digest)] = (now + KEY_TTL_S, principal)
    return principal
