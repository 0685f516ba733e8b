"""Observability: /metrics (before and after), the access log, JSON logs, and no private values in any."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from leakwarden import logsetup
from leakwarden.engine import Engine
from leakwarden.links.chain import ChainExpander
from leakwarden.service import metrics
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key

SECRET_ID, SECRET_AUTHOR, SSN = "post-7f3a9", "alice-dox-target", "219-44-8213"
DOXX = {"id": SECRET_ID, "author": SECRET_AUTHOR,
        "text": f"Her SSN is {SSN}, she lives at 1220 Elm Street, Springfield, IL 62704 https://newsletter.example/d"}
CLEAN = {"id": "c1", "author": "reader", "text": "lovely weather today"}
PRIVATE = (SECRET_ID, SECRET_AUTHOR, SSN, "1220 Elm", "newsletter.example", "lovely weather")


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Engine]]:
    engine = Engine(db_url)
    keys = {role: {"Authorization": f"Bearer {create_key(engine.db, role)[1]}"}
            for role in ("submitter", "moderator", "admin")}
    with TestClient(create_app(engine, access_log=True), raise_server_exceptions=False) as client:
        yield client, keys, engine


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(got: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return got.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_decisions_queues_and_requests(api: Any) -> None:
    client, keys, _ = api
    before = samples(client)
    rule = {"kind": "domain", "value": "newsletter.example", "action": "block", "reason": "source", "source": True}
    assert client.post("/v1/rules", json=rule, headers=keys["moderator"]).status_code == 201
    for post in (DOXX, CLEAN):
        assert client.post("/v1/posts", json=post, headers=keys["submitter"]).status_code == 201
    assert client.post("/v1/check", json=CLEAN, headers=keys["submitter"]).status_code == 200
    assert client.get(f"/v1/posts/{SECRET_ID}", headers=keys["moderator"]).status_code == 200
    after = samples(client)
    # (metric, labels, before, after): the figures this test pins
    table = [
        ("leakwarden_decisions", {"verdict": "remove"}, 0, 1),
        ("leakwarden_decisions", {"verdict": "allow"}, 0, 1),
        ("leakwarden_decisions", {"verdict": "restrict"}, 0, 0),
        ("leakwarden_review_cases", {"state": "open", "source": "policy"}, 0, 1),
        ("leakwarden_posts_partial", {}, 0, 0),
        ("leakwarden_database_up", {}, 1, 1),
    ]
    for name, labels, was, now in table:
        assert (value(before, name, **labels), value(after, name, **labels)) == (was, now), (name, labels)
    # process counters: deltas (other tests in this process may have counted too)
    deltas = [
        ("leakwarden_http_requests_total", {"method": "POST", "route": "/v1/posts", "status": "201"}, 2),
        ("leakwarden_http_requests_total", {"method": "POST", "route": "/v1/check", "status": "200"}, 1),
        ("leakwarden_http_requests_total", {"method": "GET", "route": "/v1/posts/{post_id}", "status": "200"}, 1),
        ("leakwarden_http_request_duration_seconds_count", {"method": "POST", "route": "/v1/posts"}, 2),
    ]
    for name, labels, delta in deltas:
        assert value(after, name, **labels) - value(before, name, **labels) == delta, (name, labels)


def test_metrics_and_logs_carry_no_private_values(api: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, keys, _ = api
    caplog.set_level(logging.INFO, logger="leakwarden.access")
    client.post("/v1/posts", json=DOXX, headers=keys["submitter"])
    client.get(f"/v1/posts/{SECRET_ID}?x={SSN}", headers=keys["moderator"])
    client.get(f"/nowhere/{SECRET_AUTHOR}")
    text = client.get("/metrics").text
    lines = [r.getMessage() for r in caplog.records if r.name == "leakwarden.access"]
    assert "GET /v1/posts/{post_id} 200" in " ".join(lines) and "GET unmatched 404" in " ".join(lines)
    formatted = [logsetup.JsonFormatter().format(r) for r in caplog.records]
    for secret in PRIVATE:
        assert secret not in text, secret
        assert not any(secret in line for line in formatted), secret


def test_access_log_is_off_by_default(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="leakwarden.access")
    with TestClient(create_app(Engine(db_url, detectors=[]))) as client:
        assert client.get("/health").status_code == 200
    assert [r for r in caplog.records if r.name == "leakwarden.access"] == []


def test_fetch_outcomes_are_counted(db_url: str) -> None:
    expander = ChainExpander()
    engine = Engine(db_url, detectors=[], expander=expander)
    key = {"X-API-Key": create_key(engine.db, "submitter")[1]}
    try:
        with TestClient(create_app(engine), raise_server_exceptions=False) as client:
            create_app(engine)  # a second app on the same expander does not count twice
            before = samples(client)
            post = {"id": "f1", "author": "a", "text": "see http://127.0.0.1/x and http://10.0.0.1/y"}
            assert client.post("/v1/check", json=post, headers=key).status_code == 200
            after = samples(client)
    finally:
        expander.close()
    refused = {labels: v - before.get((name, labels), 0.0) for (name, labels), v in after.items()
               if name == "leakwarden_link_fetches_total" and v != before.get((name, labels), 0.0)}
    assert sum(refused.values()) == 2 and all(dict(labels)["outcome"] != "ok" for labels in refused), refused


@pytest.mark.parametrize("code,label", [
    (None, "ok"), ("", "ok"), ("timeout", "timeout"), ("private_address", "private_address"),
    ("http://x.example/secret", "other"), ("Has Spaces", "other"), ("a" * 41, "other"),
])
def test_fetch_outcome_labels_are_bounded(code: str | None, label: str) -> None:
    assert metrics.fetch_outcome(code) == label


class Broken:
    class db:  # a stand-in for Engine.db
        @staticmethod
        def session() -> Any:
            raise RuntimeError("database down: SSN 219-44-8213")


def test_a_scrape_answers_when_the_database_does_not() -> None:
    text = metrics.exposition(Broken()).decode()
    assert "leakwarden_database_up 0.0" in text and "219-44" not in text


@pytest.mark.parametrize("fmt,check", [
    ("json", lambda line: json.loads(line)["message"] == "GET /health 200 1.5ms"),
    ("text", lambda line: line == "INFO leakwarden.access: GET /health 200 1.5ms"),
])
def test_log_formats(fmt: str, check: Any) -> None:
    record = logging.LogRecord("leakwarden.access", logging.INFO, __file__, 1, "GET %s %d %.1fms",
                               ("/health", 200, 1.5), None)
    record.__dict__.update(route="/health", status=200, post_text="never logged")
    formatter = logsetup.JsonFormatter() if fmt == "json" else logsetup.TextFormatter()
    line = formatter.format(record)
    assert check(line), line
    assert "never logged" not in line


@pytest.mark.parametrize("formatter", [logsetup.JsonFormatter(), logsetup.TextFormatter()])
def test_exceptions_are_logged_by_type_only(formatter: logging.Formatter) -> None:
    try:
        raise ValueError(f"bad SSN {SSN}")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = formatter.format(record)
    assert "ValueError" in line and SSN not in line, line


@pytest.mark.parametrize("value,expected", [(None, "text"), ("json", "json"), ("JSON", "json"), ("text", "text")])
def test_log_format_values(value: str | None, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAKWARDEN_LOG_FORMAT", raising=False)
    assert logsetup.log_format(value) == expected


def test_a_bad_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json"):
        logsetup.log_format("xml")


def test_the_log_follows_stderr_when_it_is_swapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller that swaps stderr and closes the old one (a test capturing output, a daemon) leaves
    no handler writing into a closed file: records go to stderr as it is now."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    try:
        logsetup.configure("text")
        first.close()
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("leakwarden.test").warning("after the swap")
    finally:
        for handler in [h for h in root.handlers if h not in before[0]]:
            root.removeHandler(handler)
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    assert second.getvalue() == "WARNING leakwarden.test: after the swap\n"
