"""The even-handedness page in headless Chromium: a moderator reaches it from the navigation, reads
the four sections with their charts, picks a period, and an impossible period is refused. A
screenshot per step in artifacts/e2e/. Skips as tests/e2e/test_console_browser.py does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e.casework import ADDRESS
from e2e.consistency_story import OVERTURN_NOTE, build_story
from e2e.test_console_browser import browser, log_in, page, serving, shot  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def served_story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e-consistency')}/story.db"
    with serving(build_story(db_url)) as base:
        yield base


def test_the_even_handedness_page(page: Any, served_story: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    log_in(page, served_story, "moderator")
    page.get_by_role("link", name="Even-handedness").click()
    expect(page.get_by_role("heading", name="Was the policy applied evenly?")).to_be_visible()
    for heading in ("Like cases, unlike outcomes", "Manual departures from policy",
                    "Outside requests and what followed", "A timeline per account"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Outcomes of posts with the same evidence")).to_be_visible()
    expect(page.get_by_role("img", name="Request 1 and the actions on its subject, 14 days either side")
           ).to_be_visible()
    expect(page.get_by_role("cell", name=OVERTURN_NOTE, exact=True)).to_be_visible()
    assert ADDRESS not in page.content()
    shot(page, "20-consistency")
    page.get_by_label("Follow requests (days)").fill("3")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("img", name="Request 1 and the actions on its subject, 3 days either side")
           ).to_be_visible()
    page.get_by_label("From", exact=True).fill("2026-12-01")
    page.get_by_label("To", exact=True).fill("2026-11-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("the period's start must be before its end")).to_be_visible()
    shot(page, "21-consistency-bad-period")
