"""The SSRF-safe fetcher: address checks, target checks, decoding limits, pinning, headers."""

from __future__ import annotations

import gzip
import ipaddress
import threading
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from fixtures.links.hostserver import Handler, HostServer, make_certificate

from leakwarden.errors import FetchError
from leakwarden.links.addresses import AllowList, is_public, static_resolver, system_resolver
from leakwarden.links.decode import PIECE, Stack
from leakwarden.links.fetch import Fetcher, FetchSettings, check_target


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("127.255.0.9", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("198.18.0.1", False),
        ("192.0.2.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a00:1", False),
        ("64:ff9b::808:808", True),
        ("2002:7f00:1::", False),
        ("2002:a9fe:a9fe::1", False),
        ("2002:808:808::1", True),
        ("::127.0.0.1", False),
        ("2001:db8::1", False),
    ],
)
def test_only_globally_routable_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("spec", "host", "address", "allowed"),
    [
        ("", "localhost", "127.0.0.1", False),
        ("127.0.0.1", "x", "127.0.0.1", True),
        ("127.0.0.1", "x", "127.0.0.2", False),
        ("127.0.0.0/8, 10.0.0.0/8", "x", "10.9.9.9", True),
        ("localhost", "LOCALHOST.", "127.0.0.1", True),
        ("::1", "x", "::1", True),
        ("[::1]", "x", "::1", True),
    ],
)
def test_allow_list_takes_hosts_and_cidrs(spec: str, host: str, address: str, allowed: bool) -> None:
    allow = AllowList.parse(spec)
    ip = ipaddress.ip_address(address)
    assert (allow.allows_name(host) or allow.allows_address(ip)) is allowed


def test_allow_hosts_is_empty_unless_the_environment_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", raising=False)
    assert not FetchSettings().allow_list()
    monkeypatch.setenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", "127.0.0.1,10.0.0.0/8")
    assert FetchSettings().allow_list().allows_address(ipaddress.ip_address("10.2.3.4"))


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/x", "bad_scheme"),
        ("file:///etc/passwd", "bad_scheme"),
        ("gopher://example.com:70/", "bad_scheme"),
        ("javascript:alert(1)", "bad_scheme"),
        ("http://user:pw@example.com/", "userinfo"),
        ("http://user@example.com/", "userinfo"),
        ("http://example.com:8080/", "bad_port"),
        ("https://example.com:22/", "bad_port"),
        ("http:///nohost", "invalid_url"),
        ("http://exa mple.com/", "invalid_url"),
    ],
)
def test_targets_are_refused_before_any_network_activity(url: str, code: str) -> None:
    with pytest.raises(FetchError) as caught:
        check_target(url, FetchSettings(allow_hosts=""))
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("br", lambda d: brotli.compress(d, quality=4)),
        ("deflate", lambda d: __import__("zlib").compress(d)),
        ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
    ],
)
def test_decoders_yield_small_pieces_of_a_bomb(encoding: str, compress: object) -> None:
    bomb = compress(b"\0" * 20_000_000)  # type: ignore[operator]
    assert len(bomb) < 200_000
    total = 0
    for piece in Stack(encoding).feed(bomb):
        assert len(piece) <= 2 * PIECE  # brotli's output limit is a soft one
        total += len(piece)
        if total > 1_000_000:
            break
    assert total > 1_000_000  # it decodes, but in pieces the caller can stop


@pytest.mark.parametrize("encoding", ["zstd", "compress", "gzip, br, gzip, br"])
def test_unknown_or_excessive_encodings_are_decode_errors(encoding: str) -> None:
    with pytest.raises(FetchError) as caught:
        list(Stack(encoding).feed(b"x"))
    assert caught.value.code == "decode_error"


@pytest.fixture()
def server() -> Iterator[HostServer]:
    srv = HostServer()

    @srv.route("/page")
    def page(h: Handler) -> None:
        h.send(200, b"<html><body><p>hello</p></body></html>", headers={"Set-Cookie": "sid=secret"})

    @srv.route("/gz")
    def gz(h: Handler) -> None:
        h.send(200, gzip.compress("<p>café</p>".encode()), "text/html; charset=utf-8",
               headers={"Content-Encoding": "gzip"})

    yield srv
    srv.close()


def settings_for(srv: HostServer, **overrides: object) -> FetchSettings:
    values: dict[str, object] = dict(allow_hosts="127.0.0.1", ports=(srv.port,), connect_timeout=1.0,
                                     read_timeout=1.0, total_timeout=3.0, max_bytes=1_000_000)
    values.update(overrides)
    return FetchSettings(**values)


def test_fetches_an_allowed_local_page_and_sends_no_cookies_back(server: HostServer) -> None:
    fetcher = Fetcher(settings_for(server))
    first = fetcher.get(server.url("/page"))
    fetcher.get(server.url("/page"))
    assert first.status == 200 and first.media_type == "text/html" and b"hello" in first.body
    assert all("Cookie" not in headers and "cookie" not in headers for headers in server.headers)
    assert server.hosts[0] == f"127.0.0.1:{server.port}"


def test_decodes_gzip_bodies(server: HostServer) -> None:
    response = Fetcher(settings_for(server)).get(server.url("/gz"))
    assert response.body.decode("utf-8") == "<p>café</p>"


def test_environment_proxies_are_ignored(server: HostServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    assert Fetcher(settings_for(server)).get(server.url("/page")).status == 200


def test_local_server_is_refused_without_the_allow_setting(server: HostServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAKWARDEN_FETCH_ALLOW_HOSTS", raising=False)
    with pytest.raises(FetchError) as caught:
        Fetcher(FetchSettings(ports=(server.port,))).get(server.url("/page"))
    assert caught.value.code == "blocked_address"
    assert server.hits["/page"] == 0


def test_connects_to_the_checked_address_with_no_second_lookup(server: HostServer) -> None:
    """DNS rebinding: the first answer is allowed, any later answer would be internal."""
    answers = [["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]]
    calls: list[str] = []
    lock = threading.Lock()

    def rebinding(host: str, timeout: float) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        with lock:
            calls.append(host)
            return [ipaddress.ip_address(a) for a in answers[min(len(calls) - 1, 2)]]

    fetcher = Fetcher(settings_for(server, resolver=rebinding))
    response = fetcher.get(f"http://rebind.test:{server.port}/page")
    assert response.status == 200 and b"hello" in response.body
    assert calls == ["rebind.test"]
    assert server.hosts == [f"rebind.test:{server.port}"]  # Host header keeps the name


def test_a_name_with_any_internal_address_is_refused(server: HostServer) -> None:
    resolver = static_resolver({"mixed.test": ["8.8.8.8", "10.0.0.1"]})
    with pytest.raises(FetchError) as caught:
        Fetcher(settings_for(server, allow_hosts="", resolver=resolver)).get(f"http://mixed.test:{server.port}/")
    assert caught.value.code == "blocked_address"


def test_system_resolver_reports_unresolvable_names() -> None:
    with pytest.raises(FetchError) as caught:
        system_resolver("does-not-exist.invalid", 2.0)
    assert caught.value.code == "dns_error"


@pytest.fixture(scope="module")
def pinned_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostServer, Path]]:
    cert, key = make_certificate(tmp_path_factory.mktemp("tls"), "pinned.test")
    srv = HostServer({"/doc": lambda h: h.send(200, b"secret page", "text/plain")}, tls=(cert, key))
    yield srv, cert
    srv.close()


def test_tls_keeps_sni_and_certificate_checks_on_the_name(pinned_tls: tuple[HostServer, Path]) -> None:
    srv, cert = pinned_tls
    settings = FetchSettings(allow_hosts="127.0.0.1", ports=(srv.port,), ca_file=str(cert), total_timeout=3.0,
                             resolver=static_resolver({"pinned.test": ["127.0.0.1"]}))
    response = Fetcher(settings).get(f"https://pinned.test:{srv.port}/doc")
    assert response.body == b"secret page"
    assert "pinned.test" in srv.sni


@pytest.mark.parametrize(
    ("host", "table"),
    [
        ("127.0.0.1", {}),  # certificate is for pinned.test, not the address
        ("other.test", {"other.test": ["127.0.0.1"]}),  # name mismatch
    ],
)
def test_tls_failures_are_tls_errors(pinned_tls: tuple[HostServer, Path], host: str,
                                     table: dict[str, list[str]]) -> None:
    srv, cert = pinned_tls
    settings = FetchSettings(allow_hosts="127.0.0.1", ports=(srv.port,), ca_file=str(cert), total_timeout=3.0,
                             resolver=static_resolver(table))
    with pytest.raises(FetchError) as caught:
        Fetcher(settings).get(f"https://{host}:{srv.port}/doc")
    assert caught.value.code == "tls_error"
