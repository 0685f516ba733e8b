"""The SSRF suite: attack URLs aimed at a live local server. Not one of them may reach it.

The server listens on 127.0.0.1 and its port is an allowed port, so the only thing standing
between each URL and the server is the fetcher's address checking. The allow setting is off for
the direct attacks; the redirect attacks start from an allowed *name* and must not go further.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from fixtures.links.hostserver import Handler, HostServer

from leakwarden.links.addresses import static_resolver
from leakwarden.links.chain import ChainExpander
from leakwarden.links.fetch import FetchSettings

REFUSALS = {"blocked_address", "invalid_url", "userinfo", "dns_error", "bad_scheme", "bad_port"}

NAMES = {
    "entry.test": ["127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
    "loopback.example": ["127.0.0.1"],
    "internal.example": ["10.0.0.7"],
    "metadata.example": ["169.254.169.254"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "dual.example": ["93.184.216.34", "127.0.0.1"],
    "nat64.example": ["64:ff9b::7f00:1"],
    "cgnat.example": ["100.64.1.1"],
}

DIRECT = [
    "http://127.0.0.1:{p}/secret",
    "http://127.1:{p}/secret",
    "http://127.0.1:{p}/secret",
    "http://2130706433:{p}/secret",
    "http://0x7f000001:{p}/secret",
    "http://0x7f.0x0.0x0.0x1:{p}/secret",
    "http://0x7f.1:{p}/secret",
    "http://0177.0.0.1:{p}/secret",
    "http://017700000001:{p}/secret",
    "http://0177.1:{p}/secret",
    "http://127.000.000.001:{p}/secret",
    "http://127.0.0.1.:{p}/secret",
    "http://[::1]:{p}/secret",
    "http://[0:0:0:0:0:0:0:1]:{p}/secret",
    "http://[::ffff:127.0.0.1]:{p}/secret",
    "http://[::ffff:7f00:1]:{p}/secret",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{p}/secret",
    "http://[64:ff9b::127.0.0.1]:{p}/secret",
    "http://[2002:7f00:1::1]:{p}/secret",
    "http://[::127.0.0.1]:{p}/secret",
    "http://[::]:{p}/secret",
    "http://0.0.0.0:{p}/secret",
    "http://0:{p}/secret",
    "http://localhost:{p}/secret",
    "http://LOCALHOST:{p}/secret",
    "http://localhost.:{p}/secret",
    "http://loopback.example:{p}/secret",
    "http://internal.example:{p}/secret",
    "http://metadata.example:{p}/latest/meta-data/",
    "http://mapped.example:{p}/secret",
    "http://dual.example:{p}/secret",
    "http://nat64.example:{p}/secret",
    "http://cgnat.example:{p}/secret",
    "http://169.254.169.254:{p}/latest/meta-data/",
    "http://[fe80::1]:{p}/secret",
    "http://10.0.0.1:{p}/secret",
    "http://192.168.0.1:{p}/secret",
    "http://172.16.0.1:{p}/secret",
    "http://100.64.0.1:{p}/secret",
    "http://224.0.0.1:{p}/secret",
    "http://255.255.255.255:{p}/secret",
    "http://127。0。0。1:{p}/secret",
    "http://%31%32%37.0.0.1:{p}/secret",
    "http://user@127.0.0.1:{p}/secret",
    "http://entry.test@127.0.0.1:{p}/secret",
    "http://entry.test:{p}@127.0.0.1:{p}/secret",
    "gopher://127.0.0.1:{p}/_secret",
    "file://127.0.0.1/etc/passwd",
]

REDIRECT_TARGETS = [
    "http://127.0.0.1:{p}/secret",
    "http://2130706433:{p}/secret",
    "http://[::ffff:127.0.0.1]:{p}/secret",
    "http://localhost:{p}/secret",
    "http://metadata.example:{p}/latest/meta-data/",
    "http://169.254.169.254:{p}/latest/meta-data/",
    "http://internal.example:{p}/secret",
    "http://0:{p}/secret",
]


def _redirect(location: str, h: Handler) -> None:
    h.send(302, b"", None, {"Location": location})


@pytest.fixture(scope="module")
def target() -> Iterator[HostServer]:
    srv = HostServer({"/secret": lambda h: h.send(200, b"internal secret", "text/plain"),
                      "/latest/meta-data/": lambda h: h.send(200, b"iam credentials", "text/plain")})
    for i, to in enumerate(REDIRECT_TARGETS):
        location = to.format(p=srv.port)
        srv.routes[f"/go/{i}"] = functools.partial(_redirect, location)
    yield srv
    srv.close()


def _settings(srv: HostServer, allow: str) -> FetchSettings:
    return FetchSettings(allow_hosts=allow, ports=(80, 443, srv.port), total_timeout=2.0, connect_timeout=1.0,
                         resolver=static_resolver(NAMES))


def _assert_refused(srv: HostServer, url: str, allow: str) -> None:
    with ChainExpander(_settings(srv, allow)) as chains:
        [chain] = chains.expand([url], max_depth=1, budget_s=10)
    assert chain.complete
    assert srv.hits["/secret"] == 0 and srv.hits["/latest/meta-data/"] == 0, url
    assert all(h.status != 200 or "/go/" in h.url for h in chain.hops)
    assert chain.hops[-1].error_code in REFUSALS, (url, chain.hops[-1].error_code, chain.hops[-1].error)


@pytest.mark.parametrize("attack", DIRECT)
def test_direct_attack_is_not_fetched(target: HostServer, attack: str) -> None:
    _assert_refused(target, attack.format(p=target.port), allow="")


@pytest.mark.parametrize("index", range(len(REDIRECT_TARGETS)), ids=REDIRECT_TARGETS)
def test_redirect_into_internal_space_is_not_followed(target: HostServer, index: int) -> None:
    # The entry host is allowed by *name* only: its redirect target must pass the checks on its own.
    _assert_refused(target, f"http://entry.test:{target.port}/go/{index}", allow="entry.test")
    assert target.hits[f"/go/{index}"] >= 1


@pytest.mark.parametrize(
    ("host", "codes"),
    [
        ("localhost", {"blocked_address"}),
        ("LocalHost", {"blocked_address"}),
        ("127.0.0.1", {"blocked_address"}),
        ("localhost.", {"blocked_address", "dns_error"}),  # some resolvers do not know the FQDN form
    ],
)
def test_the_system_resolver_is_checked_too(target: HostServer, host: str, codes: set[str]) -> None:
    settings = FetchSettings(allow_hosts="", ports=(target.port,), total_timeout=2.0)
    with ChainExpander(settings) as chains:
        [chain] = chains.expand([f"http://{host}:{target.port}/secret"], max_depth=1, budget_s=10)
    assert chain.hops[0].error_code in codes
    assert target.hits["/secret"] == 0


def test_the_suite_has_at_least_forty_attacks() -> None:
    assert len(DIRECT) + len(REDIRECT_TARGETS) >= 40
