"""Screenshots made from text, for the demo, the tests and ``bench/bench_images.py``: lines drawn
with Pillow in Debian's fonts (DejaVu Sans, whose Arabic is shaped right to left by libraqm; Noto
Naskh lacks glyphs such as "/"), and the ways screenshots and phone photos degrade (scale, JPEG, blur, crop, rotation,
app chrome around them). Nothing is downloaded: without the fonts (``make tesseract`` installs
them) Pillow's built-in font is used."""

from __future__ import annotations

import io
import textwrap
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
LATIN_FONT = "DejaVuSans.ttf"
ARABIC_FONT = "DejaVuSans.ttf"


def is_arabic(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("\u0600" <= c <= "\u06ff" for c in letters) > len(letters) / 3


@cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for folder in FONT_DIRS:
        path = folder / name
        if path.is_file():
            return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM
                                      if features.check("raqm") else ImageFont.Layout.BASIC)
    return ImageFont.load_default(size)


def render(text: str, *, width: int = 1000, size: int = 20, margin: int = 24, max_lines: int = 60) -> Image.Image:
    """The text as a white page with black lines, wrapped to ``width`` pixels; Arabic right-aligned."""
    arabic = is_arabic(text)
    face = font(ARABIC_FONT if arabic else LATIN_FONT, size)
    chars = max(20, int((width - 2 * margin) / (size * 0.52)))
    lines: list[str] = []
    for paragraph in text.splitlines():
        lines.extend(textwrap.wrap(paragraph, chars) or [""])
    lines = lines[:max_lines]
    step = int(size * (1.9 if arabic else 1.5))
    image = Image.new("RGB", (width, 2 * margin + step * max(1, len(lines))), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        y = margin + i * step
        if arabic:
            length = draw.textlength(line, font=face, direction="rtl", language="ar")
            draw.text((width - margin - length, y), line, fill="black", font=face, direction="rtl", language="ar")
        else:
            draw.text((margin, y), line, fill="black", font=face)
    return image


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def with_chrome(image: Image.Image) -> Image.Image:
    """The page inside an app's window: a title bar, a side panel and a status line around it."""
    top, left, bottom = 70, 180, 40
    framed = Image.new("RGB", (image.width + left + 20, image.height + top + bottom), (236, 238, 242))
    draw = ImageDraw.Draw(framed)
    draw.rectangle((0, 0, framed.width, 48), fill=(40, 44, 52))
    draw.text((16, 14), "Files - Shared with me", fill="white", font=font(LATIN_FONT, 18))
    for i, label in enumerate(("Inbox", "Drafts", "Leaks", "Archive")):
        draw.text((16, top + 20 + i * 34), label, fill=(60, 60, 60), font=font(LATIN_FONT, 16))
    framed.paste(image, (left, top))
    draw.text((left, framed.height - 30), "12:41  ·  100%", fill=(90, 90, 90), font=font(LATIN_FONT, 14))
    return framed


def degrade(image: Image.Image, how: str) -> Image.Image:
    """One of the ways a screenshot degrades: ``clean``, ``scaled``, ``jpeg``, ``blur``, ``crop``,
    ``rotated``, ``chrome`` or ``photo`` (rotated, blurred, scaled and compressed at once)."""
    if how == "clean":
        return image
    if how == "scaled":
        return image.resize((int(image.width * 0.75), int(image.height * 0.75)), Image.Resampling.BILINEAR)
    if how == "jpeg":
        return Image.open(io.BytesIO(encoded(image, "JPEG", quality=45))).convert("RGB")
    if how == "blur":
        return image.filter(ImageFilter.GaussianBlur(0.8))
    if how == "crop":
        w, h = image.size
        return image.crop((int(w * 0.04), int(h * 0.05), int(w * 0.97), int(h * 0.9)))
    if how == "rotated":
        return image.rotate(1.5, expand=True, fillcolor="white", resample=Image.Resampling.BICUBIC)
    if how == "chrome":
        return with_chrome(image)
    if how == "photo":
        photo = image.rotate(2.0, expand=True, fillcolor=(200, 200, 196), resample=Image.Resampling.BICUBIC)
        photo = photo.filter(ImageFilter.GaussianBlur(0.7))
        photo = photo.resize((int(photo.width * 0.85), int(photo.height * 0.85)), Image.Resampling.BILINEAR)
        return Image.open(io.BytesIO(encoded(photo, "JPEG", quality=60))).convert("RGB")
    raise ValueError(f"unknown degradation {how!r}")


DEGRADATIONS = ("clean", "scaled", "jpeg", "blur", "crop", "rotated", "chrome", "photo")
