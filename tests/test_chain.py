"""The chain expander: post → page → document, redirects of every kind, cache, budget, refetch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.links.hostserver import Handler, HostServer
from fixtures.links.pdfs import text_pdf

from leakwarden.errors import InvalidInput
from leakwarden.links.cache import FetchCache
from leakwarden.links.chain import ChainExpander, hop_path
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import LinkChain

FIXTURES = Path(__file__).parent / "fixtures" / "links"


@pytest.fixture()
def site() -> Iterator[HostServer]:
    srv = HostServer()
    newsletter = (FIXTURES / "newsletter.html").read_bytes()
    srv.routes["/p/dossier"] = lambda h: h.send(200, newsletter)
    srv.routes["/files/dossier.pdf"] = lambda h: h.send(
        200, text_pdf("Candidate home address 12 Elm Street", "SSN ending 6789"), "application/pdf")
    srv.routes["/files/media-kit.pdf"] = lambda h: h.send(200, text_pdf("Advertise with us"), "application/pdf")
    srv.routes["/p/dossier-summary"] = lambda h: h.send(200, b"<html><body><p>Summary of the file.</p></body></html>")
    srv.routes["/short"] = lambda h: h.send(301, b"", None, {"Location": "/refresh"})
    srv.routes["/refresh"] = lambda h: h.send(200, b"<p>moving</p>", headers={"Refresh": "0; url=/meta"})
    srv.routes["/meta"] = lambda h: h.send(
        200, b'<html><head><meta http-equiv="refresh" content="0;URL=\'/interstitial\'"></head></html>')
    srv.routes["/interstitial"] = lambda h: h.send(
        200, b"<html><body>Redirecting<script>window.location.href = '/p/dossier';</script></body></html>")

    def slow(h: Handler) -> None:
        time.sleep(0.8)
        h.send(200, b"<p>slow but fine</p>")

    srv.routes["/slow"] = slow
    yield srv
    srv.close()


def expander_for(srv: HostServer, **overrides: object) -> ChainExpander:
    values: dict[str, object] = dict(allow_hosts="127.0.0.1", ports=(srv.port,), total_timeout=3.0,
                                     pdf_timeout=5.0)
    values.update(overrides)
    return ChainExpander(FetchSettings(**values))


def _by_url(chain: LinkChain, path: str) -> int:
    return next(i for i, h in enumerate(chain.hops) if h.url.endswith(path))


def test_post_to_page_to_pdf(site: HostServer) -> None:
    with expander_for(site) as chains:
        [chain] = chains.expand([site.url("/p/dossier")])
    assert chain.complete and chain.url == site.url("/p/dossier")
    page = chain.hops[0]
    assert (page.via, page.depth, page.parent, page.status, page.content_type) == (
        "post", 0, None, 200, "text/html")
    assert "forty-page file" in page.text and "Popular this week" not in page.text
    pdf_index = _by_url(chain, "/files/dossier.pdf")
    pdf = chain.hops[pdf_index]
    assert (pdf.via, pdf.depth, pdf.parent, pdf.content_type) == ("outlink", 1, 0, "application/pdf")
    assert "12 Elm Street" in pdf.text and pdf.size and pdf.fetch_ms is not None
    assert hop_path(chain, pdf_index) == [page.canonical, pdf.canonical]
    assert {h.url.rsplit("/", 1)[1] for h in chain.hops[1:]} == {"dossier.pdf", "media-kit.pdf", "dossier-summary"}


@pytest.mark.parametrize(
    ("max_depth", "fan_out", "expected"),
    [
        (0, 5, {"dossier"}),
        (1, 5, {"dossier"}),
        (2, 1, {"dossier", "dossier.pdf"}),
        (2, 2, {"dossier", "dossier.pdf", "dossier-summary"}),
        (2, 0, {"dossier"}),
    ],
)
def test_depth_and_fan_out_bound_the_chain(site: HostServer, max_depth: int, fan_out: int,
                                           expected: set[str]) -> None:
    with expander_for(site) as chains:
        [chain] = chains.expand([site.url("/p/dossier")], max_depth=max_depth, fan_out=fan_out)
    assert {h.url.rsplit("/", 1)[1] for h in chain.hops} == expected
    if max_depth == 0:
        assert chain.hops[0].status is None  # not fetched at all
        assert site.hits["/p/dossier"] == 0


def test_every_kind_of_redirect_is_a_hop(site: HostServer) -> None:
    with expander_for(site) as chains:
        [chain] = chains.expand([site.url("/short")], max_depth=1)
    assert [(h.url.rsplit("/", 1)[1], h.via) for h in chain.hops] == [
        ("short", "post"), ("refresh", "redirect"), ("meta", "refresh_header"),
        ("interstitial", "meta_refresh"), ("dossier", "js_location"),
    ]
    assert [h.parent for h in chain.hops] == [None, 0, 1, 2, 3]
    assert all(h.depth == 0 for h in chain.hops)


def test_redirects_beyond_the_limit_stop_with_an_error(site: HostServer) -> None:
    with expander_for(site, max_redirects=2) as chains:
        [chain] = chains.expand([site.url("/short")], max_depth=1)
    assert [h.error_code for h in chain.hops] == [None, None, None, "too_many_redirects"]
    assert chain.hops[-1].status is None


def test_a_thousand_posts_linking_to_one_page_cost_one_fetch(site: HostServer) -> None:
    with expander_for(site) as chains:
        chains.expand([site.url("/p/dossier-summary")] * 500, max_depth=1)
        threads = [threading.Thread(target=chains.expand, args=([site.url("/p/dossier-summary")],),
                                    kwargs={"max_depth": 1}) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for _ in range(480):
            chains.expand([site.url("/p/dossier-summary")], max_depth=1)
    assert site.hits["/p/dossier-summary"] == 1


def test_refetch_bypasses_the_cache_once_per_url(site: HostServer) -> None:
    with expander_for(site) as chains:
        chains.expand([site.url("/p/dossier-summary")], max_depth=1)
        [chain] = chains.expand([site.url("/p/dossier-summary")] * 3, max_depth=1, refetch=True)[:1]
    assert site.hits["/p/dossier-summary"] == 2
    assert chain.hops[0].text.strip() == "Summary of the file."


def test_cache_entries_expire() -> None:
    cache: FetchCache[object] = FetchCache(ttl_s=0.0)

    class Value:
        error_code = None

    cache.put("k", Value())
    time.sleep(0.01)
    assert cache.get("k") is None


def test_cache_is_bounded() -> None:
    class Value:
        error_code = None

    cache: FetchCache[Value] = FetchCache(max_entries=3)
    for key in "abcde":
        cache.put(key, Value())
    assert len(cache) == 3 and cache.get("a") is None and cache.get("e") is not None


def test_budget_returns_what_is_known_and_the_rest_completes_in_the_background(site: HostServer) -> None:
    with expander_for(site) as chains:
        [partial] = chains.expand([site.url("/slow")], budget_s=0.1, max_depth=1)
        assert not partial.complete
        assert partial.hops == []
        deadline = time.monotonic() + 10
        while site.hits["/slow"] < 1 or len(chains.cache) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.9)
        [done] = chains.expand([site.url("/slow")], budget_s=5, max_depth=1)
    assert done.complete and "slow but fine" in done.hops[0].text
    assert site.hits["/slow"] == 1


def test_userinfo_is_refused_even_when_the_clean_url_is_cached(site: HostServer) -> None:
    with expander_for(site) as chains:
        chains.expand([site.url("/p/dossier-summary")], max_depth=1)
        [chain] = chains.expand([site.url("/p/dossier-summary").replace("://", "://user:pw@")], max_depth=1)
    assert chain.hops[0].error_code == "userinfo" and chain.hops[0].text == ""


def test_same_path_on_another_port_is_another_page(site: HostServer) -> None:
    other = HostServer({"/p/dossier-summary": lambda h: h.send(200, b"<p>Other server.</p>")})
    try:
        with expander_for(site, ports=(site.port, other.port)) as chains:
            first, second = chains.expand([site.url("/p/dossier-summary"), other.url("/p/dossier-summary")],
                                          max_depth=1)
    finally:
        other.close()
    assert "Summary of the file." in first.hops[0].text and "Other server." in second.hops[0].text


def test_on_complete_delivers_the_finished_chains_after_a_partial_answer(site: HostServer) -> None:
    finished: list[list[LinkChain]] = []
    arrived = threading.Event()

    def on_complete(chains: list[LinkChain]) -> None:
        finished.append(chains)
        arrived.set()

    with expander_for(site) as chains:
        [partial] = chains.expand([site.url("/slow")], budget_s=0.05, max_depth=1, on_complete=on_complete)
        assert arrived.wait(10)
    assert not partial.complete
    [[done]] = finished
    assert done.complete and "slow but fine" in done.hops[0].text


def test_one_chain_per_url_in_order_with_bad_urls_as_hop_errors(site: HostServer) -> None:
    urls = [site.url("/p/dossier-summary"), "not a url at all", "ftp://example.com/x", "http://[::1"]
    with expander_for(site) as chains:
        result = chains.expand(urls, max_depth=1)
    assert [c.url for c in result] == urls
    assert result[0].hops[0].error_code is None
    assert [c.hops[0].error_code for c in result[1:]] == ["invalid_url", "bad_scheme", "invalid_url"]
    assert all(c.complete for c in result)


@pytest.mark.parametrize("kwargs", [{"max_depth": -1}, {"fan_out": -2}, {"budget_s": -1.0}])
def test_nonsense_limits_are_invalid_input(kwargs: dict[str, float]) -> None:
    with ChainExpander(FetchSettings(allow_hosts="")) as chains, pytest.raises(InvalidInput):
        chains.expand(["https://example.com/"], **kwargs)


def test_no_urls_no_chains() -> None:
    with ChainExpander(FetchSettings(allow_hosts="")) as chains:
        assert chains.expand([]) == []
