"""The even-handedness report over HTTP: the JSON route (and its HTML form) and the console page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from e2e.casework import ADDRESS
from e2e.consistency_story import OVERTURN_NOTE, build_story
from fastapi.testclient import TestClient

from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.service.console import users

PASSWORD = "correct horse battery"
ROLES = ("submitter", "moderator", "admin")
ROUTE = "/v1/reports/consistency"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('consistency')}/lw.db"
    built = build_story(db_url)
    saved = users._hasher
    users.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    for role in ROLES:
        users.create_user(built.db, role, role, PASSWORD)
    yield built
    users.use_hasher(saved)


@pytest.fixture(scope="module")
def keys(engine: Engine) -> dict[str, dict[str, str]]:
    return {role: {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"} for role in ROLES}


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(users, "throttle", users.LoginThrottle())
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as c:
        yield c


def test_the_route_needs_a_moderator(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    assert client.get(ROUTE).json()["error"]["code"] == "unauthorized"
    assert client.get(ROUTE, headers=keys["submitter"]).status_code == 403
    assert client.get(ROUTE, headers=keys["moderator"]).status_code == 200


def test_the_json_report(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    body = client.get(f"{ROUTE}?within_days=7", headers=keys["moderator"]).json()
    assert body["within_days"] == 7 and body["summary"][1].startswith("Like cases, unlike outcomes: 2 of 2")
    assert [len(g["posts"]) for g in body["like_cases"]] == [2, 2]
    assert {p["outcome"] for g in body["like_cases"] for p in g["posts"]} == {
        "removed (remove, strike)", "visible (no action in effect)", "removed (remove)",
        "restricted (no action in effect)"}
    assert [(d["moderator"], d["note"]) for d in body["departures"]] == [("mod:alice", OVERTURN_NOTE)]
    assert [(r["kind"], r["verdict"]) for r in body["requests"]] == [("campaign", "partly done"),
                                                                    ("government", "already done before it")]
    assert body["requests"][0]["fulfilled"]["ban"] is None
    assert [t["account"] for t in body["timelines"]] == ["blogger", "fan", "journo", "troll", "troll2"]
    assert ADDRESS not in str(body)


def test_the_html_form(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    page = client.get(f"{ROUTE}?format=html&from=2020-01-01", headers=keys["moderator"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Was the policy applied evenly?</h1>" in page.text and page.text.count("<svg") >= 5


@pytest.mark.parametrize("query,code", [
    ("from=yesterday", "invalid_date"), ("to=2026-02-30", "invalid_date"),
    ("from=2026-12-01&to=2026-11-01", "invalid_period"), ("within_days=0", "invalid_input"),
    ("within_days=lots", "invalid_input"), ("format=pdf", "invalid_input"),
])
def test_bad_queries_are_clear_4xx(client: TestClient, keys: dict[str, dict[str, str]], query: str,
                                   code: str) -> None:
    response = client.get(f"{ROUTE}?{query}", headers=keys["moderator"])
    assert response.status_code == 422 and response.json()["error"]["code"] == code


def log_in(client: TestClient, name: str) -> None:
    page = client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post("/console/login", data={"name": name, "password": PASSWORD, "csrf": token.group(1),
                                                   "next": "/console/queue"}, follow_redirects=False)
    assert response.status_code == 303


def test_the_console_page_needs_a_moderator(client: TestClient) -> None:
    response = client.get("/console/consistency", follow_redirects=False)
    assert response.status_code == 303 and "/console/login" in response.headers["location"]
    log_in(client, "submitter")
    assert client.get("/console/consistency").status_code == 403


def test_the_console_page(client: TestClient) -> None:
    log_in(client, "moderator")
    page = client.get("/console/consistency?within_days=7")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    main = page.text.split('<main id="main"', 1)[1]
    assert "style=" not in main and "<script" not in main and "<style" not in main  # the console's CSP holds
    for heading in ("Like cases, unlike outcomes", "Manual departures from policy",
                    "Outside requests and what followed", "A timeline per account"):
        assert f"<h2>{heading}</h2>" in main
    assert "URL rule 1: block domain mirror.example" in main and "Request 1: campaign, from Trump campaign" in main
    assert main.count("<svg") >= 5 and ADDRESS not in main
    assert 'href="/console/consistency"' in page.text.split("<main")[0]  # in the navigation


@pytest.mark.parametrize("query,message", [
    ("from=2026-12-01&to=2026-11-01", "start must be before its end"), ("from=soon", "is not a date"),
    ("within_days=0", "within_days"),
])
def test_the_console_page_refuses_bad_periods(client: TestClient, query: str, message: str) -> None:
    log_in(client, "moderator")
    page = client.get(f"/console/consistency?{query}")
    assert page.status_code == 422 and message in page.text


def test_the_page_is_also_reachable_from_a_file(tmp_path: Path, engine: Engine) -> None:
    from leakwarden.audit import consistency, consistency_render
    from leakwarden.audit.report import period

    files = consistency_render.write(consistency.build(engine.db, *period(None, None)), tmp_path)
    assert files[0].name == "consistency.html" and all(f.stat().st_size > 0 for f in files)
