"""Which network addresses the fetcher may connect to, and how host names are resolved.

An address is *public* only if it is globally routable. Everything else is refused: loopback,
private, link-local (169.254.169.254 is the cloud metadata service), CGNAT 100.64/10, multicast,
reserved, unspecified, and the IPv6 forms that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``), which are judged by the address they embed.

The only way round that is an explicit allow list (``LEAKWARDEN_FETCH_ALLOW_HOSTS``: host names,
addresses or CIDRs, comma-separated), used by tests that run servers on 127.0.0.1.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from leakwarden.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Resolves a host name (or an IP literal in any spelling) to addresses; raises FetchError(dns_error).
Resolver = Callable[[str, float], list[IPAddress]]

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, compatible), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def is_public(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses (and their embeddings)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    if (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
    ):
        return False
    return address.is_global


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks a test (never the default configuration) opted in to."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, spec: str | Iterable[str]) -> AllowList:
        items = spec.split(",") if isinstance(spec, str) else list(spec)
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in items:
            item = raw.strip().lower()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                names.add(item.rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.names

    def allows_address(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)

    def __bool__(self) -> bool:
        return bool(self.names or self.networks)


def permitted(host: str, addresses: list[IPAddress], allow: AllowList) -> IPAddress | None:
    """The first address that may be used, or None if *any* address is refused."""
    if not addresses:
        return None
    if allow.allows_name(host):
        return addresses[0]
    for address in addresses:
        if not (is_public(address) or allow.allows_address(address)):
            return None
    return addresses[0]


_DNS_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="leakwarden-dns")


def _getaddrinfo(host: str) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if address not in seen:
            seen.append(address)
    return seen


def parse_ip_literal(host: str) -> IPAddress | None:
    """An IP literal in any spelling the C library accepts (``2130706433``, ``0x7f.1``, ``[::1]``)."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(str(infos[0][4][0]).split("%", 1)[0]) if infos else None


def system_resolver(host: str, timeout: float) -> list[IPAddress]:
    """Resolve with the system resolver, bounded by ``timeout`` seconds."""
    literal = parse_ip_literal(host)
    if literal is not None:
        return [literal]
    future = _DNS_POOL.submit(_getaddrinfo, host)
    try:
        addresses = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise FetchError(f"resolving {host} timed out", code="dns_error") from None
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchError(f"{host} does not resolve", code="dns_error") from exc
    if not addresses:
        raise FetchError(f"{host} does not resolve", code="dns_error")
    return addresses


def static_resolver(table: dict[str, list[str]]) -> Resolver:
    """A resolver from a fixed table (names unknown to it do not resolve); IP literals pass through.

    For tests and for operators who pin names; never consults DNS."""
    parsed = {name.lower(): [ipaddress.ip_address(a) for a in addrs] for name, addrs in table.items()}

    def resolve(host: str, timeout: float) -> list[IPAddress]:
        literal = parse_ip_literal(host)
        if literal is not None:
            return [literal]
        found = parsed.get(host.lower().rstrip("."))
        if not found:
            raise FetchError(f"{host} does not resolve", code="dns_error")
        return list(found)

    return resolve
