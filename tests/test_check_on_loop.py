"""Deciding on the event loop (``leakwarden.blocking``): ``POST /v1/check`` decides most posts
without a thread hop, and leaves the loop for the posts whose deciding would block it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from leakwarden.blocking import WouldBlock, on_event_loop
from leakwarden.engine import Engine
from leakwarden.model import Attachment, Post
from leakwarden.service import app as service_app
from leakwarden.service.auth import create_key
from leakwarden.service.routes import posts as post_routes
from leakwarden.signals.bank.detector import BankDetector
from leakwarden.signals.bank.index import BankIndex
from leakwarden.signals.bank.repository import Banks
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.store.db import Database

MEMO = ("Internal memo of the Ashworth campaign. Graham Pollard met Conrad Vayle of Vantage Row Holdings at the "
        "Tidewater Club while the harbour rezoning was before the planning board. Hollis Brandt, his treasurer, "
        "sits on the board of a Vantage Row subsidiary. Reverend Amos Kettering will raise it at the Eastside forum.")
#: the memo's names in other words: the bank's anchor gate sends it to the embedding stage
RETOLD = ("So Graham Pollard had a private meeting with Conrad Vayle from Vantage Row Holdings at the Tidewater "
          "Club, and Hollis Brandt, who runs his money, is a director at a Vantage Row company. Amos Kettering "
          "is going to bring this up in Eastside.")


class Words:
    """A deterministic stand-in embedder (hashed bag of words)."""

    name, dim = "test:words", 32

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.full((len(texts), self.dim), 1e-3, dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def engine(db_url: str) -> Engine:
    db = Database(db_url)
    banks = Banks(db, Words())
    banks.create("leaks", "hack-and-leak")
    banks.add_text("leaks", MEMO, item_id="memo")
    engine = Engine(db, detectors=[PiiDetector(), BankDetector(db, Words())])
    engine.check(Post(id="warm", author="u", text="warm up"))  # every poll done once...
    _bank(engine).index.poll_interval = engine.deployments.poll_interval = 3600  # ...and none due again
    return engine


def _bank(engine: Engine) -> BankDetector:
    return next(d for d in engine.detectors if isinstance(d, BankDetector))


@pytest.mark.parametrize(("post", "budget", "on_loop"), [
    (Post(id="a", author="u", text="The library opens late on Sundays, which nobody likes."), None, True),
    (Post(id="b", author="u", text="Call me on +1 415 555 0100 about the flat."), None, True),
    (Post(id="c", author="u", text="read https://newsletter.example/p/dossier"), None, False),  # a link to follow
    (Post(id="d", author="u", text="read https://newsletter.example/p/dossier"), 0.0, True),  # followed later
    (Post(id="e", author="u", text="see the file", attachments=[Attachment(text="a memo")]), None, False),
    (Post(id="f", author="u", text=RETOLD), None, False),  # the bank's embedding stage
])
def test_a_post_is_decided_on_the_loop_only_when_nothing_would_block(engine: Engine, post: Post,
                                                                     budget: float | None, on_loop: bool) -> None:
    got = engine.check_on_loop(post, budget_s=budget)
    assert (got is not None) is on_loop
    if got is not None:  # the same decision as in a thread
        want = engine.check(post, budget_s=budget)
        clock = {"elapsed_ms", "decided_at"}
        assert got.model_dump(exclude=clock) == want.model_dump(exclude=clock)


def test_the_retold_memo_leaves_the_loop_because_it_is_embedded(engine: Engine) -> None:
    """The case above that leaves the loop for the bank does so because it reaches stage 4."""
    stats = _bank(engine).index.stats
    before = stats["semantic_run"]
    assert engine.check_on_loop(Post(id="g", author="u", text=RETOLD)) is None
    assert stats["semantic_run"] == before  # nothing embedded on the loop
    engine.check(Post(id="g", author="u", text=RETOLD))
    assert stats["semantic_run"] == before + 1


def test_a_database_read_or_a_due_poll_never_runs_on_the_loop(db_url: str) -> None:
    db = Database(db_url)
    with on_event_loop(), pytest.raises(WouldBlock), db.session():
        pass
    index = BankIndex(db, None, poll_interval=3600)
    index.refresh(force=True)
    with on_event_loop():
        assert index.match("nothing banked is like this text at all") == []  # not due: no read
    index.poll_interval = 0
    with on_event_loop(), pytest.raises(WouldBlock):
        index.match("nothing banked is like this text at all")
    assert index.refresh() == 0  # the poll the loop gave up on is still due, and runs off it


@pytest.fixture
def api(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict[str, str], list[int]]]:
    hops: list[int] = []
    threadpool = post_routes.run_in_threadpool

    async def counted(func: Any, *args: Any) -> Any:
        hops.append(1)
        return await threadpool(func, *args)

    monkeypatch.setattr(post_routes, "run_in_threadpool", counted)
    headers = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    with TestClient(service_app.create_app(engine), raise_server_exceptions=False) as client:
        yield client, headers, hops


@pytest.mark.parametrize(("text", "hops"), [
    ("The library opens late on Sundays, which nobody likes.", 0),
    ("read https://newsletter.example/p/dossier", 1),
    (RETOLD, 1),
])
def test_check_makes_a_thread_hop_only_for_posts_that_need_one(api: tuple[TestClient, dict[str, str], list[int]],
                                                              text: str, hops: int) -> None:
    client, headers, counted = api
    body = {"id": "p1", "author": "u", "text": text}
    client.post("/v1/check", json=body, headers=headers)  # polls done
    counted.clear()
    response = client.post("/v1/check", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["post_id"] == "p1"
    assert len(counted) == hops
