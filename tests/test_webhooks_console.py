"""The console's webhooks page (``/console/webhooks``): endpoints added (the secret shown once),
removed after a confirmation, deliveries replayed, the event feed paged by cursor; admin only, CSRF
checked, every change audited as the CLI and the API audit it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e.casework import casework_engine, doxx_post, journalist_post
from fastapi.testclient import TestClient
from policy_support import api_client, console_login
from sqlalchemy import select

from leakwarden.engine import Engine
from leakwarden.outbox import events as feed
from leakwarden.outbox import webhooks
from leakwarden.outbox.dispatch import Dispatcher, Settings
from leakwarden.service.console import webhook_pages
from leakwarden.store.tables import AuditEventRow

pytestmark = pytest.mark.usefixtures("cheap_argon2")
UNREACHABLE = "http://127.0.0.1:9/hook"  # the discard port: nothing listens


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(webhooks.ALLOW_PRIVATE_ENV, "1")


@pytest.fixture
def engine(any_db_url: str) -> Engine:
    return casework_engine(any_db_url)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    yield from api_client(engine)


def audited(engine: Engine, kind: str) -> list[tuple[str, str]]:
    with engine.db.session() as s:
        return [(e.actor, e.subject_id) for e in s.scalars(select(AuditEventRow).where(AuditEventRow.kind == kind))]


def test_admin_adds_an_endpoint_and_sees_its_secret_once(engine: Engine, client: TestClient) -> None:
    csrf = console_login(client, engine, "admin")
    assert 'href="/console/webhooks"' in client.get("/console/queue").text  # in the nav
    added = client.post("/console/webhooks", data={"url": "https://hooks.example/in", "description": "platform",
                                                   "events": ["decision.made", "case.resolved"], "csrf": csrf})
    assert added.status_code == 201, added.text
    assert added.headers["cache-control"] == "no-store"
    [hook] = webhooks.list_endpoints(engine.db)
    assert hook["events"] == ["case.resolved", "decision.made"] and hook["created_by"] == "user:admin"
    secret = added.text.split('<code class="secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_") and added.text.count(secret) == 2  # the text and its copy button
    page = client.get("/console/webhooks").text
    assert "https://hooks.example/in" in page and "case.resolved, decision.made" in page
    assert secret not in page and secret[6:20] not in page  # never shown again
    assert audited(engine, "webhook.added") == [("user:admin", str(hook["id"]))]


def test_removing_asks_first_then_removes_and_audits(engine: Engine, client: TestClient) -> None:
    csrf = console_login(client, engine, "admin")
    hook = webhooks.add(engine.db, "https://hooks.example/in")
    asked = client.post(f"/console/webhooks/{hook['id']}/remove", data={"csrf": csrf})
    assert asked.status_code == 200 and "Remove webhook" in asked.text and 'value="yes"' in asked.text
    assert [h["id"] for h in webhooks.list_endpoints(engine.db)] == [hook["id"]]  # not yet
    done = client.post(f"/console/webhooks/{hook['id']}/remove", data={"csrf": csrf, "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/console/webhooks"
    assert webhooks.list_endpoints(engine.db) == []
    assert audited(engine, "webhook.removed") == [("user:admin", str(hook["id"]))]
    again = client.post(f"/console/webhooks/{hook['id']}/remove", data={"csrf": csrf})
    assert again.status_code == 404 and f"no webhook {hook['id']}" in again.text


def test_a_dead_delivery_is_replayed_as_a_new_pending_attempt(engine: Engine, client: TestClient) -> None:
    csrf = console_login(client, engine, "admin")
    webhooks.add(engine.db, UNREACHABLE, events=["decision.made"])
    engine.ingest(doxx_post())
    Dispatcher(engine.db, Settings(max_attempts=1, retry_base_s=0, timeout_s=2)).run_once()
    [dead] = webhooks.deliveries(engine.db)
    assert dead["state"] == "dead"
    page = client.get("/console/webhooks?state=dead").text
    assert f'aria-label="Replay delivery {dead["id"]}"' in page and 'class="state dead"' in page
    replayed = client.post(f"/console/webhooks/deliveries/{dead['id']}/replay", data={"csrf": csrf},
                           follow_redirects=False)
    assert replayed.status_code == 303
    [again] = webhooks.deliveries(engine.db)
    assert (again["id"], again["state"], again["attempts"]) == (dead["id"], "pending", 0)
    assert audited(engine, "webhook.replayed") == [("user:admin", str(dead["endpoint_id"]))]
    pending = client.get("/console/webhooks?state=pending").text
    assert f'class="delivery-{dead["id"]}"' in pending and "Replay delivery" not in pending  # not while pending
    assert client.post("/console/webhooks/deliveries/999/replay", data={"csrf": csrf}).status_code == 404


def test_a_private_url_is_refused_with_a_clear_message(engine: Engine, client: TestClient,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(webhooks.ALLOW_PRIVATE_ENV)
    csrf = console_login(client, engine, "admin")
    for url, code, says in ((UNREACHABLE, "private_url", "is not a public address"),
                            ("ftp://example.com/x", "invalid_url", "absolute http or https URL")):
        refused = client.post("/console/webhooks", data={"url": url, "events": ["decision.made"], "csrf": csrf})
        assert refused.status_code == 422
        assert f'data-code="{code}"' in refused.text and says in refused.text
        assert f'value="{url}"' in refused.text and 'value="decision.made" checked' in refused.text  # kept
    assert webhooks.list_endpoints(engine.db) == []


def test_a_moderator_cannot_see_or_change_webhooks(engine: Engine, client: TestClient) -> None:
    hook = webhooks.add(engine.db, "https://hooks.example/in")
    csrf = console_login(client, engine, "moderator")
    assert 'href="/console/webhooks"' not in client.get("/console/queue").text
    assert client.get("/console/webhooks").status_code == 403
    for path, data in (("/console/webhooks", {"url": "https://x.example/", "csrf": csrf}),
                       (f"/console/webhooks/{hook['id']}/remove", {"csrf": csrf, "confirm": "yes"}),
                       ("/console/webhooks/deliveries/1/replay", {"csrf": csrf})):
        assert client.post(path, data=data).status_code == 403, path
    assert [h["id"] for h in webhooks.list_endpoints(engine.db)] == [hook["id"]]


def test_forms_without_the_csrf_token_are_refused(engine: Engine, client: TestClient) -> None:
    console_login(client, engine, "admin")
    hook = webhooks.add(engine.db, "https://hooks.example/in")
    for path, data in (("/console/webhooks", {"url": "https://x.example/"}),
                       ("/console/webhooks", {"url": "https://x.example/", "csrf": "forged"}),
                       (f"/console/webhooks/{hook['id']}/remove", {"confirm": "yes"}),
                       ("/console/webhooks/deliveries/1/replay", {})):
        refused = client.post(path, data=data)
        assert refused.status_code == 403 and 'data-code="csrf"' in refused.text, path
    assert [h["id"] for h in webhooks.list_endpoints(engine.db)] == [hook["id"]]
    assert audited(engine, "webhook.removed") == []


def test_the_event_feed_is_paged_by_cursor(engine: Engine, client: TestClient,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_pages, "EVENTS_PAGE", 2)
    console_login(client, engine, "admin")
    empty = client.get("/console/webhooks").text
    assert "No events." in empty and "Older events" not in empty
    engine.ingest(journalist_post())
    engine.ingest(doxx_post())
    head = feed.latest(engine.db)
    assert head > 4
    latest = client.get("/console/webhooks").text
    assert f"<td>{head}</td>" in latest and f"<td>{head - 1}</td>" in latest and f"<td>{head - 2}</td>" not in latest
    assert "Newer events" not in latest and f"?after={head - 4}" in latest
    older = client.get(f"/console/webhooks?after={head - 4}").text  # the page before: head-3 and head-2
    assert f"<td>{head - 2}</td>" in older and f"<td>{head - 3}</td>" in older and f"<td>{head}</td>" not in older
    assert f"?after={head - 2}" in older  # newer: back to the latest page
    assert "decision.made" in client.get("/console/webhooks?after=0").text


@pytest.mark.parametrize("query", ["state=lost", "after=-1", "after=x"])
def test_bad_filters_are_a_clear_422(engine: Engine, client: TestClient, query: str) -> None:
    console_login(client, engine, "admin")
    answer = client.get(f"/console/webhooks?{query}")
    assert answer.status_code == 422 and 'role="alert"' in answer.text
