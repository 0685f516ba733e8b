"""The SSRF-safe fetcher: the only code in leakwarden that opens outbound connections.

One call to :meth:`Fetcher.get` makes exactly one HTTP GET. It never follows redirects (the chain
expander does, so every hop is checked again). Before connecting it refuses other schemes, other
ports and URLs with userinfo; the network backend (:mod:`leakwarden.links.transport`) refuses
non-public addresses and connects to the address it checked. The body is streamed and decoded in
small pieces, counting bytes *after* decompression, and every read is bounded by the total timeout.
No cookies are kept and no credentials are sent; proxy settings in the environment are not read.

Failures come back as :class:`leakwarden.errors.FetchError` with a machine-readable ``code``:
``invalid_url``, ``bad_scheme``, ``bad_port``, ``userinfo``, ``blocked_address``, ``dns_error``,
``timeout``, ``tls_error``, ``connect_error``, ``protocol_error``, ``too_large``,
``bad_content_type``, ``decode_error``.
"""

from __future__ import annotations

import os
import re
import ssl
import time
from dataclasses import dataclass, field

import certifi
import httpcore
import httpx

from leakwarden.errors import FetchError, InvalidInput
from leakwarden.links.addresses import AllowList, Resolver, system_resolver
from leakwarden.links.decode import Stack
from leakwarden.links.ocr import ImageLimits, sniff_image
from leakwarden.links.transport import GuardedBackend, deadline

ALLOW_HOSTS_ENV = "LEAKWARDEN_FETCH_ALLOW_HOSTS"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
TEXT_TYPES = frozenset({"text/plain"})
_HOST = re.compile(rb"[A-Za-z0-9_.-]{1,253}")
#: Codes that refuse the URL itself, whatever the remote would say: the caller's error (HTTP 422),
#: not the remote's (``dns_error``, ``timeout``, ``http_error``...).
REFUSED_CODES = frozenset({"invalid_url", "bad_scheme", "bad_port", "userinfo", "blocked_address"})


PORTS_ENV = "LEAKWARDEN_FETCH_PORTS"


def _allow_hosts_from_env() -> str:
    return os.environ.get(ALLOW_HOSTS_ENV, "")


def _ports_from_env() -> tuple[int, ...]:
    raw = os.environ.get(PORTS_ENV, "").strip()
    if not raw:
        return (80, 443)
    try:
        ports = tuple(int(p) for p in raw.split(",") if p.strip())
    except ValueError:
        raise InvalidInput(f"{PORTS_ENV} must be comma-separated port numbers") from None
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise InvalidInput(f"{PORTS_ENV} must list ports between 1 and 65535")
    return ports


@dataclass(frozen=True)
class FetchSettings:
    """Every limit of link following. The defaults are for production; tests shrink them."""

    schemes: tuple[str, ...] = ("http", "https")
    ports: tuple[int, ...] = field(default_factory=_ports_from_env)
    allow_hosts: str = field(default_factory=_allow_hosts_from_env)
    max_redirects: int = 5
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    total_timeout: float = 10.0
    dns_timeout: float = 2.0
    max_bytes: int = 10 * 1024 * 1024
    content_types: tuple[str, ...] = ("text/html", "application/xhtml+xml", "text/plain", "application/pdf",
                                      "image/png", "image/jpeg", "image/webp", "image/gif")
    pdf_max_pages: int = 300
    pdf_max_objects: int = 200_000
    pdf_timeout: float = 5.0
    pdf_memory_mb: int = 768
    max_text_chars: int = 200_000
    #: images (and PDF pages without a text layer) are hashed and read with OCR (``links.ocr``)
    image_limits: ImageLimits = field(default_factory=ImageLimits)
    max_links_scanned: int = 5_000
    max_main_text_elements: int = 15_000
    interstitial_max_bytes: int = 16 * 1024
    max_connections: int = 32
    user_agent: str = "leakwarden-linkcheck/0.1 (+https://github.com/leakwarden)"
    resolver: Resolver | None = None  # None: the system resolver
    ca_file: str | None = None  # None: certifi's bundle

    def allow_list(self) -> AllowList:
        return AllowList.parse(self.allow_hosts)


@dataclass
class Response:
    """One HTTP response, body decoded and bounded."""

    url: str
    status: int
    media_type: str | None
    charset: str | None
    location: str | None
    refresh: str | None
    body: bytes
    fetch_ms: float


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    host: str
    port: int


def check_target(raw: str, settings: FetchSettings) -> Target:
    """Refuse what must never be fetched, before any network activity."""
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError) as exc:
        raise FetchError(f"not a valid URL: {exc}", code="invalid_url") from None
    if not url.scheme:
        raise FetchError("not an absolute http(s) URL", code="invalid_url")
    if url.scheme not in settings.schemes:
        raise FetchError(f"scheme {url.scheme[:20]!r} is not fetched", code="bad_scheme")
    if url.userinfo:
        raise FetchError("URLs with a user name or password are not fetched", code="userinfo")
    host = url.host
    if not host:
        raise FetchError("URL has no host", code="invalid_url")
    if not _HOST.fullmatch(url.raw_host) and ":" not in host:
        raise FetchError("URL host has characters a host name cannot have", code="invalid_url")
    port = url.port or (443 if url.scheme == "https" else 80)
    if port not in settings.ports:
        raise FetchError(f"port {port} is not fetched", code="bad_port")
    return Target(url, host, port)


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = [p.strip() for p in value.split(";")]
    media = parts[0].lower() or None
    charset = None
    for p in parts[1:]:
        key, _, val = p.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media, charset


def sniff(head: bytes) -> str | None:
    start = head[:1024].lstrip().lower()
    if head[:1024].lstrip().startswith(b"%PDF-"):
        return "application/pdf"
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")):
        return "text/html"
    if sniff_image(head):
        return sniff_image(head)
    if b"\x00" not in head[:1024]:
        return "text/plain"
    return None


class Fetcher:
    """Makes single, checked GET requests. Thread-safe; share one per process."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        ssl_context = ssl.create_default_context(cafile=self.settings.ca_file or certifi.where())
        backend = GuardedBackend(
            self.settings.resolver or system_resolver, self.settings.allow_list(), self.settings.dns_timeout
        )
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            network_backend=backend,
            max_connections=self.settings.max_connections,
            keepalive_expiry=15.0,
        )

    def close(self) -> None:
        self._pool.close()

    def get(self, raw_url: str) -> Response:
        s = self.settings
        target = check_target(raw_url, s)
        started = time.monotonic()
        url = target.url
        host_header = url.raw_host.decode("ascii")
        if ":" in host_header:
            host_header = f"[{host_header}]"
        if url.port is not None:
            host_header = f"{host_header}:{url.port}"
        request_url = httpcore.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=target.port, target=url.raw_path
        )
        headers = [
            (b"Host", host_header.encode("ascii")),
            (b"User-Agent", s.user_agent.encode("ascii", "replace")),
            (b"Accept", b"text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.1"),
            (b"Accept-Encoding", b"gzip, deflate, br"),
        ]
        timeouts = {"connect": s.connect_timeout, "read": s.read_timeout, "write": s.read_timeout,
                    "pool": s.connect_timeout}
        try:
            with deadline(started + s.total_timeout), self._pool.stream(
                "GET", request_url, headers=headers, extensions={"timeout": timeouts}
            ) as response:
                return self._read(str(url), response, started)
        except FetchError:
            raise
        except httpcore.TimeoutException:
            raise FetchError(f"no complete answer within {s.total_timeout:g} s", code="timeout") from None
        except httpcore.ConnectError as exc:
            if isinstance(exc.__cause__, ssl.SSLError) or "SSL" in str(exc) or "certificate" in str(exc):
                raise FetchError(f"TLS failed: {_short(exc)}", code="tls_error") from None
            raise FetchError(f"could not connect: {_short(exc)}", code="connect_error") from None
        except (httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise FetchError(f"bad HTTP from server: {_short(exc)}", code="protocol_error") from None
        except (httpcore.NetworkError, OSError) as exc:
            if isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
                raise FetchError(f"TLS failed: {_short(exc)}", code="tls_error") from None
            raise FetchError(f"network error: {_short(exc)}", code="connect_error") from None

    def _read(self, url: str, response: httpcore.Response, started: float) -> Response:
        s = self.settings
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
        media, charset = parse_content_type(headers.get("content-type"))
        status = response.status
        base = dict(url=url, status=status, media_type=media, charset=charset,
                    location=headers.get("location"), refresh=headers.get("refresh"))
        if status in REDIRECT_STATUSES or not 200 <= status < 300:
            return Response(**base, body=b"", fetch_ms=_ms(started))  # type: ignore[arg-type]
        if media is not None and media not in s.content_types:
            raise FetchError(f"content type {media[:60]} is not followed", code="bad_content_type")
        length = headers.get("content-length", "").strip()
        if length.isdigit() and not headers.get("content-encoding") and int(length) > s.max_bytes:
            raise FetchError(f"response is larger than {s.max_bytes} bytes", code="too_large")
        decoder = Stack(headers.get("content-encoding"))
        body = bytearray()
        for raw in response.iter_stream():
            for piece in decoder.feed(raw):
                body += piece
                if len(body) > s.max_bytes:
                    raise FetchError(
                        f"response is larger than {s.max_bytes} bytes after decoding", code="too_large"
                    )
        if media is None:
            media = sniff(bytes(body[:1024]))
            if media is None or media not in s.content_types:
                raise FetchError("content type is missing and not recognisable", code="bad_content_type")
            base["media_type"] = media
        return Response(**base, body=bytes(body), fetch_ms=_ms(started))  # type: ignore[arg-type]


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 2)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]
