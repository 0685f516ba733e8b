"""The console's webhooks page in headless Chromium: an admin adds an endpoint and copies its secret
(shown once), a private URL is refused with why, a dead delivery is replayed, the event feed is
listed, and an endpoint is removed after a confirmation. Screenshots in artifacts/e2e/. Skips as
the console's browser tests do when chromium or Playwright is missing."""

from __future__ import annotations

from typing import Any

import e2e.test_console_browser as console_browser
import pytest
from e2e.casework import doxx_post
from e2e.test_console_browser import browser, log_in, page, served, shot  # noqa: F401  (fixtures)

from leakwarden.engine import Engine
from leakwarden.outbox import webhooks
from leakwarden.outbox.dispatch import Dispatcher, Settings


def test_add_replay_and_remove_a_webhook(page: Any, served: tuple[str, Engine],  # noqa: F811
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import expect

    base, engine = served
    log_in(page, base, "admin")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks and the event feed")).to_be_visible()
    expect(page.locator("table.feed")).to_contain_text("decision.made")  # the seeded posts' events

    page.get_by_label("Endpoint URL (http or https, public)").fill("http://127.0.0.1:9/hook")
    page.get_by_label("decision.made").check()
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("is not a public address")
    expect(page.get_by_label("decision.made")).to_be_checked()  # the form is kept
    shot(page, "30-webhook-refused")

    monkeypatch.setenv(webhooks.ALLOW_PRIVATE_ENV, "1")  # as a deployment that allows loopback would
    page.get_by_role("button", name="Add the endpoint").click()
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("whsec_")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    shot(page, "31-webhook-secret-once")
    page.get_by_role("link", name="Back to the webhooks").click()
    expect(page.locator("table.endpoints")).to_contain_text("http://127.0.0.1:9/hook")
    assert secret not in page.content()

    engine.ingest(doxx_post("p-doxx-hook", author="troll4"))
    Dispatcher(engine.db, Settings(max_attempts=1, retry_base_s=0, timeout_s=2)).run_once()
    page.reload()
    [dead] = webhooks.deliveries(engine.db, state="dead")
    expect(page.locator(f"tr.delivery-{dead['id']} .state")).to_have_text("dead")
    page.get_by_role("button", name=f"Replay delivery {dead['id']}").click()
    expect(page.locator(f"tr.delivery-{dead['id']} .state")).to_have_text("pending")
    shot(page, "32-webhook-replayed")

    [hook] = webhooks.list_endpoints(engine.db)
    page.get_by_role("button", name=f"Remove webhook {hook['id']}").click()
    expect(page.get_by_role("heading", name=f"Remove webhook {hook['id']}?")).to_be_visible()
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.locator("table.endpoints")).to_contain_text("No endpoints yet.")
    assert webhooks.list_endpoints(engine.db) == []


def test_the_webhooks_page_is_labelled_and_reachable_by_keyboard(page: Any,  # noqa: F811
                                                                 served: tuple[str, Engine]) -> None:  # noqa: F811
    console_browser.test_every_control_is_labelled_and_reachable_by_keyboard(page, served, "/console/webhooks")
