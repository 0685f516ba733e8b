"""URLs as rule targets: canonical form, lookup expressions, and URLs found in free text.

``canonicalize`` follows the Safe Browsing Update API (v4) canonicalization, so that trivial
variants of one address (``HTTP://WWW.Example.COM.:80/a/./b/../c#x``, ``http://3279880203/``,
``%2e``-encoded paths, IDN vs punycode hosts) all come out as the same string:

1. strip leading/trailing C0 controls and spaces, remove every tab, CR and LF;
2. cut the fragment (at the first literal ``#``);
3. percent-unescape repeatedly until nothing changes (``%2525`` -> ``%``);
4. split scheme / authority / path / query. A missing scheme means ``http``; only ``http`` and
   ``https`` are accepted (anything else raises :class:`~leakwarden.errors.InvalidURL`).
   Like browsers, any number of slashes (or backslashes) may follow ``http:``, and backslashes
   before the query count as ``/``;
5. host: userinfo and port dropped (every port, as in the spec's test vectors: a rule on a page is
   not evaded by naming a port), dots collapsed and trimmed, IDN to punycode (UTS 46 via ``idna``;
   where ``idna`` refuses, each label is punycoded on its own, or left as escaped bytes), IPv4 in
   any legal form (decimal, octal, hex, fewer than four parts) to a dotted quad, lowercase;
   IPv6 literals to their compressed form;
6. path: ``/./`` and ``/../`` resolved, ``//`` runs collapsed, empty path -> ``/``;
7. the query is kept as is (including a bare ``?``);
8. escape every byte <= 0x20, >= 0x7f, ``#`` and ``%`` as ``%XX`` (upper-case hex).

The canonical form is idempotent: ``canonicalize(canonicalize(u)) == canonicalize(u)``.
Most URLs never reach the full (bytes-level) path: a fast path takes already-clean ASCII URLs
(one regular-expression match when the URL is already canonical), and a middle path takes the
common ASCII variants (scheme or host case, userinfo, port, fragment, trailing or doubled dots,
``/./``, ``/../``, ``//``, escapes of printable characters). Both give the same result as the
full path: tested over generated URLs. :func:`canonical_cache` adds an LRU cache for callers
that see the same URLs again and again.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple

import idna

from leakwarden.errors import InvalidInput, InvalidURL

__all__ = [
    "MAX_URL_CHARS",
    "UrlSpan",
    "canonical_cache",
    "canonicalize",
    "extract_urls",
    "find_urls",
    "host_of",
    "is_ip_host",
    "lookup_expressions",
    "split_canonical",
]

MAX_URL_CHARS = 16_384
"""Longer inputs are refused (Post.links allows 8192 characters; escaping can triple a byte)."""

# --------------------------------------------------------------------------- fast path

# Safe Browsing treats a host made of digits, dots and 0x-hex numbers as a possible IP address.
_POSSIBLE_IP = re.compile(r"(?:0x[0-9a-f]+|[0-9.])+", re.IGNORECASE)
_POSSIBLE_IP_B = re.compile(rb"(?:0x[0-9a-f]+|[0-9.])+", re.IGNORECASE)


# An already-clean URL: lower-case http(s) scheme; a host of [A-Za-z0-9-] labels (no port, no
# userinfo, no empty label); a path whose segments are non-empty and do not start with '.'
# (so no '//', '/./', '/../'), with a trailing '/' allowed; printable ASCII throughout with no
# '%', '#' or backslash. One C-level match does all the checking. The character classes are
# written as ASCII sets (not negated ones) so that each compiles to a bitmap test.
_SEG_FIRST = r"[!\"$&-\-0->@-\[\]-~]"  # printable ASCII but '#', '%', '.', '/', '?', backslash
_SEG_CHAR = r"[!\"$&-.0->@-\[\]-~]"  # the same and '.'
_QUERY_CHAR = r"[!\"$&-\[\]-~]"  # printable ASCII but '#', '%', backslash
_PATH_AND_QUERY = rf"/(?:{_SEG_FIRST}{_SEG_CHAR}*+/)*+(?:{_SEG_FIRST}{_SEG_CHAR}*+)?+(?:\?{_QUERY_CHAR}*+)?+"
_FAST_URL = re.compile(rf"(https?://)([A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)*+)({_PATH_AND_QUERY})?+")
# The commonest case, a URL that is already canonical: as above, with a path, and a lower-case
# host whose first letter rules out an IP address: the URL is the answer (group 1: its host).
_CANONICAL_URL = re.compile(rf"https?://([a-z][a-z0-9-]*+(?:\.[a-z0-9-]++)*+){_PATH_AND_QUERY}")


def _fast_canonical(url: str) -> str | None:
    """The canonical form of an already-clean URL (see ``_FAST_URL``), or None when the full
    path is needed. Such a URL is canonical once its host is lower-cased and an empty path
    becomes ``/``, unless its host could be read as an IP address; the equivalence with the
    full path is tested over generated URLs. This runs once per URL checked: keep it lean."""
    if _CANONICAL_URL.fullmatch(url) is not None:
        return url
    return _fast_variant(url)


def _fast_variant(url: str) -> str | None:
    """``_fast_canonical`` for a URL known not to be canonical already."""
    m = _FAST_URL.fullmatch(url)
    if m is None:
        return None
    host = m.group(2)
    if host[0] in "0123456789" and _POSSIBLE_IP.fullmatch(host) is not None:
        return None
    lower = host.lower()
    if m.group(3) is None:
        return m.group(1) + lower + "/" + url[m.end(2) :]
    if lower is host or lower == host:
        return url
    return m.group(1) + lower + url[m.end(2) :]


# --------------------------------------------------------------------------- middle path

# The common variants of a clean URL: any-case scheme, userinfo, a host of [A-Za-z0-9_.-] in any
# case with empty labels or trailing dots, a port, '/./', '/../' and '//' in the path, a
# fragment (its text is cut unread).
_MIDDLE_URL = re.compile(
    r"(?:([Hh][Tt][Tt][Pp][Ss]?)://(?:[^\x00-\x20\x7f-\U0010ffff#%\\/?@]*+@)?)?"
    r"([A-Za-z0-9_.-]++)"
    r"(?::([0-9]*+))?"
    rf"([/?]{_QUERY_CHAR}*+)?"
    r"(?:#.*+)?",
    re.DOTALL,
)


_PERCENT_ESCAPE_TEXT = re.compile(r"%[0-9A-Fa-f]{2}")
_PLAIN_ESCAPES: dict[str, str] = {
    f"%{hi}{lo}": chr(int(hi + lo, 16))
    for hi in "0123456789abcdefABCDEF"
    for lo in "0123456789abcdefABCDEF"
    if 0x21 <= int(hi + lo, 16) <= 0x7E and chr(int(hi + lo, 16)) not in "#%\\"
}


def _plain_escape(m: re.Match[str]) -> str:
    return _PLAIN_ESCAPES.get(m.group(), "\x00")


def _middle_canonical(url: str) -> str | None:
    """The canonical form of a URL that is clean but for common variants (see ``_MIDDLE_URL``),
    or None when the full path is needed: a backslash, space, control or non-ASCII character
    before the fragment (written as is or ``%``-escaped, as are '#' and '%'), an IP-like host,
    or no ``http(s)://`` with a userinfo or an empty port, which the full path reads as a
    scheme. Equal to the full path's result: tested over generated URLs.

    ``%XX`` escapes of the other printable characters are decoded first, as the full path
    does (all at once: none of them can make a new escape)."""
    if "%" in url:
        cut = url.find("#")
        # A non-plain escape becomes NUL, which the pattern refuses.
        url = _PERCENT_ESCAPE_TEXT.sub(_plain_escape, url if cut < 0 else url[:cut])
    m = _MIDDLE_URL.fullmatch(url)
    if m is None:
        return None
    scheme, host, port, rest = m.groups()
    if scheme is None:
        if port == "":  # 'a.com:' and 'mailto:x' are schemes to the full path
            return None
        scheme = "http"
    else:
        scheme = scheme.lower()
    if ".." in host:
        host = _UNICODE_DOTS_RUN.sub(".", host)
    host = host.strip(".")
    if not host or (host[0] in "0123456789" and _POSSIBLE_IP.fullmatch(host) is not None):
        return None
    host = host.lower()
    if rest is None:
        return f"{scheme}://{host}/"
    q = rest.find("?")
    path, query = (rest, "") if q < 0 else (rest[:q], rest[q:])
    if "/." in path or "//" in path:
        path = _clean_path_text(path)
    elif not path:
        path = "/"
    return f"{scheme}://{host}{path}{query}"


def _clean_path_text(path: str) -> str:
    """``_clean_path`` for text."""
    segments: list[str] = []
    for seg in path.split("/"):
        if seg == "" or seg == ".":
            continue
        if seg == "..":
            if segments:
                segments.pop()
            continue
        segments.append(seg)
    clean = "/" + "/".join(segments)
    if path.endswith("/") and clean != "/":
        clean += "/"
    return clean


# --------------------------------------------------------------------------- full path

_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPE_TABLE: tuple[str, ...] = tuple(
    f"%{b:02X}" if b <= 0x20 or b >= 0x7F or b in (0x23, 0x25) else chr(b) for b in range(256)
)
_EDGE_JUNK = bytes(range(0x21))  # C0 controls and space, stripped from both ends
_SCHEME = re.compile(rb"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT_AFTER_COLON = re.compile(rb"\d+(?:[/?\\]|$)")
_DOTS = re.compile(rb"\.{2,}")
_WINDOWS_IP = re.compile(rb"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}) ")
_UNICODE_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_UNICODE_DOTS_RUN = re.compile(r"\.{2,}")
_PERCENT_ESCAPE = re.compile(rb"%[0-9A-Fa-f]{2}")


_NEEDS_ESCAPE = re.compile(rb"[\x00-\x20\x7f-\xff#%]")
_REDEX = re.compile(rb"%[0-9A-Fa-f]{2}")
_REDEX_BYTE = {
    f"%{hi}{lo}".encode(): bytes([int(hi + lo, 16)])
    for hi in "0123456789abcdefABCDEF"
    for lo in "0123456789abcdefABCDEF"
}


def _escape(data: bytes) -> str:
    if _NEEDS_ESCAPE.search(data) is None:
        return data.decode("ascii")
    table = _ESCAPE_TABLE
    return "".join([table[b] for b in data])


def _unescape_pass(m: re.Match[bytes]) -> bytes:
    return _REDEX_BYTE[m.group(0)]


def _unescape_fully(data: bytes) -> bytes:
    """Percent-unescape until stable, in one pass.

    ``%XY`` redexes never overlap, so the rewriting is confluent and every strategy reaches the
    same normal form. Two whole-string passes (in C) settle ordinary input; what is left is
    reduced at the end of an output stack, in linear time, where further whole-string passes
    would take quadratic time on inputs like ``%25252525...``.
    """
    if b"%" not in data:
        return data
    for _ in range(2):  # the common cases settle in a pass or two, done in C
        if _REDEX.search(data) is None:
            return data
        data = _REDEX.sub(_unescape_pass, data)
    if _REDEX.search(data) is None:
        return data
    out = bytearray()
    hexd = _HEX
    for c in data:
        out.append(c)
        while len(out) >= 3 and out[-3] == 0x25 and out[-2] in hexd and out[-1] in hexd:
            value = int(out[-2:], 16)
            del out[-3:]
            out.append(value)
    return bytes(out)


def _parse_ip_number(part: bytes) -> int | None:
    if part[:2] in (b"0x", b"0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[:1] == b"0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        return None
    try:
        value = int(digits, base)
    except ValueError:
        return None
    return value if value < 2**32 else None


def _canonical_ipv4(host: bytes) -> bytes | None:
    """Safe Browsing's IPv4 reading: 1-4 parts, each decimal, octal or hex; the last part fills
    the remaining bytes; as in the reference implementation, each part is reduced to the bytes
    it occupies (``276.2.3`` -> ``20.2.0.3``)."""
    if len(host) <= 15:
        m = _WINDOWS_IP.match(host)
        if m is not None:
            host = m.group(1)
    if _POSSIBLE_IP_B.fullmatch(host) is None:
        return None
    parts = host.split(b".")
    if len(parts) > 4:
        return None
    octets: list[int] = []
    for i, part in enumerate(parts):
        value = _parse_ip_number(part)
        if value is None:
            return None
        width = 5 - len(parts) if i == len(parts) - 1 else 1
        octets.extend((value >> (8 * k)) & 0xFF for k in range(width - 1, -1, -1))
    return ".".join(str(o) for o in octets).encode()


def _idn_label_fallback(label: str) -> bytes:
    try:
        return idna.encode(label, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:
        mapped = idna.uts46_remap(label, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        mapped = unicodedata.normalize("NFKC", label)
    mapped = mapped.lower()
    if mapped.isascii():
        return mapped.encode()
    if all(_is_name_char(ch) for ch in mapped):
        return b"xn--" + mapped.encode("punycode")
    return label.encode("utf-8", "surrogatepass")  # not a name: left as bytes, escaped later


def _idn_to_ascii(host: bytes) -> bytes:
    try:
        text = host.decode("utf-8")
    except UnicodeDecodeError:
        return host  # not text: stays bytes and is escaped
    text = _UNICODE_DOTS_RUN.sub(".", text.translate(_UNICODE_DOTS)).strip(".")
    try:
        return idna.encode(text, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    return b".".join(_idn_label_fallback(label) for label in text.split("."))


def _is_name_char(ch: str) -> bool:
    """Letters, digits, marks, symbols (emoji), '-' and '_': what a punycoded label may hold.

    Anything else ('%', controls, spaces...) keeps the label as escaped bytes, which keeps the
    canonical form a fixed point (a punycoded '%' would unescape differently next time)."""
    if ch.isalnum() or ch in "-_":
        return True
    category = unicodedata.category(ch)
    return category[0] == "M" or category == "So"


def _clean_dots(host: bytes) -> bytes:
    if b".." in host:
        host = _DOTS.sub(b".", host)
    return host.strip(b".")


def _canonical_host(hostport: bytes, original: str) -> bytes:
    if hostport.startswith(b"["):
        end = hostport.find(b"]")
        if end < 0:
            raise InvalidURL(f"invalid IPv6 host (missing ']'): {original!r}")
        rest = hostport[end + 1 :]
        if rest and not ((rest[:1] == b":" and rest[1:].isdigit()) or rest == b":"):
            raise InvalidURL(f"invalid port in URL: {original!r}")
        try:
            address = ipaddress.IPv6Address(hostport[1:end].decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidURL(f"invalid IPv6 host in URL: {original!r}") from None
        return b"[" + address.compressed.encode() + b"]"
    host, colon, port = hostport.rpartition(b":")
    if not colon:
        host = hostport
    elif port and not port.isdigit():
        raise InvalidURL(f"invalid port in URL: {original!r}")
    if b":" in host:
        raise InvalidURL(f"invalid host (stray ':') in URL: {original!r}")
    if b"[" in host or b"]" in host:
        raise InvalidURL(f"invalid host ('[' or ']' outside an IPv6 literal) in URL: {original!r}")
    while True:
        host = _clean_dots(host)
        if not host.isascii():
            host = _clean_dots(_idn_to_ascii(host))
        ip = _canonical_ipv4(host)
        if ip is not None:
            return ip
        host = host.lower()
        # IDNA mapping drops characters (zero-width spaces...), which can bring a '%' next to two
        # hex digits; unescape again so that the canonical form stays a fixed point. Each round
        # shortens the host, so this ends.
        if _PERCENT_ESCAPE.search(host) is None:
            return host
        host = _unescape_fully(host)


def _canonicalize_full(raw: bytes, original: str) -> str:
    data = raw.strip(_EDGE_JUNK)
    if b"\t" in data or b"\r" in data or b"\n" in data:
        data = data.replace(b"\t", b"").replace(b"\r", b"").replace(b"\n", b"")
    data = data.split(b"#", 1)[0]
    data = _unescape_fully(data)

    scheme = b"http"
    m = _SCHEME.match(data)
    if m is not None and _PORT_AFTER_COLON.match(data, m.end()) is None:
        scheme = m.group(1).lower()
        if scheme not in (b"http", b"https"):
            shown = scheme.decode("ascii", "replace")
            raise InvalidURL(f"unsupported URL scheme {shown!r}: only http and https URLs are accepted")
        rest = data[m.end() :].lstrip(b"/\\")
    elif data.startswith((b"//", b"\\\\")):
        rest = data.lstrip(b"/\\")  # scheme-relative: //host/path
    else:
        rest = data

    q = rest.find(b"?")
    if q >= 0:
        before, query = rest[:q], rest[q + 1 :]
    else:
        before, query = rest, None
    if b"\\" in before:
        before = before.replace(b"\\", b"/")
    slash = before.find(b"/")
    if slash >= 0:
        authority, path = before[:slash], before[slash:]
    else:
        authority, path = before, b""
    hostport = authority.rpartition(b"@")[2]
    host = _canonical_host(hostport, original)
    if not host:
        raise InvalidURL(f"URL has no host: {original!r}")

    out = [scheme.decode(), "://", _escape(host), _escape(_clean_path(path))]
    if query is not None:
        out.append("?")
        out.append(_escape(query))
    return "".join(out)


def _clean_path(path: bytes) -> bytes:
    if not path:
        return b"/"
    segments: list[bytes] = []
    for seg in path.split(b"/"):
        if seg == b"" or seg == b".":
            continue
        if seg == b"..":
            if segments:
                segments.pop()
            continue
        segments.append(seg)
    clean = b"/" + b"/".join(segments)
    if path.endswith(b"/") and clean != b"/":
        clean += b"/"
    return clean


def _canonicalize_text(url: str) -> str:
    """The full path for a ``str`` (callers that already tried the fast path use this)."""
    if len(url) > MAX_URL_CHARS:
        raise InvalidURL(f"URL is longer than {MAX_URL_CHARS} characters")
    try:
        raw = url.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = url.encode("utf-8", "surrogatepass")
    return _canonicalize_full(raw, url[:200])


def _canonicalize_rest(url: str) -> str:
    """The middle path, else the full path (for callers that already tried the fast path)."""
    if len(url) <= MAX_URL_CHARS:
        middle = _middle_canonical(url)
        if middle is not None:
            return middle
    return _canonicalize_text(url)


def canonicalize(url: str | bytes) -> str:
    """The Safe Browsing canonical form of ``url`` (see the module docstring).

    ``url`` may be ``bytes`` (raw bytes are escaped as they are, e.g. ``b"http://\\x01\\x80.com/"``
    -> ``"http://%01%80.com/"``); a ``str`` is read as UTF-8. Raises :class:`InvalidURL` for a
    scheme other than http/https, a missing or malformed host, or an over-long input.
    """
    if isinstance(url, str):
        fast = _fast_canonical(url) if len(url) <= MAX_URL_CHARS else None
        return fast if fast is not None else _canonicalize_rest(url)
    if isinstance(url, bytes | bytearray):
        if len(url) > MAX_URL_CHARS:
            raise InvalidURL(f"URL is longer than {MAX_URL_CHARS} bytes")
        return _canonicalize_full(bytes(url), bytes(url[:200]).decode("utf-8", "replace"))
    raise InvalidURL(f"a URL must be text, not {type(url).__name__}")


def canonical_cache(maxsize: int) -> Callable[[str], str]:
    """:func:`canonicalize` behind a bounded LRU cache of the last ``maxsize`` distinct URLs.

    Worth it where URLs repeat (a viral link is checked many times): a hit costs one hash
    probe. Errors are not cached. Each cache is private to its caller and thread-safe; it holds
    URLs in memory only (never logged). Raises :class:`InvalidInput` for a bad ``maxsize``."""
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise InvalidInput(f"a canonical-form cache needs a positive integer size, not {maxsize!r}")
    return functools.lru_cache(maxsize=maxsize)(canonicalize)


# --------------------------------------------------------------------------- canonical parts

_IPV4_CANONICAL = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")


def split_canonical(canonical: str) -> tuple[str, str, str, str | None]:
    """``(scheme, host, path, query)`` of a canonical URL (``query`` is None without ``?``).

    The input is canonicalized first (a no-op on canonical input)."""
    canonical = canonicalize(canonical)
    scheme_end = canonical.index("://")
    host_start = scheme_end + 3
    path_start = canonical.index("/", host_start)
    q = canonical.find("?", path_start)
    path = canonical[path_start:] if q < 0 else canonical[path_start:q]
    query = None if q < 0 else canonical[q + 1 :]
    return canonical[:scheme_end], canonical[host_start:path_start], path, query


def is_ip_host(host: str) -> bool:
    """True for a canonical IPv4 dotted quad or a bracketed IPv6 literal."""
    return host.startswith("[") or _IPV4_CANONICAL.fullmatch(host) is not None


_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def is_host_name(host: str) -> bool:
    """True for a canonical host that can name a real server: an IP address, or DNS labels of
    letters, digits, ``-`` and ``_`` (IDNs punycoded). Canonicalization keeps anything else
    escaped (``not%20a%20url``), which matches nothing anyone can link to."""
    if is_ip_host(host):
        return True
    if not host or len(host) > 253:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in host.split("."))


def host_of(canonical: str) -> str:
    """The canonical host of a URL (``http://WWW.Example.com./x`` -> ``www.example.com``)."""
    return split_canonical(canonical)[1]


_MAX_HOST_SUFFIXES = 4
_MAX_PATH_PREFIXES = 4


def lookup_expressions(canonical: str) -> list[str]:
    """The Safe Browsing host-suffix/path-prefix expressions of a URL, in the spec's order.

    Hosts: the exact host, then up to 4 hosts formed from the last 5 components by successively
    removing the leading one (never the top-level domain alone; none for IP addresses).
    Paths: the path with query, the path without query, then up to 4 prefixes from ``/``
    adding one component at a time (each with a trailing ``/``).
    """
    _, host, path, query = split_canonical(canonical)
    hosts = [host]
    if not is_ip_host(host):
        labels = host.split(".")
        n = len(labels)
        first = max(1, n - (_MAX_HOST_SUFFIXES + 1))
        hosts.extend(".".join(labels[i:]) for i in range(first, n - 1))
    paths: list[str] = []
    if query:
        paths.append(f"{path}?{query}")
    paths.append(path)
    components = [c for c in path.split("/") if c]
    paths.append("/")
    for i in range(1, min(len(components), _MAX_PATH_PREFIXES)):
        paths.append("/" + "/".join(components[:i]) + "/")
    seen: set[str] = set()
    out: list[str] = []
    for h in hosts:
        for p in paths:
            expr = h + p
            if expr not in seen:
                seen.add(expr)
                out.append(expr)
    return out


# --------------------------------------------------------------------------- URLs in text

# Top-level domains accepted for bare forms (no scheme, no ``www.``). ccTLDs are ISO 3166 plus
# the usual exceptional ones; gTLDs are the common ones plus the reserved test names.
_CCTLDS = frozenset(
    [
        "ac", "ad", "ae", "af", "ag", "ai", "al", "am", "ao", "aq", "ar", "as", "at", "au", "aw", "ax",
        "az", "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn", "bo", "bq", "br", "bs",
        "bt", "bw", "by", "bz", "ca", "cc", "cd", "cf", "cg", "ch", "ci", "ck", "cl", "cm", "cn", "co",
        "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz", "ec", "ee", "eg",
        "eh", "er", "es", "et", "eu", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gb", "gd", "ge", "gf",
        "gg", "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw", "gy", "hk", "hm",
        "hn", "hr", "ht", "hu", "id", "ie", "il", "im", "in", "io", "iq", "ir", "is", "it", "je", "jm",
        "jo", "jp", "ke", "kg", "kh", "ki", "km", "kn", "kp", "kr", "kw", "ky", "kz", "la", "lb", "lc",
        "li", "lk", "lr", "ls", "lt", "lu", "lv", "ly", "ma", "mc", "md", "me", "mg", "mh", "mk", "ml",
        "mm", "mn", "mo", "mp", "mq", "mr", "ms", "mt", "mu", "mv", "mw", "mx", "my", "mz", "na", "nc",
        "ne", "nf", "ng", "ni", "nl", "no", "np", "nr", "nu", "nz", "om", "pa", "pe", "pf", "pg", "ph",
        "pk", "pl", "pm", "pn", "pr", "ps", "pt", "pw", "py", "qa", "re", "ro", "rs", "ru", "rw", "sa",
        "sb", "sc", "sd", "se", "sg", "sh", "si", "sk", "sl", "sm", "sn", "so", "sr", "ss", "st", "su",
        "sv", "sx", "sy", "sz", "tc", "td", "tf", "tg", "th", "tj", "tk", "tl", "tm", "tn", "to", "tr",
        "tt", "tv", "tw", "tz", "ua", "ug", "uk", "us", "uy", "uz", "va", "vc", "ve", "vg", "vi", "vn",
        "vu", "wf", "ws", "ye", "yt", "za", "zm", "zw"
    ]
)
_CORE_GTLDS = frozenset(
    [
        "com", "net", "org", "info", "biz", "gov", "edu", "mil", "int", "name", "pro", "app", "dev", "page",
        "xyz", "online", "site", "top", "shop", "news", "blog", "media", "tech", "cloud", "live", "website",
        "example", "test", "localhost", "onion"
    ]
)
_MORE_GTLDS = frozenset(
    [
        "aero", "asia", "cat", "coop", "jobs", "mobi", "museum", "post", "tel", "travel", "xxx", "store",
        "space", "link", "click", "email", "digital", "network", "world", "today", "life", "agency",
        "group", "law", "press", "wiki", "social", "video", "art", "design", "studio", "center", "company",
        "solutions", "services", "support", "global", "academy", "systems", "technology", "software",
        "games", "finance", "money", "bank", "health", "care", "icu", "vip", "work", "fun", "pub", "win",
        "bid", "loan", "men", "party", "review", "stream", "download", "science", "ink", "one", "zone",
        "lol", "mom", "porn", "sex", "adult", "zip", "mov", "club", "invalid"
    ]
)
# ccTLDs/gTLDs that are also common file extensions: a bare ``setup.py`` or ``notes.zip`` in
# prose is a file name, so these need a path (``leaks.zip/x``), ``www.`` or a scheme.
_FILE_LIKE_TLDS = frozenset(
    [
        "py", "md", "sh", "pl", "rs", "cc", "so", "ps", "pm", "mk", "ml", "tf", "sc", "zip", "mov"
    ]
)
_ALL_TLDS = _CCTLDS | _CORE_GTLDS | _MORE_GTLDS
_BARE_TLDS_WITHOUT_PATH = (_CCTLDS | _CORE_GTLDS) - _FILE_LIKE_TLDS

_URL_CHAR = r"[^\s<>\"'`{}|\\^\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
_URL_IN_TEXT = re.compile(
    rf"(?P<scheme>https?://{_URL_CHAR}+)"
    rf"|(?P<www>(?<![\w.@/-])www\.{_URL_CHAR}+)"
    r"|(?P<bare>(?<![\w.@/:%-])"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,24})(?![\w-])"
    rf"(?::\d{{1,5}})?(?P<tail>[/?]{_URL_CHAR}*)?)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"»›)]}>،؛؟…。۔"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


class UrlSpan(NamedTuple):
    """A URL found in text: ``text[start:end] == url``."""

    start: int
    end: int
    url: str


def _trim(candidate: str) -> str:
    while candidate and candidate[-1] in _TRAILING:
        last = candidate[-1]
        opener = _CLOSERS.get(last)
        if opener is not None and candidate.count(opener) >= candidate.count(last):
            break  # balanced: part of the URL, e.g. /wiki/Foo_(bar)
        candidate = candidate[:-1]
    return candidate


def find_urls(text: str) -> list[UrlSpan]:
    """Every URL in ``text`` with its span, in order (duplicates kept).

    Recognizes ``http(s)://`` URLs, ``www.`` forms and bare ``host.tld/path`` forms. A bare host
    needs a known top-level domain, so ``e.g.``, ``3.5`` or ``file.txt`` are not URLs; file-like
    TLDs (``.py``, ``.md``, ``.zip``...) need a path. Trailing punctuation (including Arabic
    ``،`` ``؛`` ``؟``) and unbalanced closing brackets are not part of a URL. Candidates that do not
    canonicalize are dropped.
    """
    if not isinstance(text, str):
        raise InvalidURL(f"text must be a string, not {type(text).__name__}")
    found: list[UrlSpan] = []
    for m in _URL_IN_TEXT.finditer(text):
        candidate = _trim(m.group(0))
        if m.group("bare") is not None:
            has_tail = len(candidate) > m.end("tld") - m.start() and candidate[-1] != ":"
            allowed = _ALL_TLDS if has_tail else _BARE_TLDS_WITHOUT_PATH
            if m.group("tld").lower() not in allowed:
                continue
        if candidate.lower().rstrip("/") in ("http:", "https:", "www"):
            continue
        try:
            canonicalize(candidate)
        except InvalidURL:
            continue
        start = m.start()
        found.append(UrlSpan(start, start + len(candidate), candidate))
    return found


def extract_urls(text: str) -> list[str]:
    """The URLs in ``text`` as written, in order of first appearance, without duplicates.

    Bare forms are returned as written (``newsletter.example/p/x``); :func:`canonicalize` adds
    the ``http://`` scheme."""
    seen: set[str] = set()
    out: list[str] = []
    for span in find_urls(text):
        if span.url not in seen:
            seen.add(span.url)
            out.append(span.url)
    return out
