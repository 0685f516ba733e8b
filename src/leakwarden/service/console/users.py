"""Console users (argon2id passwords, the API's roles) and server-side sessions.

A session id is 32 random bytes in an HttpOnly cookie; the database keeps only its SHA-256, with a
per-session CSRF token that every form must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from leakwarden.audit import log as audit
from leakwarden.enforcement.standing import aware
from leakwarden.errors import Conflict, InvalidInput, LeakwardenError, NotFound, Unauthorized
from leakwarden.model import utcnow
from leakwarden.service.auth import ROLES, Principal
from leakwarden.service.console.tables import ConsoleSession, ConsoleUser
from leakwarden.store.db import Database

SESSION_TTL = timedelta(hours=12)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,100}$")
SSO_MARK = "sso:"  # the password hash of a single sign-on user: its provider identity, never a password
_hasher = PasswordHasher()  # argon2id with argon2-cffi's recommended cost
_DUMMY = _hasher.hash("not a password of anyone")


def use_hasher(hasher: PasswordHasher) -> None:
    """Change the argon2 cost (tests use a cheap one). Existing hashes still verify, and are
    rehashed at the next login when their parameters differ."""
    global _hasher, _DUMMY
    _hasher, _DUMMY = hasher, hasher.hash("not a password of anyone")


class TooManyAttempts(LeakwardenError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LoginThrottle:
    """Failed logins in a sliding window, per account name and per client address.

    Past ``per_account`` failures for one name, or ``per_ip`` from one address, within ``window``
    seconds, further attempts are refused (HTTP 429, audited as ``console.login_throttled``)
    without checking the password, until the oldest failure leaves the window. A success clears
    the name's failures. Kept in the process: each server process throttles on its own.
    """

    def __init__(self, per_account: int = 5, per_ip: int = 20, window: float = 300.0,
                 clock: Any = time.monotonic) -> None:
        self.per_account, self.per_ip, self.window, self.clock = per_account, per_ip, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def wait(self, name: str, ip: str) -> int:
        """Seconds until another attempt for this name from this address is allowed (0: now)."""
        now = self.clock()
        with self._lock:
            waits = [0.0]
            for key, limit in ((f"user:{name.lower()}", self.per_account), (f"ip:{ip}", self.per_ip)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window - now)
            return int(max(waits) + 0.999)

    def failed(self, name: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"user:{name.lower()}", f"ip:{ip}"):
                self._failures.setdefault(key, deque()).append(now)
                if len(self._failures) > 100_000:  # bound the memory a spray of names can take
                    self._failures.pop(next(iter(self._failures)))

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{name.lower()}", None)


throttle = LoginThrottle()


@dataclass(frozen=True)
class SessionInfo:
    principal: Principal
    user_id: int
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters", code="weak_password")


def principal_of(user: ConsoleUser) -> Principal:
    return Principal(name=f"user:{user.name}", role=user.role)


def create_user(db: Database, name: str, role: str, password: str, *, actor: str = "cli") -> int:
    if not _NAME.match(name):
        raise InvalidInput("a user name is 1-100 letters, digits, '_', '.', '@', '+' or '-'", code="invalid_user")
    if role not in ROLES:
        raise InvalidInput(f"a role must be one of {', '.join(ROLES)}", code="invalid_role")
    _check_password(password)
    with db.session() as s:
        if s.scalar(select(ConsoleUser.id).where(ConsoleUser.name == name)) is not None:
            raise Conflict(f"user {name!r} already exists", code="user_exists")
        row = ConsoleUser(name=name, password_hash=_hasher.hash(password), role=role, created_at=utcnow())
        s.add(row)
        s.flush()
        audit.append(s, actor=actor, kind="user.created", subject_type="console_user", subject_id=name,
                     payload={"role": role})
        return row.id


def set_password(db: Database, name: str, password: str, *, actor: str = "cli") -> None:
    _check_password(password)
    with db.session() as s:
        row = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
        if row is None:
            raise NotFound(f"no user {name!r}")
        row.password_hash = _hasher.hash(password)
        s.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))
        audit.append(s, actor=actor, kind="user.password_set", subject_type="console_user", subject_id=name)


def disable_user(db: Database, name: str, *, actor: str = "cli") -> None:
    with db.session() as s:
        row = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name, ConsoleUser.disabled_at.is_(None)))
        if row is None:
            raise NotFound(f"no active user {name!r}")
        row.disabled_at = utcnow()
        s.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))
        audit.append(s, actor=actor, kind="user.disabled", subject_type="console_user", subject_id=name)


def list_users(db: Database) -> list[dict[str, object]]:
    with db.session() as s:
        return [{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat(),
                 "disabled": u.disabled_at is not None}
                for u in s.scalars(select(ConsoleUser).order_by(ConsoleUser.name))]


def log_in(db: Database, name: str, password: str, *, now: datetime | None = None, ip: str = "",
           limiter: LoginThrottle | None = None) -> tuple[str, SessionInfo]:
    """Check the password; on success return a new session token (for the cookie) and the session.

    Every failure is audited (the name and the client address, never the password); too many
    failures for a name or from an address are refused for a while (``LoginThrottle``)."""
    now = now or utcnow()
    limiter = limiter or throttle
    wait = limiter.wait(name, ip)
    if wait:
        with db.session() as s:
            audit.append(s, actor="console", kind="console.login_throttled", subject_type="console_user",
                         subject_id=name[:100], payload={"ip": ip, "retry_after_s": wait})
        raise TooManyAttempts(f"too many failed logins; try again in {wait} seconds", wait)
    with db.session() as s:
        user = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name, ConsoleUser.disabled_at.is_(None)))
        try:
            _hasher.verify(user.password_hash if user else _DUMMY, password[:MAX_PASSWORD])
            ok = user is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:  # audited and committed; the error is raised after
            audit.append(s, actor="console", kind="console.login_failed", subject_type="console_user",
                         subject_id=name[:100], payload={"ip": ip})
            user = None
    if user is None:
        limiter.failed(name, ip)
        raise Unauthorized("the user name or password is wrong", code="login_failed")
    limiter.succeeded(name)
    with db.session() as s:
        user = s.get_one(ConsoleUser, user.id)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return _start_session(s, user, now, "console.login", {})


def _start_session(s: Any, user: ConsoleUser, now: datetime, kind: str,
                   payload: dict[str, Any]) -> tuple[str, SessionInfo]:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    s.add(ConsoleSession(id_hash=_digest(token), user_id=user.id, csrf=csrf, created_at=now,
                         expires_at=now + SESSION_TTL))
    audit.append(s, actor=principal_of(user).name, kind=kind, subject_type="console_user", subject_id=user.name,
                 payload=payload or None)
    return token, SessionInfo(principal_of(user), user.id, csrf)


def sso_log_in(db: Database, *, issuer: str, claims: dict[str, Any], role: str, ip: str = "",
               now: datetime | None = None) -> tuple[str, SessionInfo]:
    """A session for the provider's user (issuer, ``sub``), as the console user named by the e-mail
    (else ``sso-`` and a hash of the identity); made at the first sign-on, given the mapped role at
    each. A password user of that name, or another identity's, is never taken over; a disabled
    user stays out. Audited as ``console.sso_login`` with the issuer and the role."""
    from leakwarden.service.console.sso import SsoRefused

    now = now or utcnow()
    identity = SSO_MARK + hashlib.sha256(f"{issuer}\0{claims['sub']}".encode()).hexdigest()
    email = claims.get("email")
    name = email.lower() if isinstance(email, str) and _NAME.match(email) else f"sso-{identity[4:20]}"
    with db.session() as s:
        user = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
        if user is None:
            user = ConsoleUser(name=name, password_hash=identity, role=role, created_at=now)
            s.add(user)
            s.flush()
            audit.append(s, actor="sso", kind="user.created", subject_type="console_user", subject_id=name,
                         payload={"role": role, "issuer": issuer})
        elif not hmac.compare_digest(user.password_hash.encode(), identity.encode()):
            raise SsoRefused(f"the console user {name!r} belongs to someone else (a password user or another "
                             "sign-on identity)", code="sso_name_taken", status=403)
        elif user.disabled_at is not None:
            raise SsoRefused(f"the console user {name!r} is disabled", code="sso_disabled", status=403)
        user.role = role
        return _start_session(s, user, now, "console.sso_login", {"issuer": issuer, "role": role, "ip": ip})


def session_of(db: Database, token: str | None, *, now: datetime | None = None) -> SessionInfo | None:
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    with db.session() as s:
        row = s.get(ConsoleSession, _digest(token))
        if row is None or (aware(row.expires_at) or now) <= now:
            return None
        user = s.get(ConsoleUser, row.user_id)
        if user is None or user.disabled_at is not None:
            return None
        return SessionInfo(principal_of(user), user.id, row.csrf)


def log_out(db: Database, token: str | None) -> None:
    if not token:
        return
    with db.session() as s:
        row = s.get(ConsoleSession, _digest(token))
        if row is None:
            return
        user = s.get(ConsoleUser, row.user_id)
        s.delete(row)
        if user is not None:
            audit.append(s, actor=principal_of(user).name, kind="console.logout", subject_type="console_user",
                         subject_id=user.name)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
