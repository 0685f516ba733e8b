"""The network backend under the fetcher: resolve once, check every address, connect to it.

httpcore asks its network backend to ``connect_tcp(host, port)``. This backend resolves ``host``
itself, refuses the connection if *any* resolved address is not public (see
:mod:`leakwarden.links.addresses`), and connects to an address from that same answer. There is no
second lookup, so a DNS-rebinding answer cannot swap the checked address for an internal one.
httpcore still hands ``host`` (the name) to TLS, so SNI and certificate checks stay on the name,
and the Host header is the name too.

Every read and write is also bounded by a per-request deadline (a thread-local set by the
fetcher), so a server that drips one byte at a time cannot outlive the total timeout, even while
headers are still arriving.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

from leakwarden.errors import FetchError
from leakwarden.links.addresses import AllowList, Resolver, permitted

_local = threading.local()


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Bound every socket operation on this thread until ``at`` (``time.monotonic()``)."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = at
    try:
        yield
    finally:
        _local.deadline = previous


def _bounded(timeout: float | None) -> float | None:
    at: float | None = getattr(_local, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("total timeout reached")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to checked, public (or explicitly allowed) addresses."""

    def __init__(self, resolver: Resolver, allow: AllowList, dns_timeout: float) -> None:
        self._resolver = resolver
        self._allow = allow
        self._dns_timeout = dns_timeout
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        dns_timeout = _bounded(self._dns_timeout) or self._dns_timeout
        addresses = self._resolver(host, dns_timeout)
        chosen = permitted(host, addresses, self._allow)
        if chosen is None:
            refused = ", ".join(str(a) for a in addresses[:4])
            raise FetchError(
                f"{host} resolves to an address that is not public ({refused})", code="blocked_address"
            )
        last: Exception | None = None
        for address in [chosen, *[a for a in addresses if a != chosen]]:
            try:
                stream = self._sync.connect_tcp(
                    str(address), port, _bounded(timeout), local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise FetchError("unix sockets are never used", code="blocked_address")

    def sleep(self, seconds: float) -> None:
        self._sync.sleep(seconds)
