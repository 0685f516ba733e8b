"""``POST /v1/pii`` and ``POST /v1/redact`` on the service app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from leakwarden.engine import Engine
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key

TEXT = "SSN XXX-XX-4821, lives at 742 Evergreen Terrace, Springfield, IL 62704; جوال ٠٥٥ ١٢٣ ٤٥٦٧"


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    engine = Engine(db_url, detectors=[])
    headers = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        yield client, headers


def test_findings(api: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = api
    r = client.post("/v1/pii", json={"text": TEXT}, headers=headers)
    assert r.status_code == 200
    findings = r.json()["findings"]
    assert [(f["label"], f["text"], f["masked"]) for f in findings] == [
        ("US_SSN_PARTIAL", "XXX-XX-4821", True),
        ("STREET_ADDRESS", "742 Evergreen Terrace, Springfield, IL 62704", False),
        ("PHONE", "٠٥٥ ١٢٣ ٤٥٦٧", False),
    ]
    assert all(TEXT[f["start"] : f["end"]] == f["text"] for f in findings)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"style": "label"}, "SSN [US_SSN_PARTIAL], lives at [STREET_ADDRESS]; جوال [PHONE]"),
        ({"styles": {"PHONE": "label"}, "regions": ["SA"]},
         "SSN XXX-XX-4821, lives at 742 Evergreen Terrace, Springfield, IL 62704; جوال [PHONE]"),  # SA only
        ({"styles": {"PHONE": "label"}},
         "SSN ***-**-****, lives at *** ********* *******, ***********, ** *****; جوال [PHONE]"),
    ],
)
def test_redact(api: tuple[TestClient, dict[str, str]], body: dict[str, object], expected: str) -> None:
    client, headers = api
    r = client.post("/v1/redact", json={"text": TEXT, **body}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["text"] == expected
    assert all("text" not in f for f in r.json()["findings"])  # no clear values come back


def test_a_key_is_needed(api: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = api
    assert client.post("/v1/pii", json={"text": TEXT}).status_code == 401


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/pii", {}),
        ("/v1/pii", {"text": 5}),
        ("/v1/pii", {"text": "x", "regions": ["USA"]}),
        ("/v1/pii", {"text": "x", "regions": []}),
        ("/v1/pii", {"text": "x", "min_confidence": 2}),
        ("/v1/pii", {"text": "x", "surprise": 1}),
        ("/v1/redact", {"text": "x", "style": "blur"}),
        ("/v1/redact", {"text": "x", "styles": {"NOPE": "mask"}}),
    ],
)
def test_bad_input_is_a_clear_4xx(api: tuple[TestClient, dict[str, str]], path: str, body: dict[str, object]) -> None:
    client, headers = api
    r = client.post(path, json=body, headers=headers)
    assert 400 <= r.status_code < 500
    assert r.json()["error"]["code"] in ("invalid_input",) and r.json()["error"]["message"]
