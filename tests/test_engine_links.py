"""The engine follows links: every hop is judged, evidence shows the path, budgets give partial
decisions that are completed later and audited."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fixtures.links.hostserver import Handler, HostServer
from fixtures.links.pdfs import text_pdf

from leakwarden.audit import log as audit
from leakwarden.engine import Engine
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings
from leakwarden.links.url import canonicalize
from leakwarden.model import Post, SubjectKind, Verdict
from leakwarden.signals.pii.detector import PiiDetector
from leakwarden.store.tables import PostRow

PAGE = b"""<html><body><article><h1>The Harper Files</h1>
<p>We publish the campaign's opposition file on its own candidate in full, because voters deserve it.</p>
<p><a href="/files/dossier.pdf">Read the dossier (PDF)</a></p></article></body></html>"""
DOSSIER = text_pdf("Opposition file: Daniel Harper", "Home address: 1482 Maple Ridge Drive, Columbus, OH 43215",
                   "SSN: XXX-XX-4471")


@pytest.fixture
def site() -> Iterator[HostServer]:
    srv = HostServer()
    srv.routes["/p/dossier"] = lambda h: h.send(200, PAGE)
    srv.routes["/files/dossier.pdf"] = lambda h: h.send(200, DOSSIER, "application/pdf")

    def slow(h: Handler) -> None:
        time.sleep(1.0)
        h.send(200, PAGE)

    srv.routes["/p/slow"] = slow
    yield srv
    srv.close()


def engine_for(site: HostServer, db_url: str, policy: str = "strict") -> Engine:
    expander = ChainExpander(FetchSettings(allow_hosts="127.0.0.1", ports=(site.port,), total_timeout=5.0))
    return Engine(db_url, policy=policy, detectors=[PiiDetector()], expander=expander)


def test_a_blocked_document_two_hops_away_is_found_with_its_path(site: HostServer, db_url: str) -> None:
    engine = engine_for(site, db_url)
    rule = engine.rules.add("exact", site.url("/files/dossier.pdf"), "block", "the dossier", "mod")
    decision = engine.check(Post(id="p", author="a", text=f"must read {site.url('/p/dossier')}"))
    assert decision.verdict is Verdict.REMOVE
    blocked = next(r for r in decision.reasons if r.signal == "url_rule")
    assert blocked.subject == "post → http://127.0.0.1/p/dossier → http://127.0.0.1/files/dossier.pdf"
    assert f"blocked by rule {rule['id']}" in blocked.evidence[0].summary
    assert blocked.evidence[0].path == ["post", "http://127.0.0.1/p/dossier", "http://127.0.0.1/files/dossier.pdf"]
    [chain] = decision.chains
    assert [h.via for h in chain.hops] == ["post", "outlink"]


def test_private_information_in_the_linked_pdf_is_judged(site: HostServer, db_url: str) -> None:
    decision = engine_for(site, db_url).check(Post(id="p", author="a", text=site.url("/p/dossier")))
    pii = [s for s in decision.signals if s.kind == "pii"]
    assert [s.subject_kind for s in pii] == [SubjectKind.DOCUMENT]
    assert pii[0].attrs["dossier"] is True
    assert "dossier" in {r.clause for r in decision.reasons}
    assert decision.verdict is Verdict.REMOVE
    shared = engine_for(site, db_url, "share-block").check(Post(id="p", author="a", text=site.url("/p/dossier")))
    assert shared.verdict is Verdict.RESTRICT
    assert {a.url for a in shared.actions if a.type.value == "block_link"} >= {"http://127.0.0.1/p/dossier"}


def test_a_spent_budget_gives_a_partial_decision_completed_later(site: HostServer, db_url: str) -> None:
    engine = engine_for(site, db_url)
    decision = engine.ingest(Post(id="p", author="a", text=site.url("/p/slow")), budget_s=0.2)
    assert decision.partial and decision.verdict is Verdict.ALLOW
    engine.complete_later("p").join(timeout=20)
    with engine.db.session() as s:
        row = s.get_one(PostRow, "p")
        assert not row.partial and row.verdict == "remove"
        kinds = [e.kind for e in audit.events(s, subject_type="post", subject_id="p")]
    assert kinds[0] == "decision" and "decision.completed" in kinds


def test_api_expands_and_completes_partial_posts(site: HostServer, db_url: str) -> None:
    from fastapi.testclient import TestClient

    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key

    engine = engine_for(site, db_url)
    key = {"Authorization": f"Bearer {create_key(engine.db, 'moderator')[1]}"}
    with TestClient(create_app(engine)) as client:
        chain = client.post("/v1/expand", json={"url": site.url("/p/dossier")}, headers=key).json()
        assert [h["via"] for h in chain["hops"]] == ["post", "outlink"]
        assert chain["hops"][1]["content_type"] == "application/pdf"
        bad = client.post("/v1/expand", json={"url": f"http://10.0.0.1:{site.port}/x"}, headers=key)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "blocked_address"  # the client's error
        posted = client.post("/v1/posts?budget=0.2", json={"id": "p", "author": "a", "text": site.url("/p/slow")},
                             headers=key).json()
        assert posted["partial"] is True
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            stored = client.get("/v1/posts/p", headers=key).json()
            if not stored["decision"]["partial"]:
                break
            time.sleep(0.2)
        assert stored["decision"]["partial"] is False and stored["decision"]["verdict"] == "remove"
        hits = site.hits["/p/dossier"]
        again = client.post("/v1/posts/p/refetch", headers=key)
        assert again.status_code == 200 and site.hits["/p/slow"] == 2 and site.hits["/p/dossier"] == hits


def test_a_bank_item_can_be_added_by_url_through_the_safe_fetcher(site: HostServer, db_url: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from leakwarden.errors import FetchError
    from leakwarden.signals.bank.repository import Banks

    site.routes["/go/dossier"] = lambda h: h.send(302, b"", None, {"Location": "/files/dossier.pdf"})
    banks = Banks(Engine(db_url, detectors=[]).db, embed=False)
    banks.create("leaks", "hack-and-leak")
    with pytest.raises(FetchError) as refused:  # 127.0.0.1 is not fetched unless a setting allows it
        banks.add_url("leaks", site.url("/files/dossier.pdf"))
    assert refused.value.code in ("blocked_address", "bad_port")
    monkeypatch.setenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("LEAKWARDEN_FETCH_PORTS", str(site.port))
    item = banks.add_url("leaks", site.url("/go/dossier"), item_id="dossier")
    assert item.id == "dossier" and site.hits["/files/dossier.pdf"] == 1
    from leakwarden.signals.bank.index import BankIndex

    [match] = BankIndex(banks.db, None).match("Opposition file: Daniel Harper Home address: 1482 Maple Ridge Drive, "
                                              "Columbus, OH 43215 SSN: XXX-XX-4471")
    assert (match.item, match.method) == ("dossier", "exact")


def test_a_budget_is_kept_on_a_post_with_5000_urls(site: HostServer, db_url: str) -> None:
    """`POST /v1/check?budget=3` on 5,000 URLs took 12.2 s. The budget now counts from the check's
    start; only a post's first 100 URLs are followed, the rest are judged by URL rules alone, and
    every URL not followed to the end is listed in ``unfetched`` (bench/bench_hardening.py times it)."""
    from fastapi.testclient import TestClient

    from leakwarden.engine import MAX_FOLLOWED_LINKS
    from leakwarden.service.app import create_app
    from leakwarden.service.auth import create_key

    def slow(h: Handler) -> None:
        time.sleep(1.0)
        h.send(200, PAGE)

    site.prefixes["/many/"] = slow
    urls = [site.url(f"/many/{i}") for i in range(5000)]
    engine = engine_for(site, db_url)
    for i in (42, 4321):  # one not reached within the budget, one past the links followed
        engine.rules.add("exact", urls[i], "block", "a known source", "mod")
    key = {"Authorization": f"Bearer {create_key(engine.db, 'submitter')[1]}"}
    with TestClient(create_app(engine)) as client:
        got = client.post("/v1/check?budget=0.3", json={"id": "p", "author": "a", "text": " ".join(urls)},
                          headers=key)
    assert got.status_code == 200
    decision = got.json()
    assert decision["partial"] is True and len(decision["chains"]) == 5000
    assert set(urls[MAX_FOLLOWED_LINKS:]) <= set(decision["unfetched"]) <= set(urls)
    assert urls[42] in decision["unfetched"]  # its page takes a second: not reached within 0.3 s
    past = decision["chains"][4321]
    assert past["complete"] and [h["error_code"] for h in past["hops"]] == ["not_followed"]
    blocked = {e["data"]["url"] for r in decision["reasons"] if r["signal"] == "url_rule" for e in r["evidence"]}
    assert blocked == {canonicalize(urls[42]), canonicalize(urls[4321])} and decision["verdict"] == "remove"
    fetched = {int(path.rsplit("/", 1)[1]) for path in site.hits if path.startswith("/many/")}
    assert fetched and max(fetched) < MAX_FOLLOWED_LINKS  # never more than the first 100, not even later


def test_a_post_with_more_urls_than_can_be_judged_is_refused(db_url: str) -> None:
    from leakwarden.engine import MAX_POST_URLS
    from leakwarden.errors import InvalidInput

    text = " ".join(f"http://{i}.io" for i in range(MAX_POST_URLS + 1))
    with pytest.raises(InvalidInput) as refused:
        Engine(db_url, detectors=[]).check(Post(id="p", author="a", text=text))
    assert refused.value.code == "too_many_links"
