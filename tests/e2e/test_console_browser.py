"""The reviewer console in headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

One story, step by step, with a screenshot per step in artifacts/e2e/: log in, open the queue, open
a case that shows its evidence (and reveal a private value), overturn a suspension, file an appeal
and grant it, and find every step in the audit log. Then: every control has an accessible name and
the keyboard reaches it. Skips when chromium or Playwright is missing, unless
LEAKWARDEN_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from e2e.casework import ADDRESS, ARABIC, PDF, casework_engine, seed
from sqlalchemy import select

from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.console import users
from leakwarden.store.tables import CaseRow, EnforcementAction

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
PASSWORD = "correct horse battery"
REQUIRED = os.environ.get("LEAKWARDEN_REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (LEAKWARDEN_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"no chromium at {CHROMIUM}: run `make install` (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install playwright; no browser download needed)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(engine: Engine) -> Iterator[str]:
    """The real app over ``engine`` under uvicorn on 127.0.0.1, with a user of each role; yields its base URL."""
    import uvicorn

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    saved = users._hasher, users._DUMMY
    users._hasher, users._DUMMY = cheap, cheap.hash("dummy password")
    for role in ("submitter", "moderator", "admin"):
        users.create_user(engine.db, role, role, PASSWORD)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        users._hasher, users._DUMMY = saved


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The real app under uvicorn on 127.0.0.1, over a SQLite database seeded through the Engine."""
    engine = casework_engine(f"sqlite:///{tmp_path_factory.mktemp('e2e')}/console.db")
    seed(engine)
    with serving(engine) as base:
        yield base, engine


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/console/queue")
    assert "/console/login" in page.url  # login required
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/console/queue"))


def case_of(engine: Engine, post_id: str, source: str = "policy") -> int:
    with engine.db.session() as s:
        return s.scalars(select(CaseRow.id).where(CaseRow.post_id == post_id, CaseRow.source == source)).one()


def test_review_story(page: Any, served: tuple[str, Engine]) -> None:
    from playwright.sync_api import expect  # the fixtures skip first when playwright is absent

    base, engine = served
    # 1 log in
    page.goto(f"{base}/console/")
    shot(page, "01-login")
    log_in(page, base, "moderator")
    # 2 the queue
    doxx, dossier = case_of(engine, "p-doxx"), case_of(engine, "p-dossier")
    assert page.get_by_role("link", name=f"Case {dossier}").is_visible()
    shot(page, "02-queue")
    # 3 a case with its evidence: passages side by side, the link chain, masked private values
    page.get_by_role("link", name=f"Case {dossier}").click()
    page.wait_for_url(re.compile(rf"/console/cases/{dossier}$"))
    assert page.get_by_text(ARABIC).first.is_visible()
    assert page.locator("ol.chain code.url", has_text=PDF).is_visible()  # inert, with a copy button
    assert page.locator("ol.chain a").count() == 0
    assert page.get_by_role("button", name="Block the domain files.example").is_visible()
    assert ADDRESS not in page.content()
    arabic = page.locator("td[lang=ar]").first
    assert arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    shot(page, "03-case-evidence")
    page.get_by_role("button", name="Reveal STREET_ADDRESS (audited)").first.click()
    expect(page.locator("mark.revealed", has_text=ADDRESS).first).to_be_visible()
    shot(page, "04-pii-revealed")
    # 4 overturn a suspension
    page.goto(f"{base}/console/cases/{doxx}")
    assert page.locator(".standing").first.inner_text().count("suspended") == 1
    page.get_by_role("button", name="Overturn").click()
    page.wait_for_url(re.compile(rf"/console/cases/{doxx}/decide$"))  # asks first: what it undoes, and why
    page.get_by_label("Reason for the overturn (required, kept in the audit log)").fill("satire account; not a dossier")
    page.get_by_role("button", name="Yes, overturn").click()
    expect(page.locator(".resolution")).to_have_text("overturned")  # waits for the new page
    expect(page.locator(".post-status")).to_have_text("visible")
    expect(page.locator(".standing").first).to_contain_text("good")
    shot(page, "05-overturned")
    # 5 file an appeal (journo's suspension) and grant it
    with engine.db.session() as s:
        suspension = s.scalars(select(EnforcementAction.id).where(EnforcementAction.post_id == "p-dossier",
                                                                  EnforcementAction.type == "suspend")).one()
    page.get_by_role("link", name="Appeals").click()
    page.get_by_label("Account", exact=True).fill("journo")
    page.get_by_role("button", name="Show the account's actions").click()
    page.get_by_label("What the account appeals").select_option(str(suspension))
    page.get_by_label("The account's statement").fill("أنا صحفي وأنشر للمصلحة العامة")
    shot(page, "06-appeal-form")
    page.get_by_role("button", name="File appeal").click()
    page.wait_for_url(re.compile(r"/console/cases/\d+$"))
    expect(page.locator("h1 .state")).to_have_text("escalated")
    assert page.locator("q[dir=auto]").evaluate("e => getComputedStyle(e).direction") == "rtl"
    shot(page, "07-appeal-case")
    page.get_by_role("button", name="Grant appeal").click()
    expect(page.locator(".resolution")).to_have_text("appeal_granted")
    expect(page.locator(".standing").first).to_contain_text("good")
    shot(page, "08-appeal-granted")
    # 6 the audit log shows each step, by whom
    page.get_by_role("link", name="Audit log").click()
    kinds = page.locator("td.kind").all_inner_texts()
    for kind in ("console.login", "pii.revealed", "review.overturned", "appeal.filed", "appeal.granted",
                 "case.closed", "case.opened"):
        assert kind in kinds, kind
    assert "user:moderator" in page.locator("table.audit").inner_text()
    assert ADDRESS not in page.content()
    shot(page, "09-audit-log")


def test_a_viewer_gets_403_and_a_stranger_the_login(page: Any, served: tuple[str, Engine]) -> None:
    base, _ = served
    for path in ("/console/audit", "/console/requests", "/console/users"):
        page.goto(base + path)
        assert "/console/login" in page.url
    log_in(page, base, "submitter")
    response = page.goto(f"{base}/console/audit")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    shot(page, "10-forbidden")


CONTROLS = "input:not([type=hidden]), select, textarea, button, a[href]"
NAME_OF = """e => (e.getAttribute('aria-label') || (e.labels && e.labels.length ? e.labels[0].textContent : '')
                   || e.textContent || e.getAttribute('title') || '').trim()"""


@pytest.mark.parametrize("path", ["/console/queue", "/console/cases/{case}", "/console/appeals",
                                  "/console/requests", "/console/report", "/console/audit"])
def test_every_control_is_labelled_and_reachable_by_keyboard(page: Any, served: tuple[str, Engine],
                                                             path: str) -> None:
    base, engine = served
    log_in(page, base, "admin")
    page.goto(base + path.format(case=case_of(engine, "p-dossier")))
    controls = page.locator(CONTROLS)
    count = controls.count()
    assert count > 3
    unnamed = [controls.nth(i).evaluate("e => e.outerHTML.slice(0, 120)") for i in range(count)
               if not controls.nth(i).evaluate(NAME_OF)]
    assert unnamed == []
    for i in range(count):
        controls.nth(i).evaluate("(e, i) => e.setAttribute('data-kb', String(i))", i)
    reached: set[str] = set()
    page.locator("body").focus()
    for _ in range(count + 5):
        page.keyboard.press("Tab")
        mark = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-kb')")
        if mark is not None:
            reached.add(mark)
    missed = [controls.nth(int(i)).evaluate(NAME_OF) for i in {str(i) for i in range(count)} - reached]
    assert missed == []
