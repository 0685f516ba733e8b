"""The HTTP API: roles, clear 4xx errors, check vs ingest."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
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
    assert checked["reasons"][0]["policy_version"] == "strict@2026.11.1"
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
