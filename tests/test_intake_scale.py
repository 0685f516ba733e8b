"""Scale-out, with real processes: workers killed with ``kill -9``, the broker restarted, the
database connection dropped, and nothing lost or doubled. Text-only posts; links are not followed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from intake_support import blocking_engine, dead_letters, posts
from sqlalchemy import create_engine, func, select, text

import leakwarden
from leakwarden.audit import log as audit
from leakwarden.engine import Engine
from leakwarden.intake.client import IntakeClient
from leakwarden.store.tables import AuditEventRow, EnforcementAction, PostRow, Strike

pytestmark = pytest.mark.slow
SRC = str(Path(leakwarden.__file__).resolve().parents[1])


def start_worker(broker: str, db: str, *, concurrency: int = 4) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": SRC, "LEAKWARDEN_FOLLOW_LINKS": "0"}
    return subprocess.Popen([sys.executable, "-m", "leakwarden", "worker", "--broker", broker, "--db", db,
                             "--concurrency", str(concurrency), "--no-follow"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stored(engine: Engine) -> int:
    with engine.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(PostRow)) or 0)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def stop(worker: subprocess.Popen[bytes]) -> str:
    """SIGTERM: the worker finishes what it holds and exits 0."""
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err.decode()[-2000:]
    return err.decode()


def assert_exactly_once(engine: Engine, n: int) -> None:
    """n posts, one decision event each, one strike per post linking to blocked material, no action twice,
    and an intact audit chain."""
    assert stored(engine) == n
    with engine.db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEventRow).where(AuditEventRow.kind == "decision")) == n
        assert s.scalar(select(func.count()).select_from(Strike)) == len(range(0, n, 3))
        doubled = select(EnforcementAction.post_id).group_by(
            EnforcementAction.post_id, EnforcementAction.type, EnforcementAction.clause, EnforcementAction.target
        ).having(func.count() > 1)
        assert list(s.scalars(doubled)) == []
        assert audit.verify(s).ok


@pytest.mark.timeout(900)
def test_two_workers_one_killed_mid_batch_lose_and_double_nothing(nats_url: str, pg_url: str) -> None:
    engine = blocking_engine(pg_url)
    IntakeClient(nats_url).publish_posts(posts(2000))
    first, second = start_worker(nats_url, pg_url), start_worker(nats_url, pg_url)
    try:
        wait_for(lambda: stored(engine) >= 300, 240, "the first 300 posts")
        first.kill()  # kill -9: in-flight messages are never acknowledged, and come back after ack_wait
        first.wait()
        first = start_worker(nats_url, pg_url)
        wait_for(lambda: stored(engine) >= 2000, 600, "2,000 posts")
    finally:
        for worker in (first, second):
            if worker.poll() is None:
                stop(worker)
    assert_exactly_once(engine, 2000)
    assert dead_letters(nats_url) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A nats-server of this test's own, and a function that restarts it (same port, same store)."""
    binary = shutil.which("nats-server")
    if binary is None:
        if os.environ.get("LEAKWARDEN_REQUIRE_SERVICES") == "1":
            pytest.fail("nats-server is required (LEAKWARDEN_REQUIRE_SERVICES=1) but not on PATH")
        pytest.skip("nats-server not on PATH")
    port = free_port()
    command = [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(tmp_path / "js")]
    server = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def restart() -> None:
        server[0].terminate()
        server[0].wait(timeout=20)
        time.sleep(1.0)  # the workers see the broker gone
        server[0] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(up, 20, "nats-server to start again")

    wait_for(up, 20, "nats-server to start")
    yield f"nats://127.0.0.1:{port}?ack_wait=3", restart
    server[0].terminate()
    server[0].wait(timeout=20)


@pytest.mark.timeout(400)
def test_the_broker_restarted_mid_stream_loses_nothing(own_nats: tuple[str, Callable[[], None]],
                                                       db_url: str) -> None:
    url, restart = own_nats
    engine = blocking_engine(db_url)
    IntakeClient(url).publish_posts(posts(300))
    worker = start_worker(url, db_url)
    try:
        wait_for(lambda: stored(engine) >= 60, 120, "the first 60 posts")
        restart()
        IntakeClient(url).publish_posts(posts(100, prefix="late"))  # publishing works again, too
        wait_for(lambda: stored(engine) >= 400, 240, "400 posts")
    finally:
        err = stop(worker)
    assert "disconnected from NATS" in err
    assert stored(engine) == 400
    assert dead_letters(url) == []


@pytest.mark.timeout(400)
def test_a_dropped_database_connection_loses_nothing(nats_url: str, pg_url: str) -> None:
    engine = blocking_engine(pg_url)
    IntakeClient(nats_url).publish_posts(posts(300))
    worker = start_worker(nats_url, pg_url)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    dropped = 0
    try:
        wait_for(lambda: stored(engine) >= 50, 120, "the first 50 posts")
        for _ in range(3):  # mid-batch, again and again
            with admin.connect() as c:
                dropped += len(c.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )).all())
            time.sleep(0.3)
        wait_for(lambda: stored(engine) >= 300, 240, "300 posts")
    finally:
        stop(worker)
        admin.dispose()
    assert dropped >= 1
    assert_exactly_once(engine, 300)
    assert dead_letters(nats_url) == []
