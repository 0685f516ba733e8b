"""Intake through a broker: the seam (NATS JetStream and Redis Streams pass the same tests), the
worker's guarantees (ack after commit, idempotent on the post id, dead letters), the CLI and the API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from intake_support import BLOCKED, blocking_engine, count, dead_letters, posts
from sqlalchemy import select

from leakwarden.audit import log as audit
from leakwarden.cli import main
from leakwarden.engine import Engine
from leakwarden.errors import InvalidInput
from leakwarden.intake.broker import COMPLETE, POSTS, open_broker, parse_broker_url, run_on
from leakwarden.intake.client import IntakeClient
from leakwarden.intake.worker import Worker
from leakwarden.model import Hop, LinkChain, Post
from leakwarden.service.app import create_app
from leakwarden.service.auth import create_key
from leakwarden.store.tables import AuditEventRow, EnforcementAction, PostRow, Strike


def run_worker(engine: Engine, url: str, until: Callable[[Worker], bool], *, timeout: float = 30,
               **options: Any) -> Worker:
    """A worker in this process until ``until(worker)`` holds (or the timeout), then SIGTERM-like stop."""

    async def main() -> Worker:
        broker = open_broker(url)
        await broker.connect()
        worker = Worker(engine, broker, concurrency=2, retry_delay_s=0.1, **options)
        stop = asyncio.Event()

        async def watch() -> None:
            deadline = time.monotonic() + timeout
            while not until(worker) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            stop.set()

        try:
            await asyncio.gather(watch(), worker.run(stop))
        finally:
            await broker.close()
        return worker

    return asyncio.run(main())


def publish_raw(url: str, data: bytes, key: str, topic: str = POSTS) -> None:
    run_on(url, lambda broker: broker.publish(topic, data, key=key))


@pytest.mark.parametrize("url,code", [
    ("kafka://127.0.0.1:9092", "unknown_broker"),
    ("127.0.0.1:4222", "unknown_broker"),
    ("nats://127.0.0.1:4222?namespace=a.b", "invalid_broker_url"),
    ("nats://127.0.0.1:4222?ack_wait=soon", "invalid_broker_url"),
    ("redis://127.0.0.1:6379?ack_wait=0", "invalid_broker_url"),
])
def test_a_broker_url_names_a_known_broker(url: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        open_broker(url)
    assert caught.value.code == code


def test_a_broker_url_keeps_its_options_apart_from_the_address() -> None:
    parsed = parse_broker_url("nats://user:secret@127.0.0.1:4222?namespace=firehose&ack_wait=5")
    assert (parsed.address, parsed.namespace, parsed.ack_wait_s) == (
        "nats://user:secret@127.0.0.1:4222", "firehose", 5.0)
    assert parsed.shown == "nats://127.0.0.1:4222"  # never the password


def test_posts_are_stored_once_and_poison_goes_to_the_dead_letters(broker_url: str, db_url: str) -> None:
    engine = blocking_engine(db_url)
    batch = posts(12)
    IntakeClient(broker_url).publish_posts(batch)
    publish_raw(broker_url, b'{"id": "poison"}', key="poison")  # not a post: dead at once
    worker = run_worker(engine, broker_url, lambda w: w.counts["stored"] == 12 and w.counts["dead"] == 1)
    assert worker.counts["stored"] == 12 and worker.counts["dead"] == 1
    # other content under a stored id: the stored post stands. (Published only now: at-least-once
    # delivery keeps no order, so a copy redelivered late would otherwise race the conflicting one.)
    conflicting = Post(id="p1", author="a1", text="other content under a stored id")
    publish_raw(broker_url, conflicting.model_dump_json().encode(), key="p1:other")
    worker = run_worker(engine, broker_url, lambda w: w.counts["dead"] == 1)
    assert worker.counts["dead"] == 1 and worker.counts["stored"] == 0
    assert count(engine, PostRow) == 12
    strikes, actions = count(engine, Strike), count(engine, EnforcementAction)
    assert strikes == 4  # p0, p3, p6, p9
    reasons = sorted(x.reason for x in dead_letters(broker_url))
    assert reasons[0] == "invalid post: author: Field required"
    assert reasons[1].startswith("post_conflict: post 'p1' was already ingested with different content")

    # every post delivered again (a publisher that retried, a worker that died before its ack)
    for post in batch:
        publish_raw(broker_url, post.model_dump_json().encode(), key=f"again:{post.id}")
    worker = run_worker(engine, broker_url, lambda w: w.counts["seen before"] == 12)
    assert worker.counts["seen before"] == 12 and worker.counts["stored"] == 0
    assert (count(engine, PostRow), count(engine, Strike), count(engine, EnforcementAction)) == (12, strikes, actions)
    assert count(engine, AuditEventRow, AuditEventRow.kind == "decision") == 12
    with engine.db.session() as s:
        assert audit.verify(s).ok


def test_a_dead_letter_can_be_retried(broker_url: str, db_url: str) -> None:
    engine = blocking_engine(db_url)
    publish_raw(broker_url, b'{"id": "p1", "text": "no author"}', key="k1")
    run_worker(engine, broker_url, lambda w: w.counts["dead"] == 1)
    [letter] = dead_letters(broker_url)
    assert (letter.topic, letter.attempts, json.loads(letter.data)) == ("posts", 1, {"id": "p1", "text": "no author"})
    assert main_rc(["deadletter", "retry", letter.id, "--broker", broker_url]) == 0
    assert dead_letters(broker_url) == []
    worker = run_worker(engine, broker_url, lambda w: w.counts["dead"] == 1)  # still no author: dead again
    assert worker.counts["dead"] == 1 and len(dead_letters(broker_url)) == 1


def test_a_message_failing_n_times_goes_to_the_dead_letters(broker_url: str, db_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    engine = blocking_engine(db_url)
    IntakeClient(broker_url).publish_posts(posts(2))

    def broken(post: Post, **options: Any) -> Any:  # one post of the batch fails, the other goes through
        if post.id == "p1":
            raise RuntimeError("the disk is on fire")
        return Engine._check(engine, post, **options)

    monkeypatch.setattr(engine, "_check", broken)
    worker = run_worker(engine, broker_url, lambda w: w.counts["dead"] == 1 and w.counts["stored"] == 1,
                        max_attempts=3)
    assert worker.counts["retried"] == 2
    [letter] = dead_letters(broker_url)
    assert letter.attempts == 3
    assert letter.reason == "failed 3 times; last: RuntimeError: the disk is on fire"


class SlowLinks:
    """Links that lead to blocked material, found only with time to follow them."""

    def expand(self, urls: list[str], *, budget_s: float | None = None, refetch: bool = False) -> list[LinkChain]:
        found = budget_s is not None and budget_s >= 60
        return [LinkChain(url=u, complete=found, hops=[Hop(url=u, canonical=u)] + (
            [Hop(url=BLOCKED, canonical=BLOCKED, via="redirect", parent=0, depth=1)] if found else []))
            for u in urls]


def test_partial_decisions_are_completed_through_their_own_stream(broker_url: str, db_url: str) -> None:
    engine = blocking_engine(db_url, expander=SlowLinks())
    IntakeClient(broker_url).publish_posts([Post(id="p", author="a", text="https://short.example/x")])
    worker = run_worker(engine, broker_url, lambda w: w.counts["completed"] == 1)
    assert (worker.counts["stored"], worker.counts["completed"]) == (1, 1)
    with engine.db.session() as s:
        row = s.get_one(PostRow, "p")
        assert (row.partial, row.verdict) == (False, "remove")
        kinds = [e.kind for e in audit.events(s, subject_type="post", subject_id="p")]
    assert kinds.count("decision") == 1 and kinds.count("decision.completed") == 1
    publish_raw(broker_url, b'{"post_id": "p"}', key="again", topic=COMPLETE)  # completed already: no effect
    publish_raw(broker_url, b'{"post_id": "nope"}', key="nope", topic=COMPLETE)
    run_worker(engine, broker_url, lambda w: w.counts["completed"] == 1 and w.counts["dead"] == 1)
    assert count(engine, AuditEventRow, AuditEventRow.kind == "decision.completed") == 1
    assert [x.reason for x in dead_letters(broker_url)] == ["no post 'nope' to complete"]


class CountedLinks(SlowLinks):
    """SlowLinks that note the budget of every call."""

    def __init__(self) -> None:
        self.budgets: list[float | None] = []

    def expand(self, urls: list[str], *, budget_s: float | None = None, refetch: bool = False) -> list[LinkChain]:
        self.budgets.append(budget_s)
        return super().expand(urls, budget_s=budget_s, refetch=refetch)


@pytest.mark.parametrize("options,decided_on_links", [
    ({}, False),  # the default: the decision path follows nothing; the complete stream does
    ({"budget_s": 70.0}, True),  # a worker given time follows links before it decides
])
def test_a_worker_follows_links_on_the_complete_stream(broker_url: str, db_url: str, options: dict[str, Any],
                                                       decided_on_links: bool) -> None:
    links = CountedLinks()
    engine = blocking_engine(db_url, expander=links)
    IntakeClient(broker_url).publish_posts([Post(id="p", author="a", text="see https://short.example/x"),
                                            Post(id="q", author="a", text="no links here")])
    worker = run_worker(engine, broker_url, lambda w: w.counts["stored"] == 2 and (
        decided_on_links or w.counts["completed"] == 1), **options)
    assert worker.counts["stored"] == 2
    # one call, for p (q has no link): on the decision path, or on the complete stream's longer budget
    assert [round(b or 0) for b in links.budgets] == ([70] if decided_on_links else [120])
    with engine.db.session() as s:
        row = s.get_one(PostRow, "p")
        assert (row.partial, row.verdict) == (False, "remove")
        [first, *rest] = audit.events(s, subject_type="post", subject_id="p")
    assert first.kind == "decision" and json.loads(first.payload)["partial"] is not decided_on_links
    assert [e.kind for e in rest if e.kind.startswith("decision")] == ([] if decided_on_links
                                                                      else ["decision.completed"])


def main_rc(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cli_publish_reports_bad_lines_and_publishes_the_rest(broker_url: str, db_url: str, tmp_path: Any,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "posts.jsonl"
    lines = [p.model_dump_json() for p in posts(3)]
    source.write_text("\n".join([lines[0], "not json", lines[1], '{"id": "x"}', "", lines[2]]) + "\n")
    assert main_rc(["publish", str(source), "--broker", broker_url]) == 2
    out, err = capsys.readouterr()
    assert "published 3 post(s)" in out
    assert "error: line 2: not valid JSON" in err and "error: line 4: author: Field required" in err
    engine = blocking_engine(db_url)
    run_worker(engine, broker_url, lambda w: w.counts["stored"] == 3)
    assert count(engine, PostRow) == 3


@pytest.mark.parametrize("argv,message", [
    (["publish", "-"], "error: no broker: give --broker URL or set LEAKWARDEN_BROKER_URL"),
    (["deadletter", "list", "--broker", "kafka://x"], "error: unknown broker kafka://"),
    (["worker", "--broker", "nats://127.0.0.1:4222", "--topic", "spam"], "error: unknown topic 'spam'"),
    (["deadletter", "retry", "--broker", "nats://127.0.0.1:4222"], "error: name dead letter ids, or --all"),
])
def test_cli_errors_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAKWARDEN_BROKER_URL", raising=False)
    assert main_rc(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


@pytest.fixture
def keys_for() -> Callable[[Engine], dict[str, str]]:
    return lambda engine: {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}


@pytest.fixture
def api_without_broker(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict[str, str]]]:
    monkeypatch.delenv("LEAKWARDEN_BROKER_URL", raising=False)
    engine = blocking_engine(db_url)
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}


def test_api_async_needs_a_broker(api_without_broker: tuple[TestClient, dict[str, str]]) -> None:
    client, key = api_without_broker
    response = client.post("/v1/posts?async=true", json=posts(1)[0].model_dump(mode="json"), headers=key)
    assert response.status_code == 503 and response.json()["error"]["code"] == "no_broker"


def test_api_batch_without_a_broker_ingests_here(api_without_broker: tuple[TestClient, dict[str, str]]) -> None:
    client, key = api_without_broker
    body = [p.model_dump(mode="json") for p in posts(3)] + [{"id": "x"}, "not a post"]
    response = client.post("/v1/posts:batch", json={"posts": body}, headers=key)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "created", "invalid", "invalid"]
    assert results[0]["verdict"] == "remove" and results[3]["id"] == "x"
    assert results[3]["error"] == {"code": "invalid_post", "message": "author: Field required"}
    again = client.post("/v1/posts:batch", json={"posts": body[:2]}, headers=key).json()
    assert again["counts"] == {"exists": 2}


@pytest.mark.parametrize("body,status,code", [
    ({"posts": [{"id": f"p{i}", "author": "a", "text": "t"} for i in range(1001)]}, 413, "batch_too_large"),
    ({"posts": []}, 422, "empty_batch"),
    ({"post": []}, 422, "invalid_input"),
    ([], 422, "invalid_input"),
])
def test_api_batch_limits(api_without_broker: tuple[TestClient, dict[str, str]], body: Any, status: int,
                          code: str) -> None:
    client, key = api_without_broker
    response = client.post("/v1/posts:batch", json=body, headers=key)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_api_publishes_when_a_broker_is_configured(broker_url: str, db_url: str) -> None:
    engine = blocking_engine(db_url)
    key = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    intake = IntakeClient(broker_url)
    with TestClient(create_app(engine, intake=intake), raise_server_exceptions=False) as client:
        batch = [p.model_dump(mode="json") for p in posts(4)]
        one = client.post("/v1/posts?async=true", json=batch[0], headers=key)
        assert (one.status_code, one.json()) == (202, {"id": "p0", "status": "queued"})
        many = client.post("/v1/posts:batch", json={"posts": [*batch[1:], {"id": "bad"}]}, headers=key)
        assert many.status_code == 202 and many.json()["counts"] == {"queued": 3, "invalid": 1}
        assert count(engine, PostRow) == 0  # nothing decided in the API process
    intake.close()
    run_worker(engine, broker_url, lambda w: w.counts["stored"] == 4)
    assert count(engine, PostRow) == 4


def test_slow_work_keeps_its_message(broker_url: str, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work longer than ack_wait (following links) tells the broker it is still at it: no second delivery."""
    url = broker_url.replace("ack_wait=3", "ack_wait=1")
    engine = blocking_engine(db_url)
    IntakeClient(url).publish_posts(posts(1))

    def slow(post: Post, **options: Any) -> Any:
        time.sleep(2.5)
        return Engine._check(engine, post, **options)

    monkeypatch.setattr(engine, "_check", slow)
    done_at: list[float] = []

    def settled(worker: Worker) -> bool:
        if worker.counts["stored"] and not done_at:
            done_at.append(time.monotonic())
        return bool(done_at) and time.monotonic() - done_at[0] > 3.0

    worker = run_worker(engine, url, settled)
    assert dict(worker.counts) == {"stored": 1}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_refuses_an_unknown_broker(workers: str, db_url: str, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKWARDEN_BROKER_URL", "kafka://127.0.0.1:9092")
    assert main_rc(["serve", "--db", db_url, "--create", "--port", "0", "--workers", workers]) == 2
    assert capsys.readouterr().err.startswith("error: unknown broker kafka://")


def test_messages_a_dead_consumer_held_go_to_another(broker_url: str, db_url: str) -> None:
    """A consumer that took messages and died without an answer: after ack_wait, another gets them."""
    url = broker_url.replace("ack_wait=3", "ack_wait=1")
    engine = blocking_engine(db_url)
    IntakeClient(url).publish_posts(posts(3))

    async def take_and_die() -> int:
        broker = open_broker(url)
        await broker.connect()
        taken = 0
        async for batch in broker.consume(POSTS, batch=10):
            taken += len(batch)
            if taken >= 3:
                break
        await broker.close()
        return taken

    assert asyncio.run(take_and_die()) == 3
    worker = run_worker(engine, url, lambda w: w.counts["stored"] == 3)
    assert dict(worker.counts) == {"stored": 3}
    assert count(engine, PostRow) == 3


def test_rule_and_bank_changes_reach_a_running_worker_within_a_second(broker_url: str, db_url: str,
                                                                       tmp_path: Any) -> None:
    """Another process adds a URL rule and banks a document while a worker runs: the worker's
    decisions a second later use both, with no restart."""
    import subprocess
    import sys
    import threading

    engine = Engine(db_url)
    leak = ("Memo to the Harrow campaign's finance committee: the donor list for the Millbrook dinner "
            "is attached, with the pledges we still have to chase before the filing deadline, and the "
            "names of the three donors who asked not to be listed in the public report.")
    memo = tmp_path / "memo.txt"
    memo.write_text(leak, encoding="utf-8")
    first = Post(id="before", author="a1", text=f"nothing known yet https://fresh.example/x {leak}")
    later = [Post(id="by-rule", author="a2", text="see https://fresh.example/y"),
             Post(id="by-bank", author="a3", text=leak)]
    failures: list[str] = []

    def another_process() -> None:
        IntakeClient(broker_url).publish_posts([first])
        deadline = time.monotonic() + 60
        while count(engine, PostRow) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        for argv in (["rules", "add", "--domain", "fresh.example", "--reason", "leak host", "--source"],
                     ["bank", "create", "leaks", "--label", "hack-and-leak"],
                     ["bank", "add", "leaks", str(memo), "--id", "memo"]):
            done = subprocess.run([sys.executable, "-m", "leakwarden", *argv, "--db", db_url],
                                  capture_output=True, text=True)
            if done.returncode:
                failures.append(f"{argv[:2]}: {done.stderr.strip()}")
        time.sleep(1.0)
        IntakeClient(broker_url).publish_posts(later)

    other = threading.Thread(target=another_process)
    other.start()
    run_worker(engine, broker_url, lambda w: w.counts["stored"] == 3, timeout=120)
    other.join()
    assert not failures
    with engine.db.session() as s:
        verdicts = {row.id: row.verdict for row in s.scalars(select(PostRow))}
    assert verdicts["before"] == "allow"
    assert verdicts["by-rule"] != "allow" and verdicts["by-bank"] != "allow"
