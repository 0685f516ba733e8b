"""The hostile-image suite: every bad image ends in a clear error code or a partial reading (text
empty, ``ocr_error`` set), never a crash, a hang or unbounded memory. The run prints its count."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest
from PIL import Image, ImageDraw

from leakwarden.demo.screens import LATIN_FONT, font
from leakwarden.links.ocr import ImageError, ImageLimits, read_image, read_pdf_pages

pytestmark = pytest.mark.timeout(90)


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares huge dimensions but holds almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        _chunk(b"IEND", b"")


@cache
def _png_bomb() -> bytes:
    """A real 12000×12000 grey PNG: ~0.2 MB on the wire, 144 MP decoded."""
    rows = b"".join(b"\0" + b"\0" * 12000 for _ in range(12000))
    ihdr = struct.pack(">IIBBBBB", 12000, 12000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(rows, 9)) + \
        _chunk(b"IEND", b"")


def _gif_frames(count: int) -> bytes:
    frames = [Image.new("P", (8, 8), i % 200) for i in range(count)]
    return _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=10, optimize=False)


def _corrupt_png() -> bytes:
    data = bytearray(_saved(Image.new("RGB", (300, 300), "white"), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start:start + 40] = b"\xff" * 40
    return bytes(data)


def _dense_text(side: int) -> bytes:
    """A page crammed with small text: minutes of OCR."""
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    face = font(LATIN_FONT, 16)
    for y in range(0, side, 22):
        draw.text((0, y), "lorem ipsum dolor 1234 " * (side // 160), fill=0, font=face)
    return _saved(image, "PNG")


NO_OCR = ImageLimits(ocr=False)


@dataclass(frozen=True)
class Case:
    name: str
    data: Callable[[], bytes]
    code: str | None  # None: read (partially), with ocr_error when ``ocr_error``
    limits: ImageLimits = NO_OCR
    ocr_error: bool = False
    pdf: bool = False


CASES = [
    Case("empty file", lambda: b"", "image_broken"),
    Case("HTML sent as an image", lambda: b"<!doctype html><p>hello", "image_unsupported"),
    Case("TIFF (not a supported format)", lambda: _saved(Image.new("RGB", (20, 20)), "TIFF"), "image_unsupported"),
    Case("truncated PNG", lambda: _saved(Image.new("RGB", (200, 200), "red"), "PNG")[:60], "image_broken"),
    Case("PNG with a corrupt data stream", _corrupt_png, "image_broken"),
    Case("truncated JPEG", lambda: _saved(Image.new("RGB", (400, 400), "blue"), "JPEG")[:300], "image_broken"),
    Case("PNG header with 100000×100000 pixels", lambda: _png_header_only(100_000, 100_000), "image_too_large"),
    Case("PNG header wider than the side limit", lambda: _png_header_only(30_000, 10), "image_too_large"),
    Case("decompression bomb (144 MP PNG)", _png_bomb, "image_too_large"),
    Case("decoded size over the cap", lambda: _saved(Image.new("RGBA", (3000, 3000)), "PNG"), "image_too_large",
         ImageLimits(ocr=False, max_decoded_mb=20)),
    Case("file over the byte limit", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 3_000_000, "image_too_large",
         ImageLimits(ocr=False, max_bytes=2_000_000)),
    Case("animated GIF bomb (3000 frames)", lambda: _gif_frames(3000), "image_too_many_frames"),
    Case("out of memory while decoding", lambda: _saved(Image.new("RGB", (6000, 6000)), "PNG"), "image_too_large",
         ImageLimits(ocr=False, memory_mb=300)),
    Case("OCR that runs too long", lambda: _dense_text(3000), None, ImageLimits(timeout_s=5.0), ocr_error=True),
    Case("animated GIF: first frame only", lambda: _gif_frames(12), None),
    Case("WebP", lambda: _saved(Image.new("RGB", (64, 64), "green"), "WEBP"), None),
    Case("malformed PDF page render", lambda: b"%PDF-1.4\n1 0 obj <<>> garbage", "pdf_broken", pdf=True),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_image(case: Case) -> None:
    read = read_pdf_pages if case.pdf else read_image
    if case.code is not None:
        with pytest.raises(ImageError) as raised:
            read(case.data(), case.limits)
        assert raised.value.code == case.code, raised.value.message
        assert raised.value.message  # a human-readable message too
        return
    result = read(case.data(), case.limits)
    page = result.first
    assert page.width > 0 and len(page.pdq) == 64
    if case.ocr_error:
        assert page.ocr_error, "the OCR deadline should have left a partial reading"
    else:
        assert page.ocr_error is None


def test_an_animated_gif_is_read_from_its_first_frame() -> None:
    result = read_image(_gif_frames(12), ImageLimits(ocr=False))
    assert result.first.frames == 12
    single = read_image(_saved(Image.new("P", (8, 8), 0), "GIF"), ImageLimits(ocr=False))
    assert result.first.pdq == single.first.pdq  # the hash of frame 0


def test_the_reader_recovers_after_each_bad_image() -> None:
    good = _saved(Image.new("RGB", (64, 64), "white"), "PNG")
    for case in CASES[:6]:
        with pytest.raises(ImageError):
            read_image(case.data(), case.limits)
        assert read_image(good, ImageLimits(ocr=False)).first.width == 64
