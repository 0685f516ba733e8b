"""Safe Browsing canonicalization, lookup expressions and URL extraction (leakwarden.links.url)."""

from __future__ import annotations

import random

import pytest

from leakwarden.errors import InvalidInput, InvalidURL
from leakwarden.links.url import (
    _canonicalize_full,
    _fast_canonical,
    _middle_canonical,
    _unescape_fully,
    canonical_cache,
    canonicalize,
    extract_urls,
    find_urls,
    host_of,
    is_ip_host,
    lookup_expressions,
)

# The test vectors published with the Safe Browsing Update API (v4), "URLs and Hashing".
# The spec works on bytes: its "http://\x01\x80.com/" is passed here as bytes.
SPEC_VECTORS: list[tuple[str | bytes, str]] = [
    ("http://host/%25%32%35", "http://host/%25"),
    ("http://host/%25%32%35%25%32%35", "http://host/%25%25"),
    ("http://host/%2525252525252525", "http://host/%25"),
    ("http://host/asdf%25%32%35asd", "http://host/asdf%25asd"),
    ("http://host/%%%25%32%35asd%%", "http://host/%25%25%25asd%25%25"),
    ("http://www.google.com/", "http://www.google.com/"),
    (
        "http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/",
        "http://168.188.99.26/.secure/www.ebay.com/",
    ),
    (
        "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/",
        "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/",
    ),
    (
        "http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B",
        "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+",
    ),
    ("http://3279880203/blah", "http://195.127.0.11/blah"),
    ("http://www.google.com/blah/..", "http://www.google.com/"),
    ("www.google.com/", "http://www.google.com/"),
    ("www.google.com", "http://www.google.com/"),
    ("http://www.evil.com/blah#frag", "http://www.evil.com/blah"),
    ("http://www.GOOgle.com/", "http://www.google.com/"),
    ("http://www.google.com.../", "http://www.google.com/"),
    ("http://www.google.com/foo\tbar\rbaz\n2", "http://www.google.com/foobarbaz2"),
    ("http://www.google.com/q?", "http://www.google.com/q?"),
    ("http://www.google.com/q?r?", "http://www.google.com/q?r?"),
    ("http://www.google.com/q?r?s", "http://www.google.com/q?r?s"),
    ("http://evil.com/foo#bar#baz", "http://evil.com/foo"),
    ("http://evil.com/foo;", "http://evil.com/foo;"),
    ("http://evil.com/foo?bar;", "http://evil.com/foo?bar;"),
    (b"http://\x01\x80.com/", "http://%01%80.com/"),
    ("http://notrailingslash.com", "http://notrailingslash.com/"),
    ("http://www.gotaport.com:1234/", "http://www.gotaport.com/"),
    ("  http://www.google.com/  ", "http://www.google.com/"),
    ("http:// leadingspace.com/", "http://%20leadingspace.com/"),
    ("http://%20leadingspace.com/", "http://%20leadingspace.com/"),
    ("%20leadingspace.com/", "http://%20leadingspace.com/"),
    ("https://www.securesite.com/", "https://www.securesite.com/"),
    ("http://host.com/ab%23cd", "http://host.com/ab%23cd"),
    ("http://host.com//twoslashes?more//slashes", "http://host.com/twoslashes?more//slashes"),
]

# More vectors from Google's reference client (google/safebrowsing urls_test.go), with the query
# kept as the v4 spec asks, and escapes in upper-case hex as in the spec's own vectors.
REFERENCE_VECTORS: list[tuple[str | bytes, str]] = [
    ("http://some%1bhost.com/%1b", "http://some%1Bhost.com/%1B"),
    (b"http://www.\xc3\xbcmlat.com/", "http://www.xn--mlat-zra.com/"),
    ("http://www.ümlat.com/", "http://www.xn--mlat-zra.com/"),
    ("http://[2001:470:1:18::114]/", "http://[2001:470:1:18::114]/"),
    ("http%3A%2F%2Fwackyurl.com:80/", "http://wackyurl.com/"),
    ("http://W!eird<>Ho$^.com/", "http://w!eird<>ho$^.com/"),
    ("http://i.have.way.too.many.dots.com/", "http://i.have.way.too.many.dots.com/"),
    ("http://www.google.com/q?r?s%3F", "http://www.google.com/q?r?s?"),
    ("http://google.com.:8080/foo.html", "http://google.com/foo.html"),
    ("http://google...com/foo.html", "http://google.com/foo.html"),
    ("http://..google.com/foo.html", "http://google.com/foo.html"),
    ("http://0x12.0x43.0x44.0x01", "http://18.67.68.1/"),
    ("http://192.168.0.1:80/index.html", "http://192.168.0.1/index.html"),
    ("http://a.com/foo/.././bar/./../foo.html", "http://a.com/foo.html"),
    ("http://a.com/a/b/", "http://a.com/a/b/"),
    ("http://a.com//a//b///c////", "http://a.com/a/b/c/"),
    ("www.google.com:8080/foo.html", "http://www.google.com/foo.html"),
    ("www.google.com:80", "http://www.google.com/"),
]

# What the brief and the platform need beyond the published vectors.
EXTRA_VECTORS: list[tuple[str | bytes, str]] = [
    ("HTTP://WWW.Example.COM:80/A/./b/../C#Frag", "http://www.example.com/A/C"),
    ("https://example.com:443/x", "https://example.com/x"),
    ("http://user:secret@example.com/x", "http://example.com/x"),
    ("http://a@b@example.com/", "http://example.com/"),
    ("http://0x7f.1/", "http://127.0.0.1/"),
    ("http://127.1/", "http://127.0.0.1/"),
    ("http://017700000001/", "http://127.0.0.1/"),
    ("http://0x7F000001/", "http://127.0.0.1/"),
    ("http://0177.0.0.01/", "http://127.0.0.1/"),
    ("http://bücher.example/Straße", "http://xn--bcher-kva.example/Stra%C3%9Fe"),
    ("http://BÜCHER.example/", "http://xn--bcher-kva.example/"),
    ("http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/"),
    ("http://مثال.السعودية/ملف", "http://xn--mgbh0fb.xn--mgberp4a5d4ar/%D9%85%D9%84%D9%81"),
    ("http://www.foo。bar.com/", "http://www.foo.bar.com/"),
    ("http://💩.la/", "http://xn--ls8h.la/"),  # idna refuses emoji: punycode fallback, as browsers do
    ("newsletter.example/p/x", "http://newsletter.example/p/x"),
    ("//cdn.example/lib.js", "http://cdn.example/lib.js"),
    ("http:/one-slash.example/x", "http://one-slash.example/x"),
    ("http:\\\\back.example\\a\\b?c\\d", "http://back.example/a/b?c\\d"),
    ("http:///three-slashes.example/", "http://three-slashes.example/"),
    ("http://a.com/%2e%2e/%2E/x", "http://a.com/x"),
    ("http://a.com/a%2Fb", "http://a.com/a/b"),
    ("http://a.com/p?q=%41&r=%20s#f", "http://a.com/p?q=A&r=%20s"),
    ("http://a.com/p?x=é", "http://a.com/p?x=%C3%A9"),
    ("http://a.com?x", "http://a.com/?x"),
    ("http://[2001:DB8:0:0::1]:8080/a", "http://[2001:db8::1]/a"),
    ("http://10.192.95.89 xy/", "http://10.192.95.89/"),
    ("http://123.123.0.0.1/", "http://123.123.0.0.1/"),  # five parts: a name, not an IP
    ("http://1.2.3.00x0/", "http://1.2.3.00x0/"),
    ("http://276.2.3/", "http://20.2.0.3/"),
    ("http://012.034.01.055/", "http://10.28.1.45/"),
    ("http://4294967295/", "http://255.255.255.255/"),
    ("http://4294967296/", "http://4294967296/"),  # too large for IPv4: a name
    ("http://a.com:/x", "http://a.com/x"),
    ("http://\x01\x80.com/", "http://%01%C2%80.com/"),  # str: U+0080 is UTF-8 C2 80
    ("\x00 http://a.com/ \x1f", "http://a.com/"),
]


@pytest.mark.parametrize(("url", "expected"), SPEC_VECTORS + REFERENCE_VECTORS + EXTRA_VECTORS)
def test_canonicalize(url: str | bytes, expected: str) -> None:
    assert canonicalize(url) == expected


@pytest.mark.parametrize(("url", "expected"), SPEC_VECTORS + REFERENCE_VECTORS + EXTRA_VECTORS)
def test_canonical_form_is_a_fixed_point(url: str | bytes, expected: str) -> None:
    assert canonicalize(expected) == expected


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("", "no host"),
        (":", "no host"),
        ("/blah", "no host"),
        ("#ref", "no host"),
        ("/blah#ref", "no host"),
        ("?query#ref", "no host"),
        ("/blah?query#ref", "no host"),
        ("/blah;param", "no host"),
        ("http://#ref", "no host"),
        ("http://?query#ref", "no host"),
        ("http://user@/x", "no host"),
        ("http://.../x", "no host"),
        ("mailto:bryner@google.com", "scheme 'mailto'"),
        ("ftp://ftp.myfiles.com/", "scheme 'ftp'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("data:text/html,hello", "scheme 'data'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("http://[::1/", "IPv6"),
        ("http://[zz::1]/", "IPv6"),
        ("http://[::1]x/", "port"),
        ("http://a.com:8o/", "port"),
        ("http://a.com:80:80/", "':'"),
        ("http://a.com/" + "x" * 20_000, "longer than"),
        (b"http://a.com/" + b"x" * 20_000, "longer than"),
    ],
)
def test_invalid_urls_raise_a_clear_error(url: str | bytes, needle: str) -> None:
    with pytest.raises(InvalidURL) as caught:
        canonicalize(url)
    assert needle in caught.value.message
    assert caught.value.code == "invalid_url"
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize("value", [None, 42, ["http://a.com/"]])
def test_non_text_is_invalid(value: object) -> None:
    with pytest.raises(InvalidURL, match="must be text"):
        canonicalize(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The spec's examples, in the spec's order.
        (
            "http://a.b.c/1/2.html?param=1",
            [
                "a.b.c/1/2.html?param=1",
                "a.b.c/1/2.html",
                "a.b.c/",
                "a.b.c/1/",
                "b.c/1/2.html?param=1",
                "b.c/1/2.html",
                "b.c/",
                "b.c/1/",
            ],
        ),
        (
            "http://a.b.c.d.e.f.g/1.html",
            [
                "a.b.c.d.e.f.g/1.html",
                "a.b.c.d.e.f.g/",
                "c.d.e.f.g/1.html",
                "c.d.e.f.g/",
                "d.e.f.g/1.html",
                "d.e.f.g/",
                "e.f.g/1.html",
                "e.f.g/",
                "f.g/1.html",
                "f.g/",
            ],
        ),
        ("http://1.2.3.4/1/", ["1.2.3.4/1/", "1.2.3.4/"]),
        # From the reference client's tests.
        (
            "http://a.b.c/1/2/3/4/5/",
            [
                "a.b.c/1/2/3/4/5/",
                "a.b.c/",
                "a.b.c/1/",
                "a.b.c/1/2/",
                "a.b.c/1/2/3/",
                "b.c/1/2/3/4/5/",
                "b.c/",
                "b.c/1/",
                "b.c/1/2/",
                "b.c/1/2/3/",
            ],
        ),
        ("http://a.b/?", ["a.b/"]),
        ("http://b/", ["b/"]),
        (
            "http://[2001:470:1:18::114]/a/b",
            ["[2001:470:1:18::114]/a/b", "[2001:470:1:18::114]/", "[2001:470:1:18::114]/a/"],
        ),
        ("HTTP://A.B.C./1/../2.html#x", ["a.b.c/2.html", "a.b.c/", "b.c/2.html", "b.c/"]),
    ],
)
def test_lookup_expressions(url: str, expected: list[str]) -> None:
    assert lookup_expressions(url) == expected


@pytest.mark.parametrize(
    ("url", "host", "is_ip"),
    [
        ("http://WWW.Example.com./x", "www.example.com", False),
        ("newsletter.example/p/x", "newsletter.example", False),
        ("http://3279880203/", "195.127.0.11", True),
        ("http://[::1]:80/", "[::1]", True),
        ("https://user@bücher.example:443/", "xn--bcher-kva.example", False),
    ],
)
def test_host_of(url: str, host: str, is_ip: bool) -> None:
    assert host_of(url) == host
    assert is_ip_host(host) is is_ip


def test_host_of_invalid_url_raises() -> None:
    with pytest.raises(InvalidURL):
        host_of("mailto:a@b.c")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.com/a?b=1 now", ["https://example.com/a?b=1"]),
        ("HTTPS://Example.com/X.", ["HTTPS://Example.com/X"]),
        ("read newsletter.example/p/dossier.", ["newsletter.example/p/dossier"]),
        ("mirror at www.leaks.test, copy", ["www.leaks.test"]),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar))", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("[the pdf](https://files.example/d.pdf)", ["https://files.example/d.pdf"]),
        ("<https://a.example/x>", ["https://a.example/x"]),
        ('"https://a.example/x"', ["https://a.example/x"]),
        ("الملف هنا: https://newsletter.example/p/x، ثم اقرأ", ["https://newsletter.example/p/x"]),
        ("رابط‏newsletter.example/p/x؟", ["newsletter.example/p/x"]),
        ("نسخة على dossier-leak.com/files/a.pdf؛ وأخرى", ["dossier-leak.com/files/a.pdf"]),
        ("https://ar.wikipedia.org/wiki/مصر هنا", ["https://ar.wikipedia.org/wiki/مصر"]),
        ("e.g. this, i.e. that, version 3.5 and 1.2.3", []),
        ("open file.txt and notes.docx then run setup.py or README.md", []),
        ("download leaks.zip/files/a or notes.zip", ["leaks.zip/files/a"]),
        ("mail me: reporter@example.com", []),
        ("visit Example.COM or example.org/x!", ["Example.COM", "example.org/x"]),
        ("a.com/x a.com/x https://a.com/x", ["a.com/x", "https://a.com/x"]),
        ("http:// and https:// alone", []),
        ("host with port localhost.test:8080/x ok", ["localhost.test:8080/x"]),
        ("ftp://files.example/x is not http", []),
        ("", []),
    ],
)
def test_extract_urls(text: str, expected: list[str]) -> None:
    assert extract_urls(text) == expected


def test_find_urls_gives_spans_into_the_text() -> None:
    text = "انظر https://a.example/x، و b.example/y."
    spans = find_urls(text)
    assert [s.url for s in spans] == ["https://a.example/x", "b.example/y"]
    for span in spans:
        assert text[span.start : span.end] == span.url


def test_extract_urls_rejects_non_text() -> None:
    with pytest.raises(InvalidURL):
        extract_urls(b"https://a.com/")  # type: ignore[arg-type]


# ----------------------------------------------------------------- fast path == full path

_CLEAN_PATH_CHARS = "abcXYZ019-._~!$&'()*+,;=:@/"
_MESSY_PIECES = [
    "%2e", "%2E%2e", "%25", "%41", "%zz", "%", "..", ".", "", "é", " ", "\\", "#f", "?", "%3F", "%23",
]


def _clean_url(rng: random.Random) -> str:
    scheme = rng.choice(["http://", "https://"])
    label_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
    labels = ["".join(rng.choices(label_chars, k=rng.randint(1, 8))) for _ in range(rng.randint(1, 4))]
    url = scheme + ".".join(labels)
    if rng.random() < 0.9:
        url += "/" + "".join(rng.choices(_CLEAN_PATH_CHARS, k=rng.randint(0, 30)))
    if rng.random() < 0.4:
        url += "?" + "".join(rng.choices(_CLEAN_PATH_CHARS + "?\\", k=rng.randint(0, 20)))
    return url


def _messy_url(rng: random.Random) -> str:
    url = _clean_url(rng)
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(url))
        url = url[:at] + rng.choice(_MESSY_PIECES) + url[at:]
    if rng.random() < 0.3:
        url = url.replace("http", "HTTP", 1)
    if rng.random() < 0.2:
        url = url.replace("://", "://0x7f.", 1)
    return url


def test_fast_path_matches_full_path_on_generated_urls() -> None:
    rng = random.Random(20240601)
    fast_used = 0
    total = 6000
    for i in range(total):
        url = _clean_url(rng) if i % 2 == 0 else _messy_url(rng)
        try:
            expected = _canonicalize_full(url.encode("utf-8"), url)
        except InvalidURL:
            assert _fast_canonical(url) is None
            with pytest.raises(InvalidURL):
                canonicalize(url)
            continue
        fast = _fast_canonical(url)
        if fast is not None:
            fast_used += 1
            assert fast == expected, url
        assert canonicalize(url) == expected, url
        assert canonicalize(expected) == expected, url
    # Both paths must really have been exercised for the comparison to mean anything.
    assert total * 0.25 < fast_used < total * 0.75


@pytest.mark.parametrize(
    "url",
    ["http://a.com/x", "https://A.Example.com/p/q?x=1&y=/a", "http://a.com", "http://a-b.c/?", "http://x/~u!$&'()*+,;=:@"],
)
def test_fast_path_takes_clean_urls(url: str) -> None:
    assert _fast_canonical(url) == _canonicalize_full(url.encode(), url)


@pytest.mark.parametrize(
    "url",
    ["http://a.com/./x", "http://a.com//x", "http://1.2.3.4/", "http://a.com:80/", "http://a.com/%41",
     "HTTP://a.com/", "http://a.com/x#f", "http://é.com/", "http://u@a.com/", "http://a.com/a\\b", "http://a.com./"],
)
def test_fast_path_declines_urls_needing_work(url: str) -> None:
    assert _fast_canonical(url) is None


def _unescape_by_passes(data: bytes) -> bytes:
    """The spec's definition, literally: unescape whole passes until nothing changes."""
    hexdigits = set(b"0123456789abcdefABCDEF")
    while True:
        out = bytearray()
        i = 0
        while i < len(data):
            if data[i] == 0x25 and i + 2 < len(data) and {data[i + 1], data[i + 2]} <= hexdigits:
                out.append(int(data[i + 1 : i + 3], 16))
                i += 3
            else:
                out.append(data[i])
                i += 1
        if out == data:
            return data
        data = bytes(out)


def test_single_pass_unescape_equals_repeated_passes() -> None:
    rng = random.Random(7)
    alphabet = [b"%", b"2", b"5", b"3", b"4", b"1", b"a", b"F", b"x", b"%25", b"%32", b"%35"]
    for _ in range(3000):
        data = b"".join(rng.choices(alphabet, k=rng.randint(0, 14)))
        assert _unescape_fully(data) == _unescape_by_passes(data), data


def test_deeply_escaped_input_unescapes_to_one_percent() -> None:
    url = "http://host/%" + "25" * 5000
    assert canonicalize(url) == "http://host/%25"


_HOSTILE_PIECES = [
    "%2e", "%25", "%41", "%zz", "%", "..", ".", "é", " ", "\\", "#f", "?", "%3F", "@", ":80", "[", "]",
    "ü", "。", "💩", "%C3", "%A9", "\t", "\x00", "%2F", "//", "/./", "0x", "12", "\u200b", "%E2%80%8B",
    "Ｇ", "xn--", "&", "\udc80", "\x7f",
]


def test_canonical_form_is_a_fixed_point_on_hostile_input() -> None:
    # Zero-width characters dropped by IDNA between '%' and hex digits, stray brackets, lone
    # surrogates, controls: the result must canonicalize to itself or the input must be refused.
    rng = random.Random(99)
    accepted = 0
    for _ in range(8000):
        prefix = rng.choice(["http://", "https://", "", "HTTP://", "//", "http:"])
        url = prefix + "".join(rng.choices([*_HOSTILE_PIECES, *"abcxyz019./"], k=rng.randint(0, 14)))
        try:
            canonical = canonicalize(url)
        except InvalidURL:
            continue
        accepted += 1
        assert canonicalize(canonical) == canonical, url
    assert accepted > 4000


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://%25\u200b41.example/", "http://a.example/"),
        ("http://a%E2%80%8B.example/", "http://a.example/"),
        ("http://129.\u200b。/", "http://0.0.0.129/"),
        ("http://..[/x", None),
    ],
)
def test_idna_removals_do_not_break_the_fixed_point(url: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidURL):
            canonicalize(url)
    else:
        assert canonicalize(url) == expected
        assert canonicalize(expected) == expected


# --------------------------------------------------------------- middle path == full path

_VARIANT_PERCENT = [
    "%41", "%2e", "%2E%2e", "%2F", "%3F", "%3A", "%7e", "%23", "%25", "%20", "%5C", "%zz", "%4", "%C3%A9"
]


def _variant_url(rng: random.Random) -> str:
    """A clean URL with the variants the middle path is for, and some it must refuse."""
    scheme = rng.choice(["http://", "https://", "HTTP://", "Https://", "", "http:", "http:/", "http%3A%2F%2F"])
    user = rng.choice(["", "", "", "u@", "u:pw@", ":@", "@", "a@b@"])
    labels = [rng.choice(["www", "News", "a", "x-y", "1", "0x7f", "b_c", "", "COM", "9a", "%41"])
              for _ in range(rng.randint(1, 4))]
    host = ".".join(labels) + rng.choice(["", "", ".", ".."])
    if rng.random() < 0.1:
        host = "." + host
    port = rng.choice(["", "", "", ":", ":80", ":443", ":0", ":x"])
    segs = rng.choices(["p", ".", "..", "", "a.pdf", ".x", "x.", "~u", "@", ":", ";", "!$&'()*+,=", *_VARIANT_PERCENT],
                       k=rng.randint(0, 5))
    path = rng.choice(["", "/", "/" + "/".join(segs), "/" + "/".join(segs) + "/", "/".join(segs)])
    query = rng.choice(["", "", "?", "?a=1&b=/./", "?x//y", "?q?r", "?#", "?v=%41", "?v=%20"])
    fragment = rng.choice(["", "", "#", "#f", "#a b\té", "#%41"])
    return scheme + user + host + port + path + query + fragment


def test_middle_path_matches_full_path_on_generated_variants() -> None:
    rng = random.Random(20241122)
    taken = declined = 0
    for _ in range(8000):
        url = _variant_url(rng)
        try:
            expected: str | None = _canonicalize_full(url.encode("utf-8"), url)
        except InvalidURL:
            expected = None
        middle = _middle_canonical(url)
        if middle is None:
            declined += 1
            continue
        taken += 1
        assert middle == expected, url
        assert canonicalize(url) == expected, url
        assert canonicalize(middle) == middle, url
    # Both outcomes must really have been exercised for the comparison to mean anything.
    assert taken > 1500 and declined > 1500


def test_middle_path_never_disagrees_on_hostile_input() -> None:
    rng = random.Random(4242)
    taken = 0
    for _ in range(8000):
        prefix = rng.choice(["http://", "https://", "", "HTTP://", "//", "http:", "ftp://", "mailto:"])
        plain = list("abcxyzABC019./:@?") * 3
        url = prefix + "".join(rng.choices([*_HOSTILE_PIECES, *plain], k=rng.randint(0, 12)))
        middle = _middle_canonical(url)
        if middle is None:
            continue
        taken += 1
        assert middle == _canonicalize_full(url.encode("utf-8", "surrogatepass"), url), url
    assert taken > 250


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/A/b?Q=1", "https://news.example.com/A/b?Q=1"),
        ("https://example.com/x#page=2", "https://example.com/x"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com.:80", "http://example.com/"),
        ("http://example..com./a/./b/../c/", "http://example.com/a/c/"),
        ("HTTP://example.com//a//b", "http://example.com/a/b"),
        ("http://reader:pw@example.com/x", "http://example.com/x"),
        ("example.com/p?x//y", "http://example.com/p?x//y"),
        ("example.com:8080", "http://example.com/"),
        ("http://example.com?x", "http://example.com/?x"),
        ("http://example.com/%64ossier.pdf", "http://example.com/dossier.pdf"),
        ("http%3A%2F%2Fexample.com%2Fa%2E", "http://example.com/a."),
        ("http://example.com/a%2f..%2Fb#%zz", "http://example.com/b"),
        ("http://ex_ample.com/#é\t", "http://ex_ample.com/"),
    ],
)
def test_middle_path_takes_common_variants(url: str, expected: str) -> None:
    assert _fast_canonical(url) is None
    assert _middle_canonical(url) == expected
    assert _canonicalize_full(url.encode(), url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4/", "http://0x7f.1/", "http://3279880203/", "http://é.com/", "http://a.com/é",
        "http://a.com/%20x", "http://a.com/%23", "http://a.com/%2525", "http://a.com/%zz", "http://a.com/a\\b",
        " http://a.com/", "http://a.com/a b", "http://[::1]/", "a.com:/x", "mailto:x@a.com", "ftp://a.com/",
        "http:/a.com/", "http:///a.com/", "//a.com/", "u@a.com/", "http://a@b@c.com/", "http://.../",
        "http://a.com:80:80/", "http://a.com:8o/",
    ],
)
def test_middle_path_declines_what_needs_the_full_path(url: str) -> None:
    assert _middle_canonical(url) is None


# -------------------------------------------------------------------------- canonical cache


def test_canonical_cache_gives_canonical_forms_and_is_bounded() -> None:
    cached = canonical_cache(2)
    urls = ["HTTP://A.example/x#f", "http://b.example/%41", "http://c.example", "HTTP://A.example/x#f"]
    assert [cached(u) for u in urls] == [canonicalize(u) for u in urls]
    info = cached.cache_info()  # type: ignore[attr-defined]
    assert info.maxsize == 2 and info.currsize == 2
    assert info.hits == 0  # the first URL was evicted by the two after it


def test_canonical_cache_does_not_cache_errors() -> None:
    cached = canonical_cache(8)
    for _ in range(2):
        with pytest.raises(InvalidURL, match="scheme 'ftp'"):
            cached("ftp://a.example/")
    assert cached.cache_info().currsize == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "64"])
def test_canonical_cache_rejects_bad_sizes(size: object) -> None:
    with pytest.raises(InvalidInput, match="positive integer size"):
        canonical_cache(size)  # type: ignore[arg-type]
