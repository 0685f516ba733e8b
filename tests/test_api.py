"""The HTTP API: roles, clear 4xx errors, check vs ingest."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    engine = Engine(db_url, detectors=[])
    keys = {role: {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"}
            for role in ("submitter", "moderator", "admin")}
    with TestClient(create_app(engine, max_body_bytes=50_000), raise_server_exceptions=False) as client:
        yield client, keys


POST = {"id": "p1", "author": "journo", "text": "dossier at https://newsletter.example/p/dossier"}


def test_health_needs_no_key(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, _ = api
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("method,path,body", [
    ("post", "/v1/check", POST), ("post", "/v1/posts", POST), ("get", "/v1/rules", None),
    ("get", "/v1/audit/verify", None), ("get", "/v1/requests", None), ("get", "/v1/report", None),
])
def test_every_route_needs_a_key(api: tuple[TestClient, dict[str, dict[str, str]]], method: str, path: str,
                                 body: object) -> None:
    client, _ = api
    for headers in ({}, {"Authorization": "Bearer lw_wrong"}):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("role,method,path,body,status", [
    ("submitter", "post", "/v1/rules", {"kind": "domain", "value": "x.example", "action": "block", "reason": "r"},
     403),
    ("submitter", "get", "/v1/rules", None, 403),
    ("moderator", "get", "/v1/audit/verify", None, 403),
    ("moderator", "post", "/v1/rules", {"kind": "domain", "value": "x.example", "action": "block", "reason": "r"},
     201),
    ("admin", "get", "/v1/audit/verify", None, 200),
])
def test_roles(api: tuple[TestClient, dict[str, dict[str, str]]], role: str, method: str, path: str,
               body: object, status: int) -> None:
    client, keys = api
    response = client.request(method, path, json=body, headers=keys[role])
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("content,status,code", [
    (b"{not json", 400, "malformed_json"),
    (b'{"id": "p", "author": "a"}', 422, "invalid_input"),
    (b'{"id": "p", "author": "a", "text": "t", "colour": "red"}', 422, "invalid_input"),
    (b'{"id": 5, "author": "a", "text": "t"}', 422, "invalid_input"),
    (b'{"id": "p", "author": "a", "text": "t", "links": ["javascript:alert(1)"]}', 422, "invalid_url"),
    (b'{"id": "p", "author": "a", "text": "' + b"x" * 60_000 + b'"}', 413, "body_too_large"),
    (b"[]", 422, "invalid_input"),
])
def test_bad_input_is_a_clear_4xx(api: tuple[TestClient, dict[str, dict[str, str]]], content: bytes,
                                  status: int, code: str) -> None:
    client, keys = api
    headers = {**keys["submitter"], "Content-Type": "application/json"}
    for path in ("/v1/check", "/v1/posts"):
        response = client.post(path, content=content, headers=headers)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code and error["message"]
    assert client.get("/v1/posts/p", headers=keys["moderator"]).status_code == 404  # nothing was written


def test_check_then_ingest(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, keys = api
    rule = {"kind": "domain", "value": "newsletter.example", "action": "block", "reason": "source",
            "source": True}
    assert client.post("/v1/rules", json=rule, headers=keys["moderator"]).status_code == 201
    checked = client.post("/v1/check", json=POST, headers=keys["submitter"]).json()
    assert checked["verdict"] == "remove"
    assert checked["reasons"][0]["clause"] == "source-of-hacked-material"
    assert checked["reasons"][0]["policy_version"] == "strict@2026.11.30"
    assert client.get("/v1/posts/p1", headers=keys["moderator"]).status_code == 404
    first = client.post("/v1/posts", json=POST, headers=keys["submitter"])
    again = client.post("/v1/posts", json=POST, headers=keys["submitter"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["verdict"] == again.json()["verdict"] == "remove"
    standing = client.get("/v1/accounts/journo", headers=keys["moderator"]).json()
    assert standing["state"] == "suspended" and standing["active_strikes"] == 1
    shared = client.post("/v1/check?policy=share-block", json={**POST, "id": "p2"}, headers=keys["submitter"])
    assert shared.json()["verdict"] == "restrict"
    unknown = client.post("/v1/check?policy=nonexistent", json=POST, headers=keys["submitter"])
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_policy"
    conflict = client.post("/v1/posts", json={**POST, "text": "edited"}, headers=keys["submitter"])
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "post_conflict"


def test_outside_requests_and_report(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, keys = api
    request = {"kind": "campaign", "requester": "Campaign of D. Harper", "asked": "remove the dossier",
               "concerns": {"urls": ["https://newsletter.example/p/dossier"]}, "outcome": "complied"}
    made = client.post("/v1/requests", json=request, headers=keys["moderator"])
    assert made.status_code == 201
    bad = client.post("/v1/requests", json={**request, "kind": "alien"}, headers=keys["moderator"])
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request_kind"
    missing = client.post("/v1/requests", json={**request, "action_ids": [999]}, headers=keys["moderator"])
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "unknown_action"
    report = client.get("/v1/report", headers=keys["moderator"]).json()
    assert report["requests_by_kind"] == [{"kind": "campaign", "outcome": "complied", "count": 1}]
    assert client.get("/v1/report?start=yesterday", headers=keys["moderator"]).status_code == 422
    verify = client.get("/v1/audit/verify", headers=keys["admin"]).json()
    assert verify["ok"] and verify["checked"] >= 4


def test_openapi_docs_are_served(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, _ = api
    assert "/v1/check" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200


def _junk(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.randint(-(2**70), 2**70)
    if choice == 3:
        return rng.random() * 1e308
    if choice == 4:
        codes = (rng.randrange(1, 0x10FFFF) for _ in range(rng.randrange(20)))
        return "".join(chr(c) for c in codes if not 0xD800 <= c <= 0xDFFF)
    if choice == 5:
        return rng.choice(["http://[::1]/", "https://x.example/%zz", "javascript:x", "http://" + "a." * 200, ""])
    if choice == 6:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["id", "author", "text", "links", "attachments", "surface", "lang", "created_at", "x"]
    return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randrange(6))}


@pytest.mark.parametrize("seed", range(6))
def test_random_bodies_never_give_a_500(api: tuple[TestClient, dict[str, dict[str, str]]], seed: int) -> None:
    client, keys = api
    rng = random.Random(seed)
    base = {"id": "p", "author": "a", "text": "t"}
    for i in range(60):
        body = _junk(rng)
        if isinstance(body, dict) and rng.random() < 0.5:
            body = {**base, **body}
        for path in ("/v1/check", "/v1/posts", "/v1/redact", "/v1/pii", "/v1/rules", "/v1/requests"):
            response = client.post(path, json=body, headers=keys["admin"])
            assert response.status_code < 500, (path, body, response.text)
            if response.status_code >= 400:
                assert response.json()["error"]["code"], (i, path)


# -- bad input is never a server error ---------------------------------------------------------------
_HUGE = 99999999999999999999
_REQUEST = {"kind": "court", "requester": "a court", "asked": "a record"}


@pytest.mark.parametrize("method,path,body,status,code", [
    ("get", f"/v1/cases/{_HUGE}", None, 422, "invalid_input"),
    ("get", "/v1/cases/0", None, 422, "invalid_input"),
    ("get", "/v1/cases/2147483647", None, 404, "not_found"),
    ("delete", f"/v1/rules/{_HUGE}", None, 422, "invalid_input"),
    ("delete", "/v1/rules/-1", None, 422, "invalid_input"),
    ("post", f"/v1/cases/{_HUGE}/confirm", {}, 422, "invalid_input"),
    ("post", f"/v1/cases/{_HUGE}/rules", {"kind": "domain", "value": "a.example"}, 422, "invalid_input"),
    ("post", "/v1/appeals", {"action_id": _HUGE, "account": "a"}, 422, "invalid_input"),
    ("post", f"/v1/rules/retro?since_version={_HUGE}", None, 422, "invalid_input"),
    ("post", "/v1/requests", {**_REQUEST, "action_ids": [_HUGE]}, 422, "invalid_input"),
    ("get", "/v1/audit?limit=-5", None, 200, None),
    ("get", "/v1/report?start=0001-01-01&end=9999-12-31", None, 200, None),
    ("get", "/v1/report?end=0001-01-01", None, 200, None),
    ("get", "/v1/report?end=9999-12-31T23:00:00-05:00", None, 422, "invalid_date"),
    ("post", "/v1/rules", {"kind": "exact", "value": "not a url", "action": "block", "reason": "r"}, 422,
     "invalid_url"),
    ("post", "/v1/rules", {"kind": "domain", "value": "not a domain", "action": "block", "reason": "r"}, 422,
     "invalid_url"),
    ("post", "/v1/expand", {"url": "not a url"}, 422, "invalid_url"),
    ("post", "/v1/expand", {"url": "ftp://files.example/d.pdf"}, 422, "bad_scheme"),
    ("post", "/v1/expand", {"url": "http://user:pw@files.example/"}, 422, "userinfo"),
    ("post", "/v1/expand", {"url": "http://10.0.0.1/"}, 422, "blocked_address"),
    ("post", "/v1/banks/leaks/items", {"url": "0"}, 422, "invalid_url"),
    ("post", "/v1/banks/leaks/items", {"url": "http://169.254.169.254/latest/"}, 422, "blocked_address"),
    ("post", "/v1/check", {"id": "p\u0000", "author": "a", "text": "t"}, 422, "invalid_input"),
    ("post", "/v1/posts", {"id": "p", "author": "a\u0000b", "text": "t"}, 422, "invalid_input"),
    ("post", "/v1/posts", {"id": "p\nq", "author": "a", "text": "t"}, 422, "invalid_input"),
])
def test_bad_input_is_never_a_server_error(api: tuple[TestClient, dict[str, dict[str, str]]],
                                           monkeypatch: pytest.MonkeyPatch, method: str, path: str, body: object,
                                           status: int, code: str | None) -> None:
    client, keys = api
    monkeypatch.setenv("LEAKWARDEN_EMBEDDER", "none")
    monkeypatch.delenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", raising=False)
    assert client.post("/v1/banks", json={"name": "leaks", "label": "l"}, headers=keys["admin"]).status_code == 201
    response = client.request(method, path, json=body, headers=keys["admin"])
    assert response.status_code == status, response.text
    if code is not None:
        error = response.json()["error"]
        assert error["code"] == code and error["message"]
    assert client.get("/v1/rules", headers=keys["admin"]).json() == []  # nothing was stored


@pytest.mark.parametrize("path,status", [("/v1/check", 400), ("/v1/posts", 400), ("/v1/banks/import", 422)])
def test_deeply_nested_json_is_refused(api: tuple[TestClient, dict[str, dict[str, str]]],
                                       monkeypatch: pytest.MonkeyPatch, path: str, status: int) -> None:
    client, keys = api
    monkeypatch.setenv("LEAKWARDEN_EMBEDDER", "none")
    deep = b"[" * 20_000 + b"]" * 20_000  # under the fixture's 50,000-byte limit
    if path == "/v1/banks/import":
        response = client.post(path, files={"file": ("bank.jsonl", deep)}, headers=keys["admin"])
    else:
        response = client.post(path, content=deep, headers={**keys["admin"], "Content-Type": "application/json"})
    assert response.status_code == status and response.json()["error"]["code"] == "too_deep", response.text


def test_values_the_database_cannot_hold_are_refused(any_db_url: str) -> None:
    """A NUL is storable in SQLite but not in PostgreSQL: a 4xx on both, never a 500."""
    engine = Engine(any_db_url, detectors=[])
    admin = {"Authorization": f"Bearer {create_key(engine.db, 'admin')[1]}"}
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        for method, path, body in [
            ("post", "/v1/posts", {"id": "p1", "author": "a", "text": "nul \u0000 inside"}),
            ("get", "/v1/accounts/a%00b", None),
            ("get", "/v1/posts/p%00", None),
            ("post", "/v1/reports", {"post_id": "p\u0000", "reason": "r"}),
            ("post", "/v1/requests", {**_REQUEST, "asked": "a \u0000 b"}),
        ]:
            response = client.request(method, path, json=body, headers=admin)
            assert response.status_code < 500, (path, response.text)
            if response.status_code >= 400:
                assert response.json()["error"]["code"]
        refused = client.post("/v1/posts", json={"id": "p2", "author": "a", "text": "nul \u0000"}, headers=admin)
        assert refused.status_code == 422 and "NUL" in refused.text  # the same answer on every database
        kept = client.post("/v1/posts", json={"id": "p3", "author": "a", "text": "tab\tand\nnewline"}, headers=admin)
        assert kept.status_code == 201


# -- over real connections --------------------------------------------------------------------------
@pytest.fixture
def served(db_url: str) -> Iterator[tuple[int, dict[str, str], FastAPI]]:
    """The app under uvicorn on 127.0.0.1, with a body limit of 50,000 bytes."""
    import socket
    import threading
    import time

    import uvicorn

    engine = Engine(db_url, detectors=[])
    admin = {"Authorization": f"Bearer {create_key(engine.db, 'admin')[1]}"}
    app = create_app(engine, max_body_bytes=50_000)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield port, admin, app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _request(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(sock: Any) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length body, read off the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    return int(head.split(b" ")[1]), body[:length]


def test_an_error_keeps_the_connection(served: tuple[int, dict[str, str], FastAPI]) -> None:
    """An unforeseen exception is a 500 JSON error, and the keep-alive connection serves the next request."""
    import json
    import socket

    port, admin, app = served

    def boom() -> None:
        raise RuntimeError("a bug, with private text in its message")

    app.add_api_route("/v1/boom", boom)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for path, status in [("/v1/report?start=0001-01-01&end=9999-12-31", 200), ("/v1/boom", 500),
                             ("/v1/cases/99999999999999999999", 422), ("/health", 200)]:
            sock.sendall(_request("GET", path, admin))
            got, body = _read_response(sock)
            assert got == status, (path, body)
            if status == 500:
                assert json.loads(body) == {"error": {"code": "internal",
                                                      "message": "an unexpected error; nothing was changed"}}


@pytest.mark.parametrize("path,content_type", [
    ("/v1/check", "application/json"),
    ("/v1/banks/leaks/items/upload", "multipart/form-data; boundary=xyz"),
])
def test_a_chunked_upload_is_refused_while_it_streams(served: tuple[int, dict[str, str], FastAPI], path: str,
                                                      content_type: str) -> None:
    """300 MB sent chunked (no Content-Length) to a server that takes 50,000 bytes: the 413 comes
    back long before the client is done sending, so the server never held the body."""
    import json
    import select
    import socket

    port, admin, _ = served
    chunk = b"x" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent, total = 0, 300 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(_request("POST", path, {**admin, "Content-Type": content_type, "Transfer-Encoding": "chunked"}))
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer is in
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        status, body = _read_response(sock)
    assert status == 413 and json.loads(body)["error"]["code"] == "body_too_large"
    assert sent < 32 * 1024 * 1024, f"{sent} bytes went out before the server said no"


def test_docs_use_only_local_assets(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    import re

    client, _ = api
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page.text) + re.findall(r"url:\s*'([^']+)'", page.text)
    # before: cdn.jsdelivr.net (JS, CSS) and fastapi.tiangolo.com (icon); after: none outside the server
    assert len(refs) >= 3 and [r for r in refs if "//" in r] == [], refs
    for ref in refs:
        assert client.get(ref).status_code == 200, ref
    assert "https://" not in page.text and "http://" not in page.text
    assert client.get("/redoc").status_code == 404  # ReDoc has no local assets: not offered


def test_openapi_declares_key_schemes(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, _ = api
    spec = client.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key", "description": "`X-API-Key: KEY`"}
    # (path, method, needs a key): the Authorize button applies exactly where a key is read
    table = [("/v1/check", "post", True), ("/v1/posts/{post_id}", "get", True), ("/v1/rules", "get", True),
             ("/health", "get", False), ("/metrics", "get", False)]
    for path, method, secured in table:
        assert ("security" in spec["paths"][path][method]) is secured, (path, method)
    secured_ops = [op for item in spec["paths"].values() for op in item.values() if "security" in op]
    assert len(secured_ops) >= 40  # before: 0 (42 of 48 when written)


def test_a_revoked_key_stops_working(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid keys are remembered for a moment per process: a revocation here takes effect at once,
    one made by another process (a direct update here) once the moment has passed."""
    from sqlalchemy import update

    from leakwarden.model import utcnow
    from leakwarden.service import auth
    from leakwarden.store.tables import ApiKey

    engine = Engine(db_url)
    client = TestClient(create_app(engine))
    first_id, first = create_key(engine.db, "moderator")
    second_id, second = create_key(engine.db, "moderator")
    for key in (first, second):
        assert client.get("/v1/audit", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    with engine.db.session() as s:  # revoked by another process (here, a direct update)
        s.execute(update(ApiKey).where(ApiKey.id == second_id).values(revoked_at=utcnow()))
    assert client.get("/v1/audit", headers={"Authorization": f"Bearer {second}"}).status_code == 200  # remembered
    later = time.monotonic() + auth.KEY_TTL_S + 1
    monkeypatch.setattr(auth.time, "monotonic", lambda: later)
    assert client.get("/v1/audit", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert client.get("/v1/audit", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    auth.revoke_key(engine.db, first_id)  # in this process: at once
    assert client.get("/v1/audit", headers={"Authorization": f"Bearer {first}"}).status_code == 401
