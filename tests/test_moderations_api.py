"""``POST /v1/moderations``: the official ``openai`` client, pointed at leakwarden, gets a parsed
moderation object; leakwarden's categories are added and OpenAI's own are reported unassessed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import openai
import pytest
from fastapi.testclient import TestClient

from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.service.compat.moderations import NOT_ASSESSED, OWN
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.signals.spam import SpamDetector
from leakwarden.store.db import Database

SPAM = "Buy Viagra and Cialis online without prescription, cheapest prices, fast delivery https://rx-pharma-deals.store"
DOX = "Her home is 1234 Oak Street, Springfield, IL 62704, SSN 536-22-8743."
HAM = "The council meets on Tuesday to vote on the budget."


@dataclass
class Api:
    engine: Engine
    http: TestClient
    key: str


@pytest.fixture
def api(db_url: str, discarding_spam: Callable[[Database], SpamDetector]) -> Iterator[Api]:
    db = Database(db_url)
    engine = Engine(db, policy="strict", detectors=[PiiDetector(), discarding_spam(db)])
    engine.rules.add("domain", "leaks.example", "block", "stolen files", "mod:test", source=True)
    with TestClient(create_app(engine), raise_server_exceptions=False) as http:
        yield Api(engine, http, create_key(db, "submitter")[1])


def client(api: Api) -> openai.OpenAI:
    return openai.OpenAI(api_key=api.key, base_url="http://testserver/v1", http_client=api.http, max_retries=0)


@pytest.mark.parametrize("text,flagged,may_also", [
    (HAM, set(), set()),
    (SPAM, {"spam"}, set()),
    # the spam model reads a bare address and ID number as contact bait: it may say spam too
    (DOX, {"private-information"}, {"spam"}),
    ("The ministry's own files, posted at https://leaks.example/files, contradict what the minister said.",
     {"blocked-link"}, set()),
])
def test_the_openai_client_parses_the_answer(api: Api, text: str, flagged: set[str], may_also: set[str]) -> None:
    result = client(api).moderations.create(input=text, model="omni-moderation-latest")
    assert result.id.startswith("modr-") and result.model == "omni-moderation-latest"
    [one] = result.results
    own = {name: value for name, value in (one.categories.model_extra or {}).items() if value}
    flagged |= set(own) & may_also
    assert set(own) == flagged
    assert one.flagged is bool(flagged)
    assert not any([one.categories.harassment, one.categories.hate, one.categories.self_harm,
                    one.categories.sexual_minors, one.categories.violence])  # not assessed: never flagged
    scores = one.category_scores.model_extra or {}
    for name in OWN:
        assert (scores[name] > 0) is (name in flagged)
    assert one.category_applied_input_types.harassment == []


def test_a_list_of_inputs_and_text_parts(api: Api) -> None:
    result = client(api).moderations.create(input=[HAM, SPAM])
    assert [r.flagged for r in result.results] == [False, True]
    parts = api.http.post("/v1/moderations", headers={"Authorization": f"Bearer {api.key}"},
                          json={"input": [{"type": "text", "text": SPAM}]}).json()
    assert parts["results"][0]["categories"]["spam"] is True
    assert set(parts["results"][0]["categories"]) == set(NOT_ASSESSED) | set(OWN)


def test_the_comment_surface_applies_the_comment_clauses(api: Api) -> None:
    body = api.http.post("/v1/moderations?surface=comment", headers={"Authorization": f"Bearer {api.key}"},
                         json={"input": SPAM}).json()
    assert body["results"][0]["leakwarden"]["verdict"] == "remove"
    assert "blatant-comment-spam" in body["results"][0]["leakwarden"]["reasons"]


@pytest.mark.parametrize("body,status", [
    ({"input": []}, 422),
    ({"input": ["x"] * 33}, 422),
    ({"input": [{"type": "image_url", "image_url": {"url": "https://x.example/a.png"}}]}, 422),
    ({"input": 5}, 422),
    ({"model": "x"}, 422),
    ({"input": "x" * 200_001}, 422),
    ({"input": "x", "extra": 1}, 422),
])
def test_bad_requests_are_clear_4xx(api: Api, body: object, status: int) -> None:
    response = api.http.post("/v1/moderations", headers={"Authorization": f"Bearer {api.key}"}, json=body)
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_a_key_is_needed_and_the_client_raises_on_a_bad_one(api: Api) -> None:
    assert api.http.post("/v1/moderations", json={"input": "x"}).status_code == 401
    bad = openai.OpenAI(api_key="lw_wrong", base_url="http://testserver/v1", http_client=api.http, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.moderations.create(input="x")
