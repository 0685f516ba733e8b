"""``leakwarden serve``: says where it listens, N workers, the access log, JSON logs, clear refusals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leakwarden.cli import main
from leakwarden.engine import Engine
from leakwarden.service.auth import create_key

LISTENING = re.compile(r"^leakwarden: listening on (http://127\.0\.0\.1:(\d+)) \((\d+) workers?; docs ")
SSN = "219-44-8213"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "serve.db")
    Engine(path, detectors=[], create=True).db.dispose()
    return path


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if re.search(rf"^PPid:\s+{pid}$", status, re.M):
                found.append(int(entry.name))
    return found


class Server:
    def __init__(self, db: str, *args: str) -> None:
        env = {**os.environ, "LEAKWARDEN_FOLLOW_LINKS": "0", "PYTHONUNBUFFERED": "1"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.process = subprocess.Popen([sys.executable, "-m", "leakwarden", "serve", "--db", db, "--port", "0",
                                         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=env)
        assert self.process.stdout is not None
        self.line = self.process.stdout.readline().strip()
        match = LISTENING.match(self.line)
        assert match, (self.line, self.stop())
        self.url, self.workers = match.group(1), int(match.group(3))

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.2)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        _, err = self.process.communicate()
        return err


@pytest.fixture
def serve(db: str) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_prints_where_it_listens_and_runs_n_workers(db: str, serve: list[Server], workers: int) -> None:
    key = {"X-API-Key": create_key(Engine(db, detectors=[]).db, "submitter")[1]}
    server = Server(db, "--workers", str(workers), "--access-log", "--log-format", "json")
    serve.append(server)
    server.wait_ready()
    assert server.workers == workers
    # before: --workers N failed (create_app took a factory it was not given); after: N processes answer
    spawned = [p for p in children(server.process.pid) if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
    assert len(spawned) == (workers if workers > 1 else 0)
    post = {"id": "s1", "author": "alice-dox-target", "text": f"SSN {SSN}"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for _ in range(3 * workers):
            assert http.post("/v1/check", json=post, headers=key).status_code == 200
        assert http.get("/v1/check", headers=key).status_code == 405
        text = http.get("/metrics").text
    served = sum(float(m.group(1)) for m in re.finditer(
        r'^leakwarden_http_requests_total\{method="POST",route="/v1/check",status="200"\} (\S+)$', text, re.M))
    assert served == 3 * workers, text  # summed over every worker
    err = server.stop()
    access = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [e for e in access if e["logger"] == "leakwarden.access"]
    assert {(e["method"], e["route"], e["status"]) for e in access} >= {
        ("POST", "/v1/check", 200), ("GET", "/v1/check", 405), ("GET", "/health", 200)}
    assert SSN not in err and "alice-dox-target" not in err and "s1" not in err.replace("ms", "")


@pytest.mark.slow
def test_access_log_is_off_by_default(db: str, serve: list[Server]) -> None:
    server = Server(db)
    serve.append(server)
    server.wait_ready()
    assert server.workers == 1
    assert "leakwarden.access" not in server.stop()


def port_in_use() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("args,message", [
    (["--workers", "0"], "--workers"),
    (["--port", "70000"], "--port"),
    (["--log-format", "xml"], "log format must be one of text, json"),
    (["--db", "/nonexistent/dir/x.db"], "no database at /nonexistent/dir/x.db"),
    (["--policy", "no-such-policy"], "policy"),
    (["--workers", "2", "--policy", "no-such-policy"], "policy"),
    (["--host", "256.1.1.1"], "cannot listen on 256.1.1.1:"),
])
def test_bad_serve_input_is_one_line(db: str, capsys: pytest.CaptureFixture[str], args: list[str],
                                     message: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--db", db, "--port", "0", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1 and message in err, err


def test_a_port_in_use_is_one_line(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    for port in port_in_use():
        with pytest.raises(SystemExit) as exit_:
            main(["serve", "--db", db, "--port", str(port), "--no-follow"])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.startswith(f"error: cannot listen on 127.0.0.1:{port}"), err


def test_connections_are_accepted_without_nagle_delay() -> None:
    """Every connection the server accepts sends at once (TCP_NODELAY, from the listening socket):
    without it each response waited about 40 ms for the client's delayed ACK."""
    from leakwarden.cli.serve import bind

    listener = bind("127.0.0.1", 0)
    try:
        listener.listen(1)
        with socket.create_connection(listener.getsockname()[:2]) as _client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()


def test_a_worker_app_freezes_the_heap_it_starts_with(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker's app moves what it was built with out of the collector's view: a full collection
    then walks only what requests leave behind, not the modules and models (100-160 ms stalls)."""
    import gc

    from leakwarden import logsetup
    from leakwarden.service.app import app_from_env

    monkeypatch.setenv("LEAKWARDEN_DATABASE_URL", db)
    monkeypatch.setattr(logsetup, "configure", lambda *a, **k: None)  # the test process's logging stays
    gc.unfreeze()
    try:
        app_from_env()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
