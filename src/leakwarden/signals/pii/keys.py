"""The secret key of every hash kept of a private value (evidence, ``redact --style hash``).

An SSN has under a billion possible values and a date of birth a few tens of thousands: an unkeyed
hash of one is reversed by hashing them all, in about a second. So a private value is only ever
hashed with HMAC-SHA-256 and a secret key, never with a bare hash. The key is:

1. ``LEAKWARDEN_PII_HASH_KEY`` when it is set (its UTF-8 bytes);
2. otherwise the content of the key file: ``LEAKWARDEN_PII_HASH_KEY_FILE``, by default
   ``~/.config/leakwarden/pii-hash.key``. The first process that needs the key and finds no file
   writes one: 32 random bytes (as 64 hex digits), mode 0600, in a directory of mode 0700. It is
   kept outside the database, so a copy of the database does not carry the key to its hashes.

Processes that share a database must share the key (the variable, or the file): the hashes are how
decisions recognize a value seen before. If no key can be had, :class:`HashKeyUnavailable` says
why, and a detector or command that needs the key refuses to start.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from leakwarden.errors import LeakwardenError

KEY_ENV = "LEAKWARDEN_PII_HASH_KEY"
KEY_FILE_ENV = "LEAKWARDEN_PII_HASH_KEY_FILE"
#: The shortest key accepted from a key file (bytes): a key written by hand must still be a secret.
MIN_KEY_BYTES = 16

_HINT = f"set {KEY_ENV}, or {KEY_FILE_ENV} to a path this process can read and write"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cached: dict[str, bytes] = {}


class HashKeyUnavailable(LeakwardenError):
    """No key for hashing private values: the key file can be neither read nor created."""

    code = "pii_hash_key_unavailable"
    status = 500


def key_path(file_env: str, default_name: str) -> Path:
    """A key file's path: the variable ``file_env`` when set, else ``~/.config/leakwarden/NAME``."""
    configured = os.environ.get(file_env, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".config" / "leakwarden" / default_name


def warn_if_shared(path: Path) -> None:
    """Log (the path only) when a key file can be read by other users."""
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("the key file %s can be read by other users: chmod 600 it", path)


def key_file() -> Path:
    """Where the key is kept when ``LEAKWARDEN_PII_HASH_KEY`` is not set."""
    return key_path(KEY_FILE_ENV, "pii-hash.key")


def hash_key() -> bytes:
    """The HMAC key for hashes of private values: from the environment, else from the key file,
    which is created (once, by whichever process comes first) if it does not exist yet."""
    from_env = os.environ.get(KEY_ENV, "")
    if from_env:
        return from_env.encode()
    path = key_file()
    name = str(path)
    with _lock:
        key = _cached.get(name)
        if key is None:
            key = _cached[name] = _load_or_create(path)
        return key


def forget_cached_keys() -> None:
    """Read the key file again at the next :func:`hash_key` (keys are read once per process)."""
    with _lock:
        _cached.clear()


def _load_or_create(path: Path) -> bytes:
    data = read_or_create(path, lambda: secrets.token_hex(32).encode() + b"\n",
                          what="the key for hashes of private values", error=HashKeyUnavailable, hint=_HINT)
    if len(data) < MIN_KEY_BYTES:
        raise HashKeyUnavailable(f"the key file {path} holds {len(data)} bytes; a key needs at least "
                                 f"{MIN_KEY_BYTES} (delete the file to have one made)")
    return data


def read_or_create(path: Path, new_key: Callable[[], bytes], *, what: str, error: type[LeakwardenError],
                   hint: str) -> bytes:
    """The content of the key file at ``path`` (stripped), made from ``new_key()`` when it does not
    exist (:func:`create_key_file`). ``what`` names the key in messages ("the reveal key"); a file
    that can be neither read nor made raises ``error``. Logs (the path only) if others can read it."""
    try:
        data = _read(path, what, error, hint)
    except FileNotFoundError:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            create_key_file(path, new_key())
            data = _read(path, what, error, hint)
        except OSError as exc:
            raise error(f"cannot create {what} at {path} ({exc.strerror or exc}); {hint}") from None
        log.info("created %s at %s", what, path)
    warn_if_shared(path)
    return data


def create_key_file(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file at ``path`` with mode 0600, atomically: two processes that
    start at once end up with the same key (the second keeps the first one's file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # fails if the file exists: never replaces a key in use
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: create the file in place
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path, what: str, error: type[LeakwardenError], hint: str) -> bytes:
    for _ in range(50):  # a key file another process is writing right now: wait for its content
        try:
            data = path.read_bytes().strip()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise error(f"cannot read {what} at {path} ({exc.strerror or exc}); {hint}") from None
        if data:
            break
        time.sleep(0.01)
    return data
