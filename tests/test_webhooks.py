"""Signed webhooks: Standard Webhooks headers verified with the published library, retries with
backoff across dispatcher restarts, dead letters, replay, refused private endpoints, no redirects."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from e2e.casework import casework_engine, doxx_post, journalist_post
from e2e.cli import run
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from leakwarden.outbox import dispatch, webhooks
from leakwarden.outbox.dispatch import Dispatcher, Settings, backoff
from leakwarden.outbox.tables import WebhookDelivery, WebhookEndpoint
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.store.db import Database

SRC = str(Path(__file__).resolve().parents[1] / "src")


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers each POST with the next status of ``script``
    (then 200) and keeps every request it got."""

    script: list[int] = field(default_factory=list)
    got: list[tuple[str, dict[str, str], bytes, int]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self) -> list[tuple[dict[str, str], bytes]]:
        """The requests it accepted (answered 2xx)."""
        return [(h, b) for _, h, b, status in self.got if 200 <= status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                status = state.script.pop(0) if state.script else 200
                state.got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body, status))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", state.url("/elsewhere"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(webhooks.ALLOW_PRIVATE_ENV, "1")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own: each dispatcher run is a fresh start."""
    full = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    return subprocess.run([sys.executable, "-m", "leakwarden", *args], capture_output=True, text=True, env=full,
                          timeout=120, check=False)


def verify(secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(body, headers)
    return payload


def test_failing_three_times_then_received_once_across_restarts(any_db_url: str, receiver: Receiver) -> None:
    """The issue's case: the receiver fails its first 3 attempts; the dispatcher is a new process
    for each attempt; the event arrives once, verified with the standardwebhooks library."""
    receiver.script = [500, 503, 500]
    engine = casework_engine(any_db_url)
    added = cli("webhooks", "add", receiver.url(), "--events", "decision.made", "--db", any_db_url)
    assert added.returncode == 0, added.stderr
    secret = added.stdout.split("secret: ", 1)[1].strip()
    assert secret.startswith("whsec_")
    engine.ingest(doxx_post())
    env = {"LEAKWARDEN_WEBHOOKS_RETRY_BASE_S": "0"}  # due again at once: the next process tries it
    for attempt in (1, 2, 3):
        run = cli("webhooks", "run", "--once", "--db", any_db_url, env=env)
        assert run.returncode == 0, run.stderr
        assert "1 failed attempts" in run.stdout
        shown = webhooks.deliveries(engine.db)
        assert [(d["state"], d["attempts"], d["last_error"]) for d in shown] == [("pending", attempt, "HTTP 5"
                                                                                   f"0{3 if attempt == 2 else 0}")]
    assert receiver.received() == []
    run = cli("webhooks", "run", "--once", "--db", any_db_url, env=env)
    assert run.returncode == 0 and "1 delivered" in run.stdout
    for _ in range(2):  # and never again
        assert "0 delivered, 0 failed" in cli("webhooks", "run", "--once", "--db", any_db_url, env=env).stdout
    assert len(receiver.got) == 4
    [(headers, body)] = receiver.received()
    event = verify(secret, headers, body)
    assert event["type"] == "decision.made" and event["data"]["post_id"] == "p-doxx"
    assert headers["webhook-id"] == event["id"] and headers["webhook-signature"].startswith("v1,")
    assert len({h["webhook-id"] for _, h, _, _ in receiver.got}) == 1  # the same id on every attempt
    with pytest.raises(WebhookVerificationError):
        verify(webhooks.new_secret(), headers, body)
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, body.replace(b"p-doxx", b"p-dox2"))
    shown = json.loads(cli("webhooks", "deliveries", "--json", "--db", any_db_url).stdout)
    assert [(d["state"], d["attempts"], d["last_status"]) for d in shown] == [("delivered", 4, 200)]


def test_dead_letter_then_replay_through_the_api(any_db_url: str, receiver: Receiver) -> None:
    engine = casework_engine(any_db_url)
    admin = {"Authorization": f"Bearer {create_key(engine.db, 'admin')[1]}"}
    mod = {"Authorization": f"Bearer {create_key(engine.db, 'moderator')[1]}"}
    settings = Settings(max_attempts=2, retry_base_s=0, retry_max_s=0, timeout_s=5)
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        assert client.post("/v1/webhooks", json={"url": receiver.url()}, headers=mod).status_code == 403
        made = client.post("/v1/webhooks", json={"url": receiver.url(), "events": ["decision.made"],
                                                 "description": "platform"}, headers=admin)
        assert made.status_code == 201, made.text
        hook = made.json()
        listed = client.get("/v1/webhooks", headers=admin).json()
        assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
        with engine.db.session() as s:  # stored sealed: a copy of the database cannot sign
            stored = s.get_one(WebhookEndpoint, hook["id"]).secret
        assert hook["secret"].startswith("whsec_") and hook["secret"][6:] not in stored
        engine.ingest(journalist_post())
        receiver.script = [500, 500]
        for _ in range(2):
            Dispatcher(engine.db, settings).run_once()
        [dead] = client.get("/v1/webhooks/deliveries?state=dead", headers=admin).json()
        assert dead["attempts"] == 2 and dead["last_status"] == 500
        assert client.get("/v1/webhooks", headers=admin).json()[0]["dead"] == 1
        assert Dispatcher(engine.db, settings).run_once().delivered == 0  # dead: left alone

        again = client.post(f"/v1/webhooks/deliveries/{dead['id']}/replay", headers=admin)
        assert again.status_code == 200 and again.json()["state"] == "pending"
        assert Dispatcher(engine.db, settings).run_once().delivered == 1
        [(headers, body)] = receiver.received()
        assert verify(hook["secret"], headers, body)["data"]["post_id"] == "p-dossier"
        # a delivered one can be replayed too (the receiver lost it): same webhook-id, so it can tell
        client.post(f"/v1/webhooks/deliveries/{dead['id']}/replay", headers=admin)
        Dispatcher(engine.db, settings).run_once()
        assert [h["webhook-id"] for h, _ in receiver.received()] == [headers["webhook-id"]] * 2

        assert client.delete(f"/v1/webhooks/{hook['id']}", headers=admin).status_code == 200
        engine.ingest(doxx_post())
        assert Dispatcher(engine.db, settings).run_once().fanned_out == 0
        assert client.get("/v1/webhooks", headers=admin).json() == []
        assert len(receiver.got) == 4


@pytest.mark.parametrize(("body", "code"), [
    ({"url": "ftp://example.com/hook"}, "invalid_url"),
    ({"url": "http://user:pw@example.com/hook"}, "invalid_url"),
    ({"url": "not a url"}, "invalid_url"),
    ({"url": "https://example.com/hook", "secret": "plain"}, "invalid_secret"),
    ({"url": "https://example.com/hook", "secret": "whsec_c2hvcnQ="}, "invalid_secret"),
    ({"url": "https://example.com/hook", "events": ["decision.eaten"]}, "invalid_input"),
    ({"url": "https://example.com/hook", "extra": 1}, "invalid_input"),
])
def test_bad_registrations_are_clear_4xx(db_url: str, body: dict[str, Any], code: str) -> None:
    engine = casework_engine(db_url)
    admin = {"Authorization": f"Bearer {create_key(engine.db, 'admin')[1]}"}
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        answer = client.post("/v1/webhooks", json=body, headers=admin)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == code, answer.text
        for path in ("/v1/webhooks/99", "/v1/webhooks/deliveries/99/replay"):
            method = client.delete if path.endswith("99") else client.post
            assert method(path, headers=admin).json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook",
                                 "http://[::1]/hook", "http://169.254.169.254/latest", "http://2130706433/"])
def test_private_endpoints_are_refused_unless_allowed(db_url: str, url: str, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(webhooks.ALLOW_PRIVATE_ENV)
    code, _, err = run(capsys, "webhooks", "add", url, "--db", db_url, "--create")
    assert code == 2 and err.startswith("error: ") and "not a public address" in err
    assert len(err.strip().splitlines()) == 1
    assert webhooks.list_endpoints(Database(db_url)) == []


def test_the_address_is_checked_again_when_delivering(db_url: str, receiver: Receiver,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    engine = casework_engine(db_url)
    webhooks.add(engine.db, receiver.url())  # allowed then
    engine.ingest(doxx_post())
    monkeypatch.delenv(webhooks.ALLOW_PRIVATE_ENV)  # not any more
    Dispatcher(engine.db, Settings(retry_base_s=0)).run_once()
    assert receiver.got == []
    errors = {d["last_error"] for d in webhooks.deliveries(engine.db)}
    assert errors and all(e.startswith("blocked_address") for e in errors)


def test_redirects_are_not_followed(db_url: str, receiver: Receiver) -> None:
    engine = casework_engine(db_url)
    webhooks.add(engine.db, receiver.url(), events=["decision.made"])
    engine.ingest(doxx_post())
    receiver.script = [302]
    Dispatcher(engine.db, Settings(retry_base_s=0)).run_once()
    assert [path for path, *_ in receiver.got] == ["/hook"]
    [delivery] = webhooks.deliveries(engine.db)
    assert delivery["state"] == "pending" and "redirects are not followed" in delivery["last_error"]


def test_an_unreachable_endpoint_is_an_attempt_that_failed(db_url: str) -> None:
    engine = casework_engine(db_url)
    webhooks.add(engine.db, "http://127.0.0.1:9/hook")  # the discard port: nothing listens
    engine.ingest(doxx_post())
    done = Dispatcher(engine.db, Settings(retry_base_s=60, timeout_s=2)).run_once()
    assert done.failed >= 1 and done.delivered == 0
    # backoff: not due again yet, so another round right away leaves it alone
    assert Dispatcher(engine.db, Settings(retry_base_s=60)).run_once().failed == 0
    assert all(d["state"] == "pending" and d["attempts"] == 1 for d in webhooks.deliveries(engine.db))


def test_an_endpoint_gets_only_its_types_and_only_from_its_registration(db_url: str, receiver: Receiver) -> None:
    engine = casework_engine(db_url)
    engine.ingest(journalist_post())  # before any endpoint: not delivered
    webhooks.add(engine.db, receiver.url(), events=["account.standing_changed", "decision.made"])
    engine.ingest(doxx_post())
    Dispatcher(engine.db, Settings()).run_once()
    kinds = [json.loads(b)["type"] for _, b in receiver.received()]
    assert sorted(set(kinds)) == ["account.standing_changed", "decision.made"]
    seqs = [json.loads(b)["seq"] for _, b in receiver.received()]
    assert len(seqs) > 1 and seqs == sorted(seqs)  # one endpoint's deliveries in the order of their events
    assert {json.loads(b)["data"].get("post_id", "-") for _, b in receiver.received()} <= {"p-doxx", "-"}


@pytest.mark.parametrize(("failures", "base", "cap", "low", "high"), [
    (1, 10, 3600, 5, 10),
    (2, 10, 3600, 10, 20),
    (5, 10, 3600, 80, 160),
    (20, 10, 3600, 1800, 3600),  # capped
    (3, 0, 3600, 0, 0),
])
def test_backoff_is_exponential_capped_and_jittered(failures: int, base: float, cap: float, low: float,
                                                    high: float) -> None:
    rng = random.Random(failures)
    waits = [backoff(failures, base, cap, rng) for _ in range(200)]
    assert all(low <= w <= high for w in waits)
    if high > low:
        assert len({round(w, 6) for w in waits}) > 100  # jittered, not one fixed delay


def test_two_dispatchers_deliver_each_event_once(db_url: str, receiver: Receiver) -> None:
    engine = casework_engine(db_url)
    webhooks.add(engine.db, receiver.url())
    for n in range(6):
        engine.ingest(doxx_post(pid=f"p{n}", author=f"a{n}"))
    dispatchers = [Dispatcher(Database(db_url), Settings()) for _ in range(2)]
    threads = [threading.Thread(target=d.run_once) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [h["webhook-id"] for h, _ in receiver.received()]
    assert len(ids) == len(set(ids)) == len(webhooks.deliveries(engine.db, limit=1000))
    assert all(d["state"] == "delivered" for d in webhooks.deliveries(engine.db, limit=1000))


def test_cli_lists_removes_and_refuses_clearly(db_url: str, receiver: Receiver,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", "--db", db_url)[0] == 0
    _, out, _ = run(capsys, "webhooks", "add", receiver.url(), "--events", "case.resolved,appeal.resolved",
                    "--db", db_url)
    assert out.startswith("webhook 1: ") and "appeal.resolved, case.resolved" in out
    listed = json.loads(run(capsys, "webhooks", "list", "--json", "--db", db_url)[1])
    assert [(h["id"], h["events"]) for h in listed] == [(1, ["appeal.resolved", "case.resolved"])]
    assert "secret" not in listed[0]
    for args, needle in ((("webhooks", "add", receiver.url(), "--events", "nope"), "unknown event type"),
                         (("webhooks", "add", receiver.url(), "--secret", "whsec_!!"), "whsec_ and base64"),
                         (("webhooks", "remove", "7"), "no webhook 7"),
                         (("webhooks", "replay", "7"), "no delivery 7"),
                         (("webhooks", "deliveries", "--state", "lost"), "a delivery state is one of")):
        code, _, err = run(capsys, *args, "--db", db_url)
        assert code == 2 and needle in err and len(err.splitlines()) == 1, args
    code, out, _ = run(capsys, "webhooks", "run", "--once", "--db", db_url)
    assert code == 0 and out.startswith("0 new deliveries")
    assert run(capsys, "webhooks", "remove", "1", "--db", db_url)[1].startswith("removed webhook 1")
    assert json.loads(run(capsys, "webhooks", "list", "--json", "--db", db_url)[1]) == []


def test_signing_matches_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = webhooks.new_secret()
    headers = dispatch.signed_headers(secret, "evt_1", '{"a":1}', datetime.now(UTC))
    assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}


def test_a_dispatcher_that_dies_after_claiming_loses_nothing(any_db_url: str, receiver: Receiver) -> None:
    engine = casework_engine(any_db_url)
    hook = webhooks.add(engine.db, receiver.url(), events=["decision.made"])
    engine.ingest(doxx_post())
    dying = Dispatcher(engine.db, Settings())
    dying.fan_out()
    [(claimed, _)] = dying.claim()  # ... and the process ends before sending
    assert Dispatcher(engine.db, Settings()).run_once().delivered == 0  # leased: nobody else sends it yet
    with engine.db.session() as s:  # the lease runs out
        s.get_one(WebhookDelivery, claimed).next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    assert Dispatcher(engine.db, Settings()).run_once().delivered == 1
    [(headers, body)] = receiver.received()
    assert verify(hook["secret"], headers, body)["data"]["post_id"] == "p-doxx"
