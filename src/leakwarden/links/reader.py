"""Fetch one URL and read it: the unit of work that the chain expander schedules and caches.

:func:`read_url` never raises: every failure becomes a :class:`Fetched` with an ``error_code``.
Besides the fetcher's codes (see :mod:`leakwarden.links.fetch`) it adds ``http_error`` (a 4xx or
5xx answer), ``bad_redirect`` (a redirect without a usable Location) the ``pdf_*`` codes of
:mod:`leakwarden.links.pdfworker` and the ``image_*`` codes of :mod:`leakwarden.links.ocr`. An image,
or a PDF without a text layer, is read with OCR: its text is what OCR read, and ``image`` keeps the
reading (word boxes, PDQ hashes) for the detectors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urljoin

from leakwarden.errors import FetchError
from leakwarden.links.extract import Extracted, extract_html, extract_plain, parse_refresh
from leakwarden.links.fetch import HTML_TYPES, PDF_TYPES, REDIRECT_STATUSES, Fetcher, FetchSettings, Response
from leakwarden.links.ocr import IMAGE_TYPES, RECENT_IMAGES, ImageError, ImageRead, read_image, read_pdf_pages
from leakwarden.links.pdfworker import PdfError, PdfLimits, extract_pdf

#: a PDF whose text layer has fewer letters than this is read as scanned pages
SCANNED_PDF_CHARS = 20


@dataclass(frozen=True)
class Fetched:
    """What one GET of one URL gave: the facts of a Hop, plus where the chain may go next."""

    url: str
    status: int | None = None
    content_type: str | None = None
    size: int | None = None
    fetch_ms: float | None = None
    text: str = ""
    error: str | None = None
    error_code: str | None = None
    next: tuple[str, str] | None = None  # (via, absolute URL): redirect, refresh_header, ...
    outlinks: tuple[str, ...] = ()
    image: ImageRead | None = None  # an image, or a scanned PDF's pages, as read by links.ocr


def read_url(fetcher: Fetcher, url: str) -> Fetched:
    try:
        response = fetcher.get(url)
    except FetchError as exc:
        return Fetched(url=url, error=exc.message, error_code=exc.code)
    except Exception as exc:  # a bug or an exotic library error must stay a per-hop error
        return Fetched(url=url, error=f"unexpected failure: {type(exc).__name__}", error_code="fetch_failed")
    return _read(fetcher.settings, response)


def _read(settings: FetchSettings, r: Response) -> Fetched:
    facts = dict(url=r.url, status=r.status, content_type=r.media_type, size=len(r.body), fetch_ms=r.fetch_ms)
    if r.status in REDIRECT_STATUSES:
        target = _location(r.url, r.location)
        if target is None:
            return Fetched(**facts, error=f"HTTP {r.status} without a usable Location",  # type: ignore[arg-type]
                           error_code="bad_redirect")
        return Fetched(**facts, next=("redirect", target))  # type: ignore[arg-type]
    if not 200 <= r.status < 300:
        return Fetched(**facts, error=f"HTTP {r.status}", error_code="http_error")  # type: ignore[arg-type]
    if r.media_type in IMAGE_TYPES:
        return _read_image(settings, r, Fetched(**facts))  # type: ignore[arg-type]
    try:
        page = _extract(settings, r)
    except PdfError as exc:
        return Fetched(**facts, error=exc.message, error_code=exc.code)  # type: ignore[arg-type]
    except Exception as exc:
        return Fetched(**facts, error=f"could not read the content: {type(exc).__name__}",  # type: ignore[arg-type]
                       error_code="decode_error")
    refresh = parse_refresh(r.refresh, r.url)
    following = ("refresh_header", refresh) if refresh else page.redirect
    fetched = Fetched(**facts, text=page.text, next=following, outlinks=tuple(page.outlinks))  # type: ignore[arg-type]
    if r.media_type in PDF_TYPES and sum(c.isalpha() for c in page.text) < SCANNED_PDF_CHARS:
        return _read_image(settings, r, fetched, pdf=True)
    return fetched


def _read_image(settings: FetchSettings, r: Response, fetched: Fetched, *, pdf: bool = False) -> Fetched:
    """An image, or a scanned PDF's pages: hashed and read with OCR (a PDF that cannot be rendered
    keeps what its text layer gave)."""
    try:
        read = (read_pdf_pages if pdf else read_image)(r.body, settings.image_limits)
    except ImageError as exc:
        return fetched if pdf else replace(fetched, error=exc.message, error_code=exc.code)
    if not pdf:
        RECENT_IMAGES.put(read.sha256, r.body)  # for the reviewer's blurred view, bounded
    return replace(fetched, text=read.text[:settings.max_text_chars] or fetched.text, image=read)


def _location(base: str, location: str | None) -> str | None:
    """A redirect target made absolute; any scheme, so the next hop can say why it is refused."""
    if not location or not location.strip():
        return None
    try:
        return urljoin(base, location.strip()[:8192])
    except ValueError:
        return None


def _extract(s: FetchSettings, r: Response) -> Extracted:
    if r.media_type in HTML_TYPES:
        return extract_html(r.body, r.url, r.charset, max_links=s.max_links_scanned,
                            max_chars=s.max_text_chars, interstitial_max_bytes=s.interstitial_max_bytes,
                            max_elements=s.max_main_text_elements)
    if r.media_type in PDF_TYPES:
        limits = PdfLimits(max_pages=s.pdf_max_pages, max_objects=s.pdf_max_objects,
                           timeout_s=s.pdf_timeout, memory_mb=s.pdf_memory_mb, max_chars=s.max_text_chars)
        return Extracted(text=extract_pdf(r.body, limits).text)
    return extract_plain(r.body, r.charset, max_chars=s.max_text_chars)
