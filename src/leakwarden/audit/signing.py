"""The audit log's signing key and signed checkpoints (Ed25519), kept outside the database.

The key is ``LEAKWARDEN_AUDIT_KEY_FILE``, by default ``~/.config/leakwarden/audit-ed25519.key``: the
first process that seals and finds no file writes one (a 32-byte Ed25519 seed as 64 hex digits,
mode 0600, in a directory of mode 0700), as the keys of private values are made. Every process that
writes to one database must share it; a verifier needs only its public half.

A signed head says "the chain had ``size`` events, the last with ``hash``, at ``at``", signed with
the key ``key_id`` names. The sealer signs the head it stores in ``audit_head`` on every seal, and
``leakwarden audit checkpoint`` writes one to keep elsewhere (a :class:`Checkpoint`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from leakwarden.errors import InvalidInput, LeakwardenError
from leakwarden.signals.pii import keys

KEY_FILE_ENV = "LEAKWARDEN_AUDIT_KEY_FILE"
_DOMAIN = "leakwarden-audit-head/v1\n"  # signed heads can never be taken for another signed message
_MAC_DOMAIN = b"leakwarden-audit-event-mac/v1"
_HINT = f"set {KEY_FILE_ENV} to a path this process can read and write"

_lock = threading.Lock()
_cached: dict[str, Ed25519PrivateKey] = {}


class AuditKeyUnavailable(LeakwardenError):
    """The audit signing key can be neither read nor created."""

    code = "audit_key_unavailable"
    status = 500


def key_file(path: str | Path | None = None) -> Path:
    return Path(path).expanduser() if path else keys.key_path(KEY_FILE_ENV, "audit-ed25519.key")


def signing_key(path: str | Path | None = None) -> Ed25519PrivateKey:
    """The private key: read from the key file, which is made (once, by whichever process comes
    first) when it does not exist."""
    where = key_file(path)
    with _lock:
        key = _cached.get(str(where))
        if key is None:
            key = _cached[str(where)] = _load_or_create(where)
        return key


def forget_cached_keys() -> None:
    with _lock:
        _cached.clear()


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    seed = keys.read_or_create(path, lambda: os.urandom(32).hex().encode() + b"\n",
                               what="the audit signing key", error=AuditKeyUnavailable, hint=_HINT)
    try:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed.decode("ascii")))
    except (ValueError, UnicodeDecodeError):
        raise AuditKeyUnavailable(f"the audit signing key at {path} is not 64 hex digits (an Ed25519 seed); "
                                  "delete it to have one made") from None
    return key


def event_mac(key: Ed25519PrivateKey, nonce: str, fields: list[object]) -> str:
    """A writer's MAC of an event (HMAC-SHA-256 under a key derived from the audit key): the sealer
    chains only events written by someone holding the key, each once (the nonce)."""
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    mac_key = hashlib.sha256(_MAC_DOMAIN + seed).digest()
    body = json.dumps([nonce, *fields], separators=(",", ":"), ensure_ascii=False, default=str).encode()
    return f"{nonce}.{hmac.new(mac_key, body, hashlib.sha256).hexdigest()}"


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def head_message(size: int, head_hash: str, at: str, kid: str) -> bytes:
    body = json.dumps({"size": size, "hash": head_hash, "at": at, "key_id": kid}, sort_keys=True,
                      separators=(",", ":"))
    return (_DOMAIN + body).encode()


def sign_head(key: Ed25519PrivateKey, size: int, head_hash: str, at: datetime) -> tuple[str, str, str]:
    """(at as ISO text, key id, signature as hex) of a chain head."""
    kid, when = key_id(key.public_key()), at.isoformat()
    return when, kid, key.sign(head_message(size, head_hash, when, kid)).hex()


def head_signed(public: Ed25519PublicKey, size: int, head_hash: str, at: str, kid: str, signature: str) -> bool:
    if kid != key_id(public):
        return False
    try:
        public.verify(bytes.fromhex(signature), head_message(size, head_hash, at, kid))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Checkpoint:
    """A signed chain head to keep outside the database."""

    size: int
    hash: str
    at: str
    key_id: str
    public_key: str  # hex: lets a verifier without the key file check it (trusting where it was kept)
    signature: str

    def to_dict(self) -> dict[str, Any]:
        return {"format": "leakwarden-audit-checkpoint/v1", **asdict(self)}

    def public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))

    @classmethod
    def from_dict(cls, data: object) -> Checkpoint:
        if not isinstance(data, dict) or data.get("format") != "leakwarden-audit-checkpoint/v1":
            raise InvalidInput("not a leakwarden audit checkpoint", code="invalid_checkpoint")
        try:
            checkpoint = cls(size=int(data["size"]), hash=str(data["hash"]), at=str(data["at"]),
                             key_id=str(data["key_id"]), public_key=str(data["public_key"]),
                             signature=str(data["signature"]))
            public = checkpoint.public()
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("the checkpoint lacks a field or has one of the wrong type",
                               code="invalid_checkpoint") from None
        if not head_signed(public, checkpoint.size, checkpoint.hash, checkpoint.at, checkpoint.key_id,
                           checkpoint.signature):
            raise InvalidInput("the checkpoint's signature does not hold: it was altered",
                               code="invalid_checkpoint")
        return checkpoint

    @classmethod
    def load(cls, path: str | Path) -> Checkpoint:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(f"cannot read the checkpoint {path}: {exc.strerror or exc}",
                               code="invalid_checkpoint") from None
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput(f"the checkpoint {path} is not JSON", code="invalid_checkpoint") from None
        return cls.from_dict(data)


def checkpoint(key: Ed25519PrivateKey, size: int, head_hash: str, at: datetime) -> Checkpoint:
    when, kid, signature = sign_head(key, size, head_hash, at)
    return Checkpoint(size=size, hash=head_hash, at=when, key_id=kid,
                      public_key=public_bytes(key.public_key()).hex(), signature=signature)
