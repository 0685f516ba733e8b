"""Private information blacked out of an image: OCR finds the words, the PII finder the private
values among them, and their word boxes are painted over (in a limited child, like any decoding)."""

from __future__ import annotations

from dataclasses import dataclass

from leakwarden.links.ocr import ImageError, ImageLimits, ImageRead, paint_regions, read_image
from leakwarden.signals.pii.find import find_pii


@dataclass(frozen=True)
class RedactedImage:
    png: bytes
    regions: list[tuple[int, int, int, int]]
    labels: list[str]
    ocr_error: str | None = None


def private_regions(read: ImageRead, *, regions: tuple[str, ...] = ("US", "SA", "AE", "EG"),
                    min_confidence: float = 0.5) -> tuple[list[tuple[int, int, int, int]], list[str]]:
    """The boxes of the first page's private values, and their labels."""
    boxes: list[tuple[int, int, int, int]] = []
    labels: list[str] = []
    for finding in find_pii(read.first.text, regions=regions, min_confidence=min_confidence):
        found = read.first.regions(finding.start, finding.end)
        boxes.extend(found)
        labels.extend([finding.label] * bool(found))
    return boxes, labels


def redact_image(data: bytes, *, regions: tuple[str, ...] = ("US", "SA", "AE", "EG"), min_confidence: float = 0.5,
                 limits: ImageLimits | None = None) -> RedactedImage:
    """The image as PNG with its private regions blacked out. Raises ImageError; an image whose
    OCR failed is an error too (nothing could be checked, so nothing is vouched for)."""
    read = read_image(data, limits)
    if read.first.ocr_error:
        raise ImageError(f"the image could not be read: {read.first.ocr_error}", "ocr_failed")
    boxes, labels = private_regions(read, regions=regions, min_confidence=min_confidence)
    return RedactedImage(png=paint_regions(data, boxes, style="black", limits=limits), regions=boxes, labels=labels)
