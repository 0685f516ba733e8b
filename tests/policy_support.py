"""What the backtest and shadow policy tests share: the CLI runner, API keys and a console login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from e2e.casework import casework_engine, seed
from fastapi.testclient import TestClient
from test_cli import run  # noqa: F401  (re-exported: the CLI runner of the CLI tests)

from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.service.console import users

PASSWORD = "correct horse battery"
POLICIES = Path(__file__).parent / "fixtures" / "policies"  # candidate policies of the tests


def seeded(url: str) -> Engine:
    """The casework engine with its three posts decided under strict."""
    engine = casework_engine(url)
    seed(engine)
    return engine


def bearer(engine: Engine, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def console_login(client: TestClient, engine: Engine, role: str) -> str:
    """A console user of that role, logged in; returns the session's CSRF token."""
    users.create_user(engine.db, role, role, PASSWORD)
    page = client.get("/console/login")
    client.post("/console/login", data={"name": role, "password": PASSWORD, "csrf": csrf_of(page.text),
                                        "next": "/console/queue"})
    return csrf_of(client.get("/console/queue").text)


def api_client(engine: Engine) -> Iterator[TestClient]:
    """The API and console over ``engine``, as a test client (a fixture's body)."""
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as client:
        yield client
