"""The policy pages of the console in headless Chromium: an admin backtests a candidate, deploys it
in shadow, reads where it differs and promotes it. Screenshots in artifacts/e2e/. Skips as the
console's browser tests do when chromium or Playwright is missing."""

from __future__ import annotations

from typing import Any

import e2e.test_console_browser as console_browser
import pytest
from e2e.casework import doxx_post
from e2e.test_console_browser import browser, log_in, page, served, shot  # noqa: F401  (fixtures)

from leakwarden.engine import Engine

CANDIDATE = """\
name = "gentle"
version = "1"

[[clauses]]
id = "doxxing"
when = { signal = "pii", attrs = { dossier = true } }
verdict = "restrict"
actions = ["queue_review"]
"""


def test_backtest_shadow_and_promote(page: Any, served: tuple[str, Engine]) -> None:  # noqa: F811
    from playwright.sync_api import expect

    base, engine = served
    engine.deployments.poll_interval = 0
    log_in(page, base, "admin")
    page.get_by_role("link", name="Backtest").click()
    page.get_by_label("Policy file (TOML or YAML)").fill(CANDIDATE)
    page.get_by_label("From (a duration before now, like 30d, or a date)").fill("1d")
    page.get_by_role("button", name="Run the backtest").click()
    expect(page.locator(".changed-count")).to_have_text("2")
    expect(page.locator(".accounts-count")).to_have_text("2")
    assert page.locator(".backtest-result svg").count() >= 3
    expect(page.locator(".changed-posts")).to_contain_text("doxxing")
    shot(page, "20-backtest")

    page.get_by_role("link", name="Shadow policy").first.click()
    page.get_by_label("Policy file (TOML or YAML)").fill(CANDIDATE)
    page.get_by_role("button", name="Deploy in shadow").click()
    expect(page.locator(".shadow-policy")).to_contain_text("gentle@1")
    engine.ingest(doxx_post("p-doxx-again", author="troll2"))
    page.reload()
    expect(page.locator(".differing-count")).to_have_text("1")
    expect(page.locator(".shadow-differences")).to_contain_text("p-doxx-again")
    shot(page, "21-shadow")
    page.get_by_role("button", name="Promote to live").click()
    expect(page.get_by_role("alert")).to_contain_text("confirm")
    page.get_by_label("Make gentle@1 live for every post from now on").check()
    page.get_by_role("button", name="Promote to live").click()
    expect(page.locator(".live-policy")).to_contain_text("gentle@1 (promoted by user:admin")
    expect(page.locator(".shadow-policy")).to_have_text("none")
    shot(page, "22-promoted")
    assert engine.ingest(doxx_post("p-doxx-after", author="troll3")).verdict.value == "restrict"


@pytest.mark.parametrize("path", ["/console/policy/backtest", "/console/policy/shadow"])
def test_policy_pages_are_labelled_and_reachable_by_keyboard(page: Any, served: tuple[str, Engine],  # noqa: F811
                                                            path: str) -> None:
    console_browser.test_every_control_is_labelled_and_reachable_by_keyboard(page, served, path)
