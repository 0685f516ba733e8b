"""Images read in limited child processes: safe decoding, OCR (English and Arabic) with word boxes,
and PDQ hashes.

An image is hostile input: it runs in the same worker model as PDF parsing
(:mod:`leakwarden.links.pdfworker`): child Pythons under an address-space limit, killed (with the
``tesseract`` they started) at the per-image deadline, reused for at most ``MAX_USES`` images.
What the child checks before decoding is in :mod:`leakwarden.links.imagechild`.

:func:`read_image` answers an :class:`ImageRead` or raises :class:`ImageError` with a code:
``image_unsupported``, ``image_broken``, ``image_too_large`` (bytes, dimensions, pixels, decoded
size or memory), ``image_too_many_frames``, ``image_timeout``. OCR that fails or runs out of time
is not an error: the image keeps its hash, its text is empty and ``ocr_error`` says why (a partial
reading). Without Tesseract installed (``make tesseract``) OCR is skipped the same way.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from leakwarden.links import imagechild
from leakwarden.links.pdfworker import ChildError, ChildFailed, ChildPool
from leakwarden.model import ImageFacts

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"))
OCR_POOL_SIZE = 2
PAGE_BREAK = "\n\n"
LANGS_ENV = "LEAKWARDEN_OCR_LANGS"


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_side: int = 20_000
    max_pixels: int = 40_000_000
    max_decoded_mb: int = 400
    max_frames: int = 1_000
    timeout_s: float = 20.0
    memory_mb: int = 1536
    ocr: bool = True
    lang: str = field(default_factory=lambda: os.environ.get(LANGS_ENV, "eng+ara"))
    pdf_max_pages: int = 20
    pdf_dpi: int = 150


@dataclass(frozen=True)
class Word:
    """One recognized word: its span in the page's text and its box in the image's pixels."""

    start: int
    end: int
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class PageRead:
    width: int
    height: int
    text: str
    words: tuple[Word, ...]
    pdq: str
    quality: int
    format: str = ""
    frames: int = 1
    page: int | None = None  # a PDF page's number
    ocr_error: str | None = None

    def regions(self, start: int, end: int) -> list[tuple[int, int, int, int]]:
        """The boxes (x, y, w, h) of the words that the text span ``[start, end)`` touches, one per
        line (adjacent words on a line are merged)."""
        boxes: list[list[int]] = []
        for w in self.words:
            if w.end <= start or w.start >= end:
                continue
            last = boxes[-1] if boxes else None
            if last is not None and abs(last[1] - w.y) < max(last[3], w.h) // 2 + 1:
                x0, y0 = min(last[0], w.x), min(last[1], w.y)
                x1, y1 = max(last[0] + last[2], w.x + w.w), max(last[1] + last[3], w.y + w.h)
                last[:] = [x0, y0, x1 - x0, y1 - y0]
            else:
                boxes.append([w.x, w.y, w.w, w.h])
        return [(b[0], b[1], b[2], b[3]) for b in boxes]


@dataclass(frozen=True)
class ImageRead:
    md5: str
    sha256: str
    pages: tuple[PageRead, ...]
    page_count: int = 1

    @property
    def first(self) -> PageRead:
        return self.pages[0]

    @property
    def text(self) -> str:
        """Every page's text, pages apart by a blank line (spans in it map back: :meth:`regions`)."""
        return PAGE_BREAK.join(p.text for p in self.pages)

    def regions(self, start: int, end: int) -> list[tuple[int, tuple[int, int, int, int]]]:
        """The boxes that the span ``[start, end)`` of :attr:`text` covers, as (page index, box)."""
        found: list[tuple[int, tuple[int, int, int, int]]] = []
        offset = 0
        for index, page in enumerate(self.pages):
            if start < offset + len(page.text) and end > offset:
                found.extend((index, box) for box in page.regions(start - offset, end - offset))
            offset += len(page.text) + len(PAGE_BREAK)
        return found


class ImageError(ChildError):
    """An image (or PDF page rendering) that cannot be read (``image_*`` codes)."""


def sniff_image(data: bytes) -> str | None:
    """The image media type the bytes start with (PNG, JPEG, GIF, WebP), or None."""
    for magic, media in _MAGIC:
        if data.startswith(magic):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_image(content_type: str | None, data: bytes | None = None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in IMAGE_TYPES or (data is not None and sniff_image(data[:16]) is not None)


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None


_POOL = ChildPool(OCR_POOL_SIZE, imagechild.__file__, env={"OMP_THREAD_LIMIT": "1"})


def _header(limits: ImageLimits, kind: str) -> dict[str, Any]:
    return {"kind": kind, "max_side": limits.max_side, "max_pixels": limits.max_pixels,
            "max_decoded_mb": limits.max_decoded_mb, "max_frames": limits.max_frames,
            "timeout_s": limits.timeout_s * 0.7,  # the child stops OCR first: the hash still comes back
            "ocr": limits.ocr and ocr_available(), "lang": limits.lang,
            "max_pages": limits.pdf_max_pages, "dpi": limits.pdf_dpi}


def _page(raw: dict[str, Any], ocr_wanted: bool) -> PageRead:
    words = tuple(Word(*(int(v) for v in w[:6])) for w in raw.get("words", []) if len(w) >= 6)
    error = raw.get("ocr_error")
    if ocr_wanted and not ocr_available():
        error = "tesseract is not installed (make tesseract)"
    return PageRead(width=int(raw["width"]), height=int(raw["height"]), text=str(raw.get("text", "")),
                    words=words, pdq=str(raw.get("pdq", "")), quality=int(raw.get("quality", 0)),
                    format=str(raw.get("format", "")), frames=int(raw.get("frames", 1)),
                    page=raw.get("page"), ocr_error=str(error)[:200] if error else None)


def _ask(data: bytes, limits: ImageLimits, header: dict[str, Any]) -> dict[str, Any]:
    if len(data) > limits.max_bytes:
        raise ImageError(f"image is larger than {limits.max_bytes} bytes", "image_too_large")
    if not data:
        raise ImageError("image is empty", "image_broken")
    try:
        answer = _POOL.call(header, data, memory_mb=limits.memory_mb, timeout_s=limits.timeout_s)
    except TimeoutError:
        raise ImageError(f"reading the image took longer than {limits.timeout_s:g} s", "image_timeout") from None
    except ChildFailed as failed:
        if failed.out_of_memory:
            raise ImageError(f"image needs more than {limits.memory_mb} MB", "image_too_large") from None
        raise ImageError("image reader failed", "image_broken") from None
    if not answer.get("ok"):
        raise ImageError(str(answer.get("message", "broken image"))[:300], str(answer.get("code", "image_broken")))
    return answer


def _call(data: bytes, limits: ImageLimits, kind: str) -> ImageRead:
    answer = _ask(data, limits, _header(limits, kind))
    pages = tuple(_page(p, limits.ocr) for p in answer.get("pages", []))
    if not pages:
        raise ImageError("no page could be read", "image_broken")
    return ImageRead(md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                     sha256=hashlib.sha256(data).hexdigest(), pages=pages,
                     page_count=int(answer.get("page_count", len(pages))))


def read_image(data: bytes, limits: ImageLimits | None = None) -> ImageRead:
    """Decode, hash and OCR one image (PNG, JPEG, WebP, GIF: first frame). Raises ImageError."""
    return _call(data, limits or ImageLimits(), "image")


def paint_regions(data: bytes, boxes: list[tuple[int, int, int, int]], *, style: str = "black",
                  limits: ImageLimits | None = None) -> bytes:
    """The image (first frame) as PNG with each box (x, y, w, h) blacked out (``black``) or blurred
    (``blur``); decoded in a limited child like any reading. Raises ImageError."""
    limits = limits or ImageLimits()
    header = {**_header(limits, "paint"), "boxes": [list(b) for b in boxes], "style": style}
    return base64.b64decode(str(_ask(data, limits, header).get("png_b64", "")))


def read_pdf_pages(data: bytes, limits: ImageLimits | None = None) -> ImageRead:
    """Render a PDF's pages (at most ``pdf_max_pages``) to images; hash and OCR each. Raises ImageError."""
    if b"%PDF-" not in data[:1024]:
        raise ImageError("not a PDF (no %PDF- header)", "pdf_broken")
    return _call(data, limits or ImageLimits(), "pdf")


class RecentImages:
    """The bytes of recently fetched images, by SHA-256, at most ``max_bytes`` in all (least recently
    used first out): what a reviewer's blurred view needs when the post is stored, without the fetch
    cache (thousands of entries) holding every image it saw. Thread-safe."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def put(self, sha256: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(sha256, None)
            self._size -= len(old) if old is not None else 0
            self._items[sha256] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def get(self, sha256: str) -> bytes | None:
        with self._lock:
            data = self._items.get(sha256)
            if data is not None:
                self._items.move_to_end(sha256)
            return data


RECENT_IMAGES = RecentImages()


def image_facts(read: ImageRead) -> ImageFacts:
    first = read.first
    errors = {p.ocr_error for p in read.pages if p.ocr_error}
    return ImageFacts(format=first.format, width=first.width, height=first.height, frames=first.frames,
                      pages=read.page_count, md5=read.md5, sha256=read.sha256, pdq=[p.pdq for p in read.pages],
                      ocr_error=sorted(errors)[0] if errors else None)
