"""The child side of image reading: decode safely, OCR with word boxes, PDQ hash.

Run only as ``python -I imagechild.py --serve`` by :mod:`leakwarden.links.ocr`, inside an
address-space limit, so it imports nothing of leakwarden: only the standard library, Pillow, numpy,
pdqhash, pytesseract (which runs Debian's ``tesseract``) and, for PDF pages, pypdfium2.

Decoding refuses before it decodes: the format must be PNG, JPEG, WebP or GIF; the header's
dimensions must be within ``max_side`` and ``max_pixels`` (also Pillow's ``MAX_IMAGE_PIXELS``), and
the decoded size (``width × height × bytes per pixel``, plus the RGB copy PDQ needs) within
``max_decoded_mb``. An animated image is read from its first frame only, and one declaring more
than ``max_frames`` frames is refused. Only then is the first frame decoded.

Protocol (as :mod:`leakwarden.links.pdfworker`): one JSON header line, ``size`` bytes, one JSON
answer line. Error codes: ``image_unsupported``, ``image_broken``, ``image_too_large``,
``image_too_many_frames``, ``pdf_broken``, ``pdf_too_many_pages``; OCR that fails or runs out of
time leaves the page's text empty with ``ocr_error`` set (the hash and size are still answered).
"""

from __future__ import annotations

import base64
import importlib.util
import io
import struct
import sys
import time
from pathlib import Path
from typing import Any


def _sibling(name: str) -> Any:
    """A standard-library module beside this file, loaded by path: the child runs as a script
    (``python -I``), without leakwarden on its path."""
    module = sys.modules.get(f"_{name}")
    if module is None:
        spec = importlib.util.spec_from_file_location(f"_{name}", Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = sys.modules[f"_{name}"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


assemble = _sibling("ocrtext").assemble  # Tesseract's words as text and boxes
has_arabic = _sibling("ocrtext").has_arabic
eastern_number = _sibling("ocrtext").mostly_eastern

FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "I;16": 2, "RGB": 3, "YCbCr": 3, "RGBA": 4,
                    "CMYK": 4, "I": 4, "F": 4}
_UPSCALE_BELOW = 1800  # OCR reads small screen text better at twice the size
_PDQ_SIDE = 512
#: an Arabic reading's mean word confidence below which the page is also read at its own size
LOW_CONFIDENCE = 70.0
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def open_first_frame(data: bytes, limits: dict[str, Any]) -> Any:
    """The decoded first frame (a PIL image), or :class:`Refused`."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = int(limits["max_pixels"])
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError:
        raise Refused("image_too_large", f"image has more than {limits['max_pixels']} pixels") from None
    except UnidentifiedImageError:
        if data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
            raise Refused("image_broken", "broken image: its header cannot be read") from None
        raise Refused("image_unsupported", "not a PNG, JPEG, WebP or GIF image") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise Refused("image_broken", f"broken image: {type(exc).__name__}") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise Refused("image_broken", "image has no pixels")
    if max(width, height) > int(limits["max_side"]):
        raise Refused("image_too_large", f"image is {width}×{height} (limit {limits['max_side']} a side)")
    if width * height > int(limits["max_pixels"]):
        raise Refused("image_too_large", f"image has {width * height} pixels (limit {limits['max_pixels']})")
    decoded = width * height * (_BYTES_PER_PIXEL.get(image.mode, 4) + 3)
    if decoded > int(limits["max_decoded_mb"]) * 1024 * 1024:
        raise Refused("image_too_large", f"image needs {decoded // (1024 * 1024)} MB decoded "
                                         f"(limit {limits['max_decoded_mb']} MB)")
    frames = 1
    try:
        if getattr(image, "is_animated", False):
            frames = int(getattr(image, "n_frames", 1))
            if frames > int(limits["max_frames"]):
                raise Refused("image_too_many_frames",
                              f"animated image has {frames} frames (limit {limits['max_frames']})")
            image.seek(0)
        image.load()
    except Image.DecompressionBombError:
        raise Refused("image_too_large", f"image has more than {limits['max_pixels']} pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise Refused("image_broken", f"broken image: {type(exc).__name__}") from None
    image.info["frames"] = frames
    return image


def pdq_of(image: Any) -> tuple[str, int]:
    """ThreatExchange's PDQ hex (64 lowercase hex digits, first bit most significant) and quality."""
    import numpy as np
    import pdqhash

    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if max(rgb.size) > _PDQ_SIDE:  # PDQ downsamples to 64×64 anyway; hashing 36 MP takes seconds
        rgb = rgb.copy()
        rgb.thumbnail((_PDQ_SIDE, _PDQ_SIDE))
    vector, quality = pdqhash.compute(np.asarray(rgb))
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex(), int(quality)


def _read(image: Any, lang: str, timeout_s: float, upscale: bool) -> tuple[str, list[list[int]], float]:
    """The text read from the image, its words as ``[start, end, x, y, w, h]`` (character span in the
    text, box in the image's pixels; lines end with a newline, blocks with a blank line), and the
    words' mean confidence (0-100). ``upscale``: a small image is read at twice its size."""
    import pytesseract

    gray = image.convert("L")
    scale = 2 if upscale and max(gray.size) < _UPSCALE_BELOW else 1
    if scale > 1:
        gray = gray.resize((gray.width * 2, gray.height * 2))
    data = pytesseract.image_to_data(gray, lang=lang, config="--psm 3", timeout=max(1.0, timeout_s),
                                     output_type=pytesseract.Output.DICT)
    if any(has_arabic(str(t)) for t in data["text"]):
        arabic_commas(gray, data)
    confidences = [float(c) for c, t in zip(data["conf"], data["text"], strict=True)
                   if float(c) >= 0 and str(t).strip()]
    text, words = assemble(data, scale)
    return text, words, sum(confidences) / len(confidences) if confidences else 0.0


#: a mark Tesseract read as "." that is at least this much taller than wide is a comma
COMMA_RATIO = 1.5


def _last_mark(ink: Any) -> tuple[int, int] | None:
    """The height and width of the leftmost mark in a word's box (``ink``: a boolean array, True on
    ink): the columns from the first inked one up to the first blank one, and the rows they ink.
    None when the mark reaches the box's far side (no gap after it: not a separate mark)."""
    import numpy as np

    columns = np.flatnonzero(ink.any(axis=0))
    if columns.size == 0:
        return None
    first = int(columns[0])
    gaps = np.flatnonzero(~ink[:, first:].any(axis=0))
    if gaps.size == 0:
        return None
    width = int(gaps[0])
    rows = np.flatnonzero(ink[:, first:first + width].any(axis=1))
    return int(rows[-1] - rows[0] + 1), width


def arabic_commas(gray: Any, data: dict[str, list[Any]]) -> None:
    """Put back the Arabic comma ("،") that Tesseract's Arabic models read as ".": in a word with an
    Arabic letter or of Eastern Arabic digits, the mark at its end (its left side, right to left) is
    looked at in the image, and one taller than wide is a comma. An address's parts are set off by
    commas; read as full stops they end it there. Changes ``data["text"]`` in place."""
    import numpy as np

    pixels = None
    for i, word in enumerate(data["text"]):
        word = str(word or "").strip()
        if len(word) < 2 or "." not in (word[0], word[-1]) or not (has_arabic(word) or eastern_number(word)):
            continue
        if pixels is None:
            pixels = np.asarray(gray)
            pixels = pixels < (int(pixels.min()) + int(pixels.max())) // 2
        x, y, w, h = (int(data[k][i]) for k in ("left", "top", "width", "height"))
        mark = _last_mark(pixels[max(0, y - h // 4):y + h + h // 4, x:x + min(w, h)])
        if mark is not None and mark[0] >= COMMA_RATIO * mark[1] and mark[0] < h * 0.6:
            data["text"][i] = word[:-1] + "،" if word[-1] == "." else word[1:] + "،"


def read_best(image: Any, lang: str, deadline: float, low: float) -> tuple[str, list[list[int]]]:
    """The image read at twice its size when small and, when that reading's words' mean confidence
    is below ``low``, at its own size too; the more confident reading is kept. Tesseract now and
    then finds no line at all in an upscaled one-line screenshot, and the Arabic script model
    turned whole lines of a viewer's page into nonsense at twice the size."""
    text, words, confidence = _read(image, lang, deadline - time.monotonic() - 0.5, True)
    if confidence < low and max(image.size) < _UPSCALE_BELOW and deadline - time.monotonic() > 1.5:
        other = _read(image, lang, deadline - time.monotonic() - 0.5, False)
        if other[2] > confidence:
            return other[0], other[1]
    return text, words


def _arabic_share(text: str) -> bool:
    """Enough Arabic letters to read the page again for them: at least 3, a fifth of the letters
    (a line of Eastern Arabic digits read as Latin letters, "YVEY", still qualifies)."""
    letters = [c for c in text if c.isalpha()]
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff")
    return arabic >= 3 and arabic >= 0.2 * len(letters)


_LANGS: list[set[str]] = []


def _second_lang(lang: str) -> str | None:
    """The languages for an Arabic page's second reading: Debian's Arabic script model
    (``tesseract-ocr-script-arab``: it reads Eastern Arabic digits, which ``ara`` mostly misses), or
    else ``ara`` first; None when Arabic is not among ``lang``."""
    first, _, others = lang.partition("+")
    if "ara" not in (first, *others.split("+")):
        return None
    if not _LANGS:  # pytesseract.get_languages leaves out capitalised (script) models
        import subprocess

        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10).stdout
        _LANGS.append({line.strip() for line in listed.splitlines()[1:]})
    if "Arabic" in _LANGS[0]:
        return "Arabic"
    return "+".join(["ara", *(x for x in (first, *others.split("+")) if x and x != "ara")])


def read_page(image: Any, request: dict[str, Any], deadline: float) -> dict[str, Any]:
    page: dict[str, Any] = {"width": image.width, "height": image.height,
                            "frames": int(image.info.get("frames", 1)), "format": image.format or ""}
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGBA").convert("RGB") if "A" in image.mode or image.mode == "P" \
            else image.convert("RGB")
    page["pdq"], page["quality"] = pdq_of(image)
    page["text"], page["words"] = "", []
    if request.get("ocr"):
        left = deadline - time.monotonic()
        if left < 1.0:
            page["ocr_error"] = "no time left for OCR"
            return page
        try:
            lang = str(request.get("lang", "eng"))
            page["text"], page["words"] = read_best(image, lang, deadline, low=1.0)  # again only if empty
            second = _second_lang(lang) if _arabic_share(page["text"]) else None
            if second and second != lang and deadline - time.monotonic() > 1.5:
                # an Arabic page: read again for Arabic (its digits and words beat English's guesses)
                page["text"], page["words"] = read_best(image, second, deadline, LOW_CONFIDENCE)
        except RuntimeError as exc:  # pytesseract's timeout
            page["ocr_error"] = "OCR took too long" if "timeout" in str(exc).lower() else "OCR failed"
        except Exception as exc:  # tesseract missing, killed for memory, garbage output
            page["ocr_error"] = f"OCR failed: {type(exc).__name__}"
    return page


def read_pdf(data: bytes, request: dict[str, Any], deadline: float) -> dict[str, Any]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        return {"ok": False, "code": "pdf_broken", "message": f"broken PDF: {str(exc)[:100]}"}
    count = len(document)
    first = max(1, int(request.get("first_page", 1)))
    last = min(count, first - 1 + int(request["max_pages"]))
    pages = []
    for number in range(first, last + 1):
        bitmap = document[number - 1].render(scale=float(request.get("dpi", 150)) / 72)
        image = bitmap.to_pil()
        image.format = "PDF"
        page = read_page(image, request, deadline)
        page["page"] = number
        pages.append(page)
        if time.monotonic() > deadline:
            break
    return {"ok": True, "pages": pages, "page_count": count}


def paint(image: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The first frame with each box blacked out (``style`` black) or blurred (blur), as PNG."""
    from PIL import ImageDraw, ImageFilter

    canvas = image.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    pad = int(request.get("pad", 2))
    for x, y, w, h in request.get("boxes", []):
        box = (max(0, x - pad), max(0, y - pad), min(canvas.width, x + w + pad), min(canvas.height, y + h + pad))
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        if request.get("style") == "blur":
            region = canvas.crop(box).filter(ImageFilter.GaussianBlur(max(6, (box[3] - box[1]) // 2)))
            canvas.paste(region.filter(ImageFilter.BoxBlur(4)), box[:2])
        else:
            draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill="black")
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return {"ok": True, "png_b64": base64.b64encode(out.getvalue()).decode("ascii")}


def answer(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + float(request["timeout_s"])
    if request.get("kind") == "pdf":
        return read_pdf(data, request, deadline)
    try:
        image = open_first_frame(data, request)
    except Refused as refused:
        return {"ok": False, "code": refused.code, "message": refused.message}
    if request.get("kind") == "paint":
        return paint(image, request)
    return {"ok": True, "pages": [read_page(image, request, deadline)]}


def _serve() -> None:
    import numpy  # noqa: F401  (import once, before the first image)
    import PIL.Image  # noqa: F401

    worker = _sibling("pdfworker")  # the shared child loop (standard library only)
    worker.serve(answer, "image_too_large", "image_broken", "image")


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()
