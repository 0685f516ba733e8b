"""Shared fixtures: databases (SQLite always; PostgreSQL when it runs), engines, posts."""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

PG_ADMIN_URL = os.environ.get("LEAKWARDEN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_SERVICES = os.environ.get("LEAKWARDEN_REQUIRE_SERVICES") == "1"

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leakwarden.signals.spam import SpamDetector
    from leakwarden.store.db import Database


@pytest.fixture(scope="session")
def _pii_hash_key_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("pii-key") / "pii-hash.key")


@pytest.fixture(scope="session", autouse=True)
def _reveal_key_file(_pii_hash_key_file: str) -> Iterator[str]:
    """Private values at rest are sealed with a key file the tests make, from the first fixture on
    (module-scoped fixtures store decisions too), never the real home's."""
    names = ("LEAKWARDEN_REVEAL_KEY", "LEAKWARDEN_REVEAL_KEY_FILE", "LEAKWARDEN_AUDIT_KEY_FILE")
    saved = {name: os.environ.get(name) for name in names}
    path = os.path.join(os.path.dirname(_pii_hash_key_file), "reveal.key")
    os.environ.pop("LEAKWARDEN_REVEAL_KEY", None)
    os.environ["LEAKWARDEN_REVEAL_KEY_FILE"] = path
    # the audit log's signing key (audit.signing): the same directory
    os.environ["LEAKWARDEN_AUDIT_KEY_FILE"] = os.path.join(os.path.dirname(path), "audit-ed25519.key")
    yield path
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _pii_hash_key(monkeypatch: pytest.MonkeyPatch, _pii_hash_key_file: str, _reveal_key_file: str) -> None:
    """Hashes of private values are keyed with a key file the tests make, never the real home's."""
    monkeypatch.delenv("LEAKWARDEN_PII_HASH_KEY", raising=False)
    monkeypatch.setenv("LEAKWARDEN_PII_HASH_KEY_FILE", _pii_hash_key_file)
    monkeypatch.delenv("LEAKWARDEN_REVEAL_KEY", raising=False)  # private values at rest: same key directory
    monkeypatch.setenv("LEAKWARDEN_REVEAL_KEY_FILE", _reveal_key_file)


@pytest.fixture(autouse=True)
def _no_link_following(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests follow links only when they say so (and then only to servers they start)."""
    monkeypatch.setenv("LEAKWARDEN_FOLLOW_LINKS", "0")
    monkeypatch.delenv("LEAKWARDEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEAKWARDEN_POLICY", raising=False)


_TEMPLATE: dict[str, str] = {}


def _admin() -> Engine:
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _template_or_skip() -> str:
    """A migrated database to copy (once per test process): copying beats migrating each time."""
    if "name" in _TEMPLATE:
        return _TEMPLATE["name"]
    from sqlalchemy import text

    from leakwarden.store.db import Database

    try:
        admin = _admin()
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL is required (LEAKWARDEN_REQUIRE_SERVICES=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}")
    name = f"lw_template_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    Database(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}").dispose()
    admin.dispose()
    _TEMPLATE["name"] = name
    atexit.register(_drop_database, name)
    return name


def _postgres_or_skip() -> str:
    from sqlalchemy import text

    template = _template_or_skip()
    name = f"lw_test_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_database(name: str) -> None:
    from sqlalchemy import text

    admin = _admin()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _drop_postgres(url: str) -> None:
    _drop_database(url.rsplit("/", 1)[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A fresh, empty database URL: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/lw.db"
        return
    url = _postgres_or_skip()
    try:
        yield url
    finally:
        _drop_postgres(url)


@pytest.fixture
def cheap_argon2() -> Iterator[None]:
    """Argon2id still, at a cost that keeps the suite fast on a shared machine."""
    from argon2 import PasswordHasher

    from leakwarden.service.console import users

    saved = users._hasher
    users.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    users.use_hasher(saved)


@pytest.fixture
def discarding_spam() -> Callable[[Database], SpamDetector]:
    """A spam detector on the shipped model that discards from 0.999, for the tests of what a discard
    does: the shipped model's threshold sits above every ham's out-of-fold probability (0.9999977),
    and the tests' canonical spam reach 0.9996-0.99999."""
    from leakwarden.signals.spam import SpamDetector

    def make(db: Database) -> SpamDetector:
        detector = SpamDetector(db)
        detector.model.thresholds.blatant = 0.999
        return detector

    return make


@pytest.fixture
def db_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/lw.db"


# The hostile-server and hostile-image suites print how many of their cases passed (also under
# xdist: the reports of every worker reach the controlling process).
_HOSTILE = {"passed": 0, "total": 0}
_HOSTILE_IMAGES = {"passed": 0, "total": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for marker, counts in (("test_hostile_servers.py::test_hostile_server[", _HOSTILE),
                           ("test_hostile_images.py::test_hostile_image[", _HOSTILE_IMAGES)):
        if marker in report.nodeid:
            counts["total"] += 1
            counts["passed"] += report.passed


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, counts in (("hostile-server", _HOSTILE), ("hostile-image", _HOSTILE_IMAGES)):
        if counts["total"]:
            terminalreporter.write_line(f"{name} suite: {counts['passed']}/{counts['total']} cases passed")


# Brokers (intake): the servers on this machine, each test in a namespace of its own.
NATS_URL = os.environ.get("LEAKWARDEN_TEST_NATS", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("LEAKWARDEN_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _reachable_or_skip(url: str, what: str) -> None:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2).close()
    except OSError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"{what} is required (LEAKWARDEN_REQUIRE_SERVICES=1) but unreachable at {url}: {exc}")
        pytest.skip(f"{what} not reachable at {url}: {type(exc).__name__}")


def _drop_namespace(url: str) -> None:
    """Remove a test's streams (NATS) or keys (Redis), so the shared servers do not fill up."""
    import contextlib

    from leakwarden.intake.broker import run_on

    with contextlib.suppress(Exception):  # the server went away meanwhile: nothing to clean
        run_on(url, lambda broker: broker.delete())


@pytest.fixture(params=["nats", "redis"])
def broker_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A broker URL with a namespace of its own: NATS JetStream, then Redis Streams."""
    base, what = (NATS_URL, "NATS") if request.param == "nats" else (REDIS_URL, "Redis")
    _reachable_or_skip(base, what)
    url = f"{base}?namespace=t{uuid.uuid4().hex[:10]}&ack_wait=3"
    yield url
    _drop_namespace(url)


@pytest.fixture
def nats_url() -> Iterator[str]:
    _reachable_or_skip(NATS_URL, "NATS")
    url = f"{NATS_URL}?namespace=t{uuid.uuid4().hex[:10]}&ack_wait=3"
    yield url
    _drop_namespace(url)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database URL."""
    url = _postgres_or_skip()
    try:
        yield url
    finally:
        _drop_postgres(url)
