"""The hostile-server suite: every case ends in a clear per-hop error code, never a crash or hang.

Servers run on 127.0.0.1 and the fetcher opts in with ``allow_hosts="127.0.0.1"``. Limits are
small (1 MB, 1.5 s) so the suite stays fast. At the end of the run it prints a summary count.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
import pytest
from fixtures.links.hostserver import Handler, HostServer, make_certificate
from fixtures.links.pdfs import (
    encrypted_pdf,
    nested_compression_pdf,
    page_tree_bomb_pdf,
    text_pdf,
)

from leakwarden.links.addresses import static_resolver
from leakwarden.links.cache import FetchCache
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings
from leakwarden.model import LinkChain

GENEROUS_S = 15.0
MB = 1024 * 1024


@cache
def _bomb(kind: str) -> bytes:
    zeros = b"\0" * (64 * MB)
    if kind == "gzip":
        return gzip.compress(zeros, 6)
    if kind == "gzip-gzip":
        return gzip.compress(gzip.compress(zeros, 6), 6)
    if kind == "deflate":
        return zlib.compress(zeros, 6)
    return brotli.compress(zeros, quality=4)


def _redirect(to: str) -> Callable[[Handler], None]:
    return lambda h: h.send(302, b"", None, {"Location": to})


def _drip_body(h: Handler) -> None:
    h.stream(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", b"x", 10_000, delay=0.2)


def _drip_head(h: Handler) -> None:
    h.stream(b"HTTP/1.1 200 OK\r\n", b"X", 10_000, delay=0.2)


def _silent(h: Handler) -> None:
    h.server.owner.stopping.wait(20)
    h.close_connection = True


def _huge(content_length: bool) -> Callable[[Handler], None]:
    def send(h: Handler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        if content_length:
            head += b"Content-Length: 1073741824\r\n"
        h.stream(head + b"\r\n", b"a" * 65536, 1 << 30)

    return send


def _encoded(kind: str, encoding: str) -> Callable[[Handler], None]:
    return lambda h: h.send(200, _bomb(kind), "text/html", {"Content-Encoding": encoding})


def _pdf(data: Callable[[], bytes]) -> Callable[[Handler], None]:
    return lambda h: h.send(200, data(), "application/pdf")


def _million_links(h: Handler) -> None:
    h.stream(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>",
             b"".join(b'<a href="/l/%d">link</a>' % i for i in range(1000)), 40 * MB)


def _many_links_body() -> bytes:
    links = b"".join(b'<p><a href="/l/%d.pdf">document %d</a></p>' % (i, i) for i in range(100_000))
    return b"<html><body><article>" + links + b"</article></body></html>"


def _reset(h: Handler) -> None:
    h.raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html>partial")


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/loop/a": _redirect("/loop/b"),
    "/loop/b": _redirect("/loop/a"),
    "/self": _redirect("/self"),
    "/big": _huge(False),
    "/big-cl": _huge(True),
    "/drip-body": _drip_body,
    "/drip-head": _drip_head,
    "/silent": _silent,
    "/gzip-bomb": _encoded("gzip", "gzip"),
    "/gzip-gzip-bomb": _encoded("gzip-gzip", "gzip, gzip"),
    "/deflate-bomb": _encoded("deflate", "deflate"),
    "/br-bomb": _encoded("br", "br"),
    "/gzip-broken": lambda h: h.send(200, gzip.compress(b"<p>hello</p>" * 100)[:-40] + b"garbage" * 10,
                                     "text/html", {"Content-Encoding": "gzip"}),
    "/zstd": lambda h: h.send(200, b"(\xb5/\xfd", "text/html", {"Content-Encoding": "zstd"}),
    "/pdf/broken": _pdf(lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40),
    "/pdf/truncated": _pdf(lambda: text_pdf("half a document")[:180]),
    "/pdf/encrypted": _pdf(encrypted_pdf),
    "/pdf/pages": _pdf(lambda: page_tree_bomb_pdf()),
    "/pdf/tree-bomb": _pdf(lambda: page_tree_bomb_pdf(declared=1)),
    "/pdf/nested": _pdf(nested_compression_pdf),
    "/pdf/not-a-pdf": _pdf(lambda: b"<html>this is not a pdf</html>"),
    "/utf8-invalid": lambda h: h.send(200, b"<html><body><p>caf\xc3 invalid \xff\xfe bytes</p></body></html>",
                                      "text/html; charset=utf-8"),
    "/mixed": lambda h: h.send(
        200, "<html><body><p>ملف الحملة</p>\n".encode() + "<p>café résumé</p>\n".encode("latin-1")
        + b"</body></html>", "text/html"),
    "/bogus-charset": lambda h: h.send(200, b"<p>plain words</p>", "text/html; charset=x-no-such-charset"),
    "/links-million": _million_links,
    "/links-many": lambda h: h.send(200, _many_links_body()),
    "/png": lambda h: h.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png"),
    "/octet": lambda h: h.send(200, b"\0\1\2" * 100, "application/octet-stream"),
    "/untyped-binary": lambda h: h.send(200, b"\0\1\2\3" * 100, None),
    "/500": lambda h: h.send(500, b"oops", "text/plain"),
    "/redirect-nolocation": lambda h: h.send(302, b"", None),
    "/to-file": _redirect("file:///etc/passwd"),
    "/refresh-loop": lambda h: h.send(200, b"<p>wait</p>", "text/html", {"Refresh": "0; url=/refresh-loop"}),
    "/reset": _reset,
    "/garbage": lambda h: h.raw(b"THIS IS NOT HTTP\r\n\r\n"),
    "/empty": lambda h: h.raw(b""),
}


def _dynamic_routes(srv: HostServer) -> None:
    port = srv.port

    def hop(h: Handler) -> None:
        n = int(h.path.rsplit("/", 1)[1])
        h.send(302, b"", None, {"Location": f"/hop/{n + 1}"})

    def meta_chain(h: Handler) -> None:
        n = int(h.path.rsplit("/", 1)[1])
        h.send(200, b'<meta http-equiv="refresh" content="0; url=/meta/%d">' % (n + 1))

    srv.prefixes["/hop/"] = hop
    srv.prefixes["/meta/"] = meta_chain
    srv.routes["/to-metadata"] = _redirect(f"http://169.254.169.254:{port}/latest/meta-data/")
    srv.routes["/to-private"] = _redirect(f"http://10.0.0.1:{port}/admin")
    srv.routes["/to-mapped"] = _redirect(f"http://[::ffff:127.0.0.1]:{port}/page")
    srv.routes["/to-loopback-name"] = _redirect(f"http://loopback.test:{port}/page")
    srv.routes["/to-userinfo"] = _redirect(f"http://user:pw@127.0.0.1:{port}/page")
    srv.routes["/to-bad-port"] = _redirect("http://127.0.0.1:22/")
    srv.routes["/page"] = lambda h: h.send(200, b"<p>fine</p>")


@dataclass(frozen=True)
class Case:
    name: str
    url: str  # a path on the server, or a full URL with {port}/{tls_port} placeholders
    code: str | None  # expected error code on some hop; None: no error, the content is read
    expect_text: str = ""


CASES = [
    Case("redirect loop", "/loop/a", "redirect_loop"),
    Case("self redirect", "/self", "redirect_loop"),
    Case("thousands of hops", "/hop/0", "too_many_redirects"),
    Case("meta refresh chain", "/meta/0", "too_many_redirects"),
    Case("refresh header loop", "/refresh-loop", "redirect_loop"),
    Case("1 GB response", "/big", "too_large"),
    Case("1 GB content-length", "/big-cl", "too_large"),
    Case("slow-drip body", "/drip-body", "timeout"),
    Case("slow-drip headers", "/drip-head", "timeout"),
    Case("silent server", "/silent", "timeout"),
    Case("gzip bomb", "/gzip-bomb", "too_large"),
    Case("gzip inside gzip bomb", "/gzip-gzip-bomb", "too_large"),
    Case("deflate bomb", "/deflate-bomb", "too_large"),
    Case("brotli bomb", "/br-bomb", "too_large"),
    Case("broken gzip", "/gzip-broken", "decode_error"),
    Case("unsupported encoding", "/zstd", "decode_error"),
    Case("malformed PDF", "/pdf/broken", "pdf_broken"),
    Case("truncated PDF", "/pdf/truncated", "pdf_broken"),
    Case("encrypted PDF", "/pdf/encrypted", "pdf_encrypted"),
    Case("huge page count", "/pdf/pages", "pdf_too_many_pages"),
    Case("page tree bomb with lying count", "/pdf/tree-bomb", "pdf_too_large"),
    Case("nested compression PDF", "/pdf/nested", "pdf_too_large"),
    Case("HTML sent as PDF", "/pdf/not-a-pdf", "pdf_broken"),
    Case("invalid UTF-8", "/utf8-invalid", None, "invalid"),
    Case("mixed encodings", "/mixed", None, "café"),
    Case("unknown charset", "/bogus-charset", None, "plain words"),
    Case("HTML with millions of links", "/links-million", "too_large"),
    Case("PNG that is not an image", "/png", "image_broken"),
    Case("content type octet-stream", "/octet", "bad_content_type"),
    Case("untyped binary", "/untyped-binary", "bad_content_type"),
    Case("server error", "/500", "http_error"),
    Case("redirect without location", "/redirect-nolocation", "bad_redirect"),
    Case("redirect to file://", "/to-file", "bad_scheme"),
    Case("redirect to metadata address", "/to-metadata", "blocked_address"),
    Case("redirect to private address", "/to-private", "blocked_address"),
    Case("redirect to IPv4-mapped loopback", "/to-mapped", "blocked_address"),
    Case("redirect to a name resolving to loopback", "/to-loopback-name", "blocked_address"),
    Case("redirect with userinfo", "/to-userinfo", "userinfo"),
    Case("redirect to a bad port", "/to-bad-port", "bad_port"),
    Case("connection closed mid-body", "/reset", "protocol_error"),
    Case("not HTTP", "/garbage", "protocol_error"),
    Case("empty answer", "/empty", "protocol_error"),
    Case("host does not resolve", "http://nx.test:{port}/", "dns_error"),
    Case("IPv4-mapped IPv6 literal", "http://[::ffff:127.0.0.1]:{port}/page", "blocked_address"),
    Case("metadata literal", "http://169.254.169.254:{port}/", "blocked_address"),
    Case("userinfo", "http://user:pass@127.0.0.1:{port}/page", "userinfo"),
    Case("bad port", "http://127.0.0.1:6379/", "bad_port"),
    Case("bad scheme", "gopher://127.0.0.1:{port}/", "bad_scheme"),
    Case("TLS with an untrusted certificate", "https://127.0.0.1:{tls_port}/", "tls_error"),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostServer, HostServer]]:
    for kind in ("gzip", "gzip-gzip", "deflate", "br"):
        _bomb(kind)  # build the slow-to-make bodies before the clock of any case starts
    nested_compression_pdf()
    plain = HostServer(dict(ROUTES))
    _dynamic_routes(plain)
    cert, key = make_certificate(Path(tmp_path_factory.mktemp("hostile-tls")), "hostile.test")
    tls = HostServer({"/": lambda h: h.send(200, b"never")}, tls=(cert, key))
    yield plain, tls
    plain.close()
    tls.close()


@pytest.fixture(scope="module")
def expander(servers: tuple[HostServer, HostServer]) -> Iterator[ChainExpander]:
    plain, tls = servers
    settings = FetchSettings(
        allow_hosts="127.0.0.1", ports=(plain.port, tls.port), connect_timeout=1.0, read_timeout=0.5,
        total_timeout=1.5, max_bytes=1 * MB, pdf_timeout=3.0, pdf_max_pages=100, pdf_memory_mb=512,
        resolver=static_resolver({"loopback.test": ["127.0.0.2"]}),
    )
    with ChainExpander(settings, FetchCache(ttl_s=0.0, error_ttl_s=0.0)) as chains:
        yield chains


def _codes(chain: LinkChain) -> list[str | None]:
    return [hop.error_code for hop in chain.hops]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_server(case: Case, servers: tuple[HostServer, HostServer], expander: ChainExpander) -> None:
    plain, tls = servers
    url = case.url.format(port=plain.port, tls_port=tls.port)
    if url.startswith("/"):
        url = plain.url(url)
    started = time.monotonic()
    [chain] = expander.expand([url], budget_s=GENEROUS_S, max_depth=1)
    elapsed = time.monotonic() - started
    assert chain.complete, f"{case.name}: still running after {GENEROUS_S} s"
    assert elapsed < GENEROUS_S
    if case.code is None:
        assert _codes(chain) == [None]
        assert case.expect_text in chain.hops[0].text
    else:
        assert case.code in _codes(chain), f"{case.name}: {[(h.url, h.error_code, h.error) for h in chain.hops]}"
        failing = next(h for h in chain.hops if h.error_code == case.code)
        assert failing.error  # a human-readable message too


def test_a_page_with_a_hundred_thousand_links_is_read_with_bounded_outlinks(
    servers: tuple[HostServer, HostServer],
) -> None:
    plain, _ = servers
    settings = FetchSettings(allow_hosts="127.0.0.1", ports=(plain.port,), max_bytes=8 * MB,
                             total_timeout=5.0, max_links_scanned=2_000)
    with ChainExpander(settings) as chains:
        [chain] = chains.expand([plain.url("/links-many")], max_depth=2, fan_out=3, budget_s=GENEROUS_S)
    assert chain.complete
    assert chain.hops[0].error_code is None and "document 0" in chain.hops[0].text
    assert len(chain.hops[0].text) <= settings.max_text_chars
    outlinks = [h for h in chain.hops if h.via == "outlink"]
    assert len(outlinks) == 3
    assert {h.url for h in outlinks} == {plain.url(f"/l/{i}.pdf") for i in range(3)}
