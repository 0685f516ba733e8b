"""Extraction: main text, outlinks, in-page redirects, charsets, PDFs in a limited child."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.links.pdfs import many_pages_pdf, page_tree_bomb_pdf, text_pdf

from leakwarden.links.extract import decode_text, extract_html, extract_plain, parse_refresh
from leakwarden.links.pdfworker import PdfError, PdfLimits, extract_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "links"
BASE = "https://newsletter.example/p/dossier"


@pytest.mark.parametrize(
    ("fixture", "present", "absent"),
    [
        ("newsletter.html", ["forty-page file", "Russian keyboard layout", "download the dossier"],
         ["Popular this week", "All rights reserved", "Subscribe now"]),
        ("arabic.html", ["نشرت مجموعة مجهولة", "بصمات عملية اختراق"], ["اتصل بنا", "جميع الحقوق"]),
        ("blog.html", ["not public figures", "published standards"], ["cheap watches", "Share on Twitter"]),
    ],
)
def test_main_text_keeps_the_article_and_drops_boilerplate(fixture: str, present: list[str],
                                                           absent: list[str]) -> None:
    text = extract_html((FIXTURES / fixture).read_bytes(), BASE).text
    for phrase in present:
        assert phrase in text
    for phrase in absent:
        assert phrase not in text


@pytest.mark.parametrize(
    ("fixture", "outlinks"),
    [
        ("newsletter.html", ["https://newsletter.example/files/dossier.pdf",
                             "https://newsletter.example/p/dossier-summary",
                             "https://newsletter.example/files/media-kit.pdf"]),
        ("arabic.html", ["https://files.example/leak/dossier-ar.pdf"]),
        ("blog.html", ["https://policy.example/leaks"]),
        ("interstitial.html", []),
    ],
)
def test_outlinks_are_documents_then_main_content_links(fixture: str, outlinks: list[str]) -> None:
    assert extract_html((FIXTURES / fixture).read_bytes(), BASE).outlinks == outlinks


@pytest.mark.parametrize(
    ("html", "redirect"),
    [
        (b'<meta http-equiv="refresh" content="0; url=/next">', ("meta_refresh", "https://newsletter.example/next")),
        (b"<meta http-equiv='Refresh' content=\"3;URL='https://b.example/x'\">", ("meta_refresh", "https://b.example/x")),
        (b'<meta http-equiv="refresh" content="30">', None),
        (b"<script>location = 'https://b.example/1';</script>", ("js_location", "https://b.example/1")),
        (b'<script>window.location.href="/2"</script>', ("js_location", "https://newsletter.example/2")),
        (b"<script>document.location.replace('https://b.example/3')</script>", ("js_location", "https://b.example/3")),
        (b'<script>top.location.assign("https://b.example/4")</script>', ("js_location", "https://b.example/4")),
        (b"<script>if (x == location.href) {}</script>", None),
        (b"<script>location = 'javascript:alert(1)'</script>", None),
        (b"<p>" + b"long page " * 5000 + b"</p><script>location='https://b.example/5'</script>", None),
    ],
)
def test_in_page_redirects(html: bytes, redirect: tuple[str, str] | None) -> None:
    assert extract_html(html, BASE).redirect == redirect


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("0; url=https://b.example/", "https://b.example/"),
        ("5;URL=/rel", "https://newsletter.example/rel"),
        ("0, url='/quoted'", "https://newsletter.example/quoted"),
        ("10", None),
        ("", None),
        (None, None),
        ("0; url=ftp://b.example/", None),
    ],
)
def test_refresh_header(value: str | None, target: str | None) -> None:
    assert parse_refresh(value, BASE) == target


@pytest.mark.parametrize(
    ("body", "declared", "html", "expected"),
    [
        ("café".encode(), None, False, "café"),
        ("café".encode("latin-1"), "iso-8859-1", False, "café"),
        ("café".encode("latin-1"), None, False, "café"),
        ("ملف\n".encode() + "résumé\n".encode("latin-1"), None, False, "ملف\nrésumé\n"),
        ("ملف\n".encode() + "résumé\n".encode("latin-1"), "utf-8", False, "ملف\nrésumé\n"),
        (b'<meta charset="windows-1256"><p>' + "ملف".encode("cp1256"), None, True,
         '<meta charset="windows-1256"><p>ملف'),
        (b"\xef\xbb\xbfbom", None, False, "bom"),
        (b"abc", "no-such-charset", False, "abc"),
        (b"\xfd\xfc\xfb", "utf-8", False, "ýüû"),
    ],
)
def test_decode_text_never_raises_and_keeps_words(body: bytes, declared: str | None, html: bool,
                                                  expected: str) -> None:
    assert decode_text(body, declared, html=html) == expected


@pytest.mark.parametrize("body", [b"", b"\0\0\0", b"<", b"<?xml version='1.0' encoding='utf-8'?><html/>",
                                  b"<html><body>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000])
def test_odd_html_does_not_raise(body: bytes) -> None:
    assert isinstance(extract_html(body, BASE).text, str)


def test_link_scanning_is_capped() -> None:
    body = b"<html><body><article>" + b"".join(b'<a href="/d/%d.pdf">d</a>' % i for i in range(5000)) + b"</article>"
    assert len(extract_html(body, BASE, max_links=100).outlinks) == 100


def test_big_pages_get_all_their_text_without_main_content_scoring() -> None:
    body = b"<html><body>" + b"".join(b"<p>item %d</p>" % i for i in range(3000)) + b"</body></html>"
    text = extract_html(body, BASE, max_elements=1000).text
    assert "item 0" in text and "item 2999" in text


def test_plain_text_is_capped() -> None:
    assert extract_plain(b"x" * 1000, max_chars=10).text == "x" * 10


def test_pdf_text_in_a_child_process() -> None:
    result = extract_pdf(text_pdf("Candidate home address 12 Elm Street"))
    assert "12 Elm Street" in result.text and result.pages == 1


def test_a_child_that_hits_its_memory_limit_is_replaced() -> None:
    with pytest.raises(PdfError):
        extract_pdf(page_tree_bomb_pdf(declared=1), PdfLimits(memory_mb=256))
    assert "after" in extract_pdf(text_pdf("after the bomb"), PdfLimits(memory_mb=256)).text


def test_a_pool_of_children_serves_threads_concurrently() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        texts = list(pool.map(lambda i: extract_pdf(text_pdf(f"document {i}")).text, range(12)))
    assert [t.strip() for t in texts] == [f"document {i}" for i in range(12)]


@pytest.mark.parametrize(
    ("data", "limits", "code"),
    [
        (b"<html>no</html>", PdfLimits(), "pdf_broken"),
        (b"%PDF-1.4\n" + b"\x00" * 100, PdfLimits(), "pdf_broken"),
        (text_pdf("a"), PdfLimits(max_pages=0), "pdf_too_many_pages"),
        (text_pdf("a"), PdfLimits(max_objects=2), "pdf_too_many_objects"),
        (page_tree_bomb_pdf(declared=1), PdfLimits(memory_mb=256), "pdf_too_large"),
        (page_tree_bomb_pdf(), PdfLimits(), "pdf_too_many_pages"),
        # no child parses 250 pages and answers through a pipe within 0.1 ms (10 ms was met on a fast machine)
        (many_pages_pdf(250), PdfLimits(timeout_s=0.0001), "pdf_timeout"),
    ],
)
def test_pdf_limits_give_error_codes(data: bytes, limits: PdfLimits, code: str) -> None:
    with pytest.raises(PdfError) as caught:
        extract_pdf(data, limits)
    assert caught.value.code == code


def test_the_fallback_stoplist_is_built_once_however_many_threads_extract(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura builds justext's every-language stoplist on first use, once per thread that gets
    there before it exists: eight fetch threads built it eight times in the middle of a check."""
    import threading

    from trafilatura import external

    from leakwarden.links import extract

    builds: list[int] = []
    build = external.jt_stoplist_init

    def counted() -> tuple[str]:
        builds.append(1)
        return build()

    monkeypatch.setattr(external, "JT_STOPLIST", None)
    monkeypatch.setattr(external, "jt_stoplist_init", counted)
    monkeypatch.setattr(extract, "_stoplists_ready", False)
    page = b"<html><body><div><p>Short line.</p><p>Another short one here.</p></div></body></html>"
    threads = [threading.Thread(target=extract_html, args=(page, BASE)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == [1]
    assert external.JT_STOPLIST
