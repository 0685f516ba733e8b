"""Reviewers teach the spam detector: the console's Spam / Not spam buttons, a moderator's confirm or
overturn of a spam decision, and ``POST /v1/spam/reports``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from leakwarden import Engine, Post
from leakwarden.model import Surface
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.service.console import users
from leakwarden.signals.spam import SpamDetector
from leakwarden.signals.spam.tables import SpamFeedbackRow
from leakwarden.store.db import Database
from leakwarden.store.tables import CaseRow

PASSWORD = "correct horse battery"
SPAM = "Best essay writing service! Your dissertation done in 24 hours: https://top-grade-essays.online/order"
HAM = "The minister's answer contradicts what he told this paper last month."

pytestmark = pytest.mark.usefixtures("cheap_argon2")


@dataclass
class Console:
    engine: Engine
    detector: SpamDetector
    http: TestClient
    csrf: str


@pytest.fixture
def console(db_url: str) -> Iterator[Console]:
    db = Database(db_url)
    detector = SpamDetector(db)
    detector.model.thresholds.blatant = 1.01  # spam is held for review (a case), never discarded
    engine = Engine(db, policy="strict", detectors=[detector])
    users.create_user(db, "mod", "moderator", PASSWORD)
    with TestClient(create_app(engine), raise_server_exceptions=False, base_url="http://127.0.0.1") as http:
        page = http.get("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        http.post("/console/login", data={"name": "mod", "password": PASSWORD, "csrf": token.group(1),
                                          "next": "/console/queue"}, follow_redirects=False)
        queue = re.search(r'name="csrf" value="([^"]+)"', http.get("/console/queue").text)
        assert queue
        yield Console(engine, detector, http, queue.group(1))


def held(console: Console, post_id: str, text: str) -> int:
    decision = console.engine.ingest(Post(id=post_id, author="commenter", text=text, surface=Surface.COMMENT))
    assert [a.type.value for a in decision.actions] == ["queue_review"]
    with console.engine.db.session() as s:
        case = s.scalars(select(CaseRow.id).where(CaseRow.post_id == post_id)).first()
    assert case
    return case


def reports(console: Console) -> list[tuple[str, str, str | None]]:
    with console.engine.db.session() as s:
        return [(r.label, r.source, r.post_id) for r in s.scalars(select(SpamFeedbackRow).order_by(SpamFeedbackRow.id))]


@pytest.mark.parametrize("act,label", [("confirm", "spam"), ("overturn", "ham"), ("escalate", None)])
def test_a_moderators_verdict_on_spam_is_learnt(console: Console, act: str, label: str | None) -> None:
    case = held(console, "c1", SPAM)
    # an overturn needs a reason and a confirmation (the console asks for both)
    response = console.http.post(f"/console/cases/{case}/decide", data={"csrf": console.csrf, "act": act,
                                                                        "confirm": "yes", "note": "judged"},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert reports(console) == ([(label, "console", "c1")] if label else [])
    assert console.detector.reports_learnt == (1 if label else 0)


@pytest.mark.parametrize("label", ["spam", "ham"])
def test_the_spam_buttons(console: Console, label: str) -> None:
    case = held(console, "c2", SPAM)
    page = console.http.get(f"/console/cases/{case}").text
    assert f'action="/console/cases/{case}/spam"' in page and 'value="ham">Not spam</button>' in page
    response = console.http.post(f"/console/cases/{case}/spam", data={"csrf": console.csrf, "label": label},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert reports(console) == [(label, "console", "c2")]


@pytest.mark.parametrize("data,status", [
    ({"label": "maybe"}, 422),
    ({"label": "spam", "csrf": "wrong"}, 403),
])
def test_bad_button_forms(console: Console, data: dict[str, str], status: int) -> None:
    case = held(console, "c3", SPAM)
    response = console.http.post(f"/console/cases/{case}/spam", data={"csrf": console.csrf, **data})
    assert response.status_code == status
    assert reports(console) == []


@pytest.mark.parametrize("body,status,code", [
    ({"label": "spam", "text": "Moringa Calm tea from my aunt's shop helped my sleep", "site": "news.example"},
     201, None),
    ({"label": "ham", "post_id": "stored"}, 201, None),
    ({"label": "spam", "post_id": "nope"}, 404, "not_found"),
    ({"label": "spam"}, 422, "invalid_input"),
    ({"label": "spam", "post_id": "stored", "text": "x"}, 422, "invalid_input"),
    ({"label": "eggs", "text": "x"}, 422, "invalid_input"),
    ({"label": "spam", "text": "x", "site": "s" * 301}, 422, "invalid_input"),
])
def test_the_reports_route(console: Console, body: dict[str, str], status: int, code: str | None) -> None:
    console.engine.ingest(Post(id="stored", author="a", text=HAM, surface=Surface.COMMENT))
    key = create_key(console.engine.db, "submitter")[1]
    response = console.http.post("/v1/spam/reports", json=body, headers={"X-API-Key": key})
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"]["code"] == code
        assert reports(console) == []
    else:
        assert response.json()["learnt"] is True and console.detector.reports_learnt == 1
