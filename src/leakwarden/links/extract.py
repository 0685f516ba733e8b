"""What a fetched page holds: its main text, where it sends the reader, which links lead on.

Main text comes from **trafilatura**. Both maintained extractors were measured on the fixture
pages in ``tests/fixtures/links`` (``bench/bench_links.py --extractors`` repeats it): both found
every article sentence (11/11), but resiliparse also kept comment spam and share buttons (2
boilerplate hits on the blog fixture, trafilatura 0). Resiliparse is about 13x faster (about
13,000 vs 1,000 small pages/s on one core), yet at 1 ms a page extraction is far below fetch
time, and text that detectors judge should not carry a page's comments and widgets. trafilatura
is also already a core dependency; resiliparse would add a compiled one.

Main-text scoring costs about 70 µs per element, so a page with more than ``max_elements``
elements (a link farm) gets all of its visible text instead (``html2txt``, linear and fast).

Links are read with lxml (which trafilatura uses too), scanning at most ``max_links`` anchors so
a page with millions of links costs a bounded amount of work. Outlinks are documents (PDF) in the
main content first, then the other links in the page's main content (anchors outside nav, header,
footer, aside, menus, comment and share blocks), then documents elsewhere. A few content images
(``<img>`` outside those blocks) come right after the main content's documents: a screenshot shown
in an article is read like a document (``links.ocr``). A small interstitial
page may redirect by ``<meta http-equiv=refresh>`` or a JavaScript ``location`` assignment; both
are reported as a redirect for the chain to follow.

Bytes become text with the charset from a BOM, the Content-Type header or a ``<meta>`` tag; when
no declared charset decodes cleanly, each line is decoded as UTF-8 or else as Windows-1252, so a
page that mixes encodings keeps all of its words, and nothing raises.
"""

from __future__ import annotations

import codecs
import re
import threading
import warnings
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_JS_LOCATION = re.compile(
    r"""(?:\b(?:window|document|top|self|parent)\s*\.\s*)?\blocation\s*(?:\.\s*href\s*)?=\s*(["'])([^"'\s]{1,2000})\1"""
    r"""|(?:\b(?:window|document|top|self|parent)\s*\.\s*)?\blocation\s*\.\s*(?:replace|assign)\s*\(\s*(["'])([^"'\s]{1,2000})\3\s*\)"""
)
_REFRESH_URL = re.compile(r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(["']?)(.+?)\1\s*$""", re.I)
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "menu"})
_BOILERPLATE_WORDS = ("nav", "menu", "footer", "sidebar", "share", "social", "comment", "cookie",
                      "banner", "breadcrumb", "related", "popular", "widget", "subscribe")
_DOCUMENT_SUFFIXES = (".pdf",)
MAX_IMAGES = 3
_DOCUMENT_TYPES = frozenset({"application/pdf", "application/x-pdf"})


@dataclass
class Extracted:
    """The result of reading one page or document."""

    text: str
    outlinks: list[str] = field(default_factory=list)
    redirect: tuple[str, str] | None = None  # (via, absolute URL): "meta_refresh" | "js_location"
    title: str | None = None


def decode_text(body: bytes, declared: str | None = None, *, html: bool = False) -> str:
    """Bytes to text: BOM, then the declared charset, then ``<meta charset>``, then per-line guess."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace")
    candidates: list[str] = []
    if declared:
        candidates.append(declared)
    if html:
        found = _META_CHARSET.search(body[:4096])
        if found:
            candidates.append(found.group(1).decode("ascii", "ignore"))
    for name in candidates:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        if codec == "utf-8":
            break  # utf-8 declared: fall through to the mixed-encoding-tolerant path
        return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_mixed(body)


def _decode_mixed(body: bytes) -> str:
    lines = []
    for line in body.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
    return "\n".join(lines)


def parse_refresh(value: str | None, base_url: str) -> str | None:
    """The target of a ``Refresh`` header or meta refresh (``"0; url=/next"``), made absolute."""
    if not value:
        return None
    match = _REFRESH_URL.match(value.strip()[:2100])
    if not match or not match.group(2).strip():
        return None
    target = match.group(2).strip()
    if target[:1].isdigit() and ";" not in value and "url" not in value.lower():
        return None  # just a delay, no target
    return absolute_url(base_url, target)


def absolute_url(base_url: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urldefrag(urljoin(base_url, href))[0]
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    return url


def _is_boilerplate(element: Any) -> bool:
    node = element
    for _ in range(40):
        node = node.getparent()
        if node is None:
            return False
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag.lower() in _BOILERPLATE_TAGS:
            return True
        marks = f"{node.get('class', '')} {node.get('id', '')} {node.get('role', '')}".lower()
        if any(word in marks for word in _BOILERPLATE_WORDS):
            return True
    return False


def _is_document(url: str, element: Any) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(_DOCUMENT_SUFFIXES) or (element.get("type") or "").lower() in _DOCUMENT_TYPES


def _outlinks(tree: Any, base_url: str, max_links: int) -> list[str]:
    documents: list[str] = []
    other_documents: list[str] = []
    content: list[str] = []
    seen: set[str] = set()
    scanned = 0
    for anchor in tree.iter("a"):
        scanned += 1
        if scanned > max_links:
            break
        url = absolute_url(base_url, anchor.get("href") or "")
        if url is None or url in seen or url == base_url:
            continue
        seen.add(url)
        boilerplate = _is_boilerplate(anchor)
        if _is_document(url, anchor):
            (other_documents if boilerplate else documents).append(url)
        elif not boilerplate:
            content.append(url)
    return documents + _images(tree, base_url, seen) + content + other_documents


def _images(tree: Any, base_url: str, seen: set[str]) -> list[str]:
    """The page's content images (a screenshot shown in an article), at most ``MAX_IMAGES``: not in
    boilerplate, not icons (declared smaller than 64 pixels a side)."""
    found: list[str] = []
    for image in islice(tree.iter("img"), 200):
        url = absolute_url(base_url, image.get("src") or "")
        if url is None or url in seen or _is_boilerplate(image):
            continue
        sizes = [image.get("width") or "", image.get("height") or ""]
        if any(size.isdigit() and int(size) < 64 for size in sizes):
            continue
        seen.add(url)
        found.append(url)
        if len(found) >= MAX_IMAGES:
            break
    return found


def _meta_refresh(tree: Any, base_url: str) -> str | None:
    for meta in tree.iter("meta"):
        if (meta.get("http-equiv") or "").strip().lower() == "refresh":
            return parse_refresh(meta.get("content"), base_url)
    return None


def _js_location(tree: Any, base_url: str) -> str | None:
    for script in tree.iter("script"):
        found = _JS_LOCATION.search(script.text or "")
        if found:
            return absolute_url(base_url, found.group(2) or found.group(4) or "")
    return None


def _base(tree: Any, page_url: str) -> str:
    for element in tree.iter("base"):
        href = element.get("href")
        if href:
            return absolute_url(page_url, href) or page_url
    return page_url


def extract_html(body: bytes, url: str, charset: str | None = None, *, max_links: int = 5_000,
                 max_chars: int = 200_000, interstitial_max_bytes: int = 16 * 1024,
                 max_elements: int = 15_000) -> Extracted:
    """Main text, outlinks and any in-page redirect of an HTML page. Never raises on bad input."""
    markup = _XML_DECL.sub("", decode_text(body, charset, html=True), count=1).replace("\x00", "")
    if not markup.strip():
        return Extracted(text="")
    try:
        tree = lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError):
        return Extracted(text=markup[:max_chars] if "<" not in markup else "")
    base = _base(tree, url)
    redirect: tuple[str, str] | None = None
    refresh = _meta_refresh(tree, base)
    if refresh:
        redirect = ("meta_refresh", refresh)
    elif len(body) <= interstitial_max_bytes:
        target = _js_location(tree, base)
        if target:
            redirect = ("js_location", target)
    links = _outlinks(tree, base, max_links)
    title_el = tree.find(".//title")
    title = (title_el.text or "").strip()[:500] if title_el is not None else None
    if sum(1 for _ in islice(tree.iter(), max_elements + 1)) > max_elements:
        text = _all_text(markup)  # main-text scoring costs ~70 µs an element: too slow here
    else:
        text = _main_text(tree, markup)
    return Extracted(text=text[:max_chars], outlinks=links, redirect=redirect, title=title or None)


_STOPLISTS_LOCK = threading.Lock()
_stoplists_ready = False


def _shared_stoplists() -> None:
    """Build trafilatura's fallback stoplist (justext's words of every language) once, under a lock.
    Left to itself, each fetch thread that reaches the fallback before it exists builds it again
    (about 0.15 s of CPU each, the GIL held): eight threads at once took a second of CPU from the
    check that was waiting on them (``POST /v1/check?budget=3`` ended 0.7 s past its budget)."""
    global _stoplists_ready
    if _stoplists_ready:
        return
    with _STOPLISTS_LOCK:
        if _stoplists_ready:
            return
        try:
            from justext.core import define_stoplist
            from trafilatura import external

            define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())  # lru-cached from now on
        except (ImportError, AttributeError, TypeError):  # another trafilatura: it builds its own as before
            pass
        _stoplists_ready = True


def _main_text(tree: Any, markup: str) -> str:
    _shared_stoplists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            text = trafilatura.extract(tree, favor_recall=True, include_comments=False,
                                       include_tables=True, deduplicate=False)
        except (ValueError, TypeError, RecursionError, lxml.etree.LxmlError):
            text = None
    return text or _all_text(markup)


def _all_text(markup: str) -> str:
    """Every visible text of the page, without main-content scoring: linear and fast."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return trafilatura.html2txt(markup) or ""
        except (ValueError, TypeError, RecursionError, lxml.etree.LxmlError):
            return ""


def extract_plain(body: bytes, charset: str | None = None, *, max_chars: int = 200_000) -> Extracted:
    return Extracted(text=decode_text(body, charset)[:max_chars].replace("\x00", ""))
