"""Image attachments become subjects (their OCR text, their reading), and findings on them point to
regions of the image.

An attachment is an image when its content type says so or its bytes start like a PNG, JPEG, WebP or
GIF. Its subject's text is what OCR read, then the text the client sent with it (a caption), so the
spans of a finding in the OCR part map back to word boxes. An image that cannot be read keeps the
client's text and carries the :class:`Unread` reason; a detector can report it.
"""

from __future__ import annotations

from dataclasses import dataclass

from leakwarden.errors import InvalidURL
from leakwarden.links.ocr import PAGE_BREAK, ImageError, ImageLimits, ImageRead, is_image, read_image
from leakwarden.links.url import canonicalize, extract_urls
from leakwarden.model import Attachment, Signal, Subject, SubjectKind, Surface

MAX_URLS_PER_IMAGE = 20


@dataclass(frozen=True)
class Unread:
    """Why an image subject has no reading."""

    code: str
    message: str


def attachment_subject(attachment: Attachment, content: bytes | None, surface: Surface,
                       limits: ImageLimits | None = None) -> Subject:
    """The subject of one attachment: read with OCR when it is an image."""
    path = ["post", f"attachment:{attachment.name}"]
    caption = attachment.text or ""
    if content is None or not is_image(attachment.content_type, content):
        return Subject(kind=SubjectKind.ATTACHMENT, text=caption, content=content, path=path, surface=surface)
    try:
        read = read_image(content, limits)
    except ImageError as exc:
        return Subject(kind=SubjectKind.ATTACHMENT, text=caption, content=content, path=path, surface=surface,
                       image=Unread(exc.code, exc.message))
    text = read.text + (PAGE_BREAK + caption if caption and read.text else caption)
    return Subject(kind=SubjectKind.ATTACHMENT, text=text, content=content, path=path, surface=surface, image=read)


def url_subjects(subjects: list[Subject]) -> list[Subject]:
    """The URLs written in images (a screenshot of a post with its link), as LINK subjects for the
    URL rules: judged, never fetched."""
    found: list[Subject] = []
    for subject in subjects:
        if not isinstance(subject.image, ImageRead) or not subject.text:
            continue
        seen: set[str] = set()
        for url in extract_urls(subject.text)[:MAX_URLS_PER_IMAGE]:
            try:
                canonical = canonicalize(url)
            except InvalidURL:
                continue
            if canonical not in seen:
                seen.add(canonical)
                found.append(Subject(kind=SubjectKind.LINK, url=canonical, path=[*subject.path, canonical],
                                     surface=subject.surface))
    return found


def locate(subject: Subject, signals: list[Signal]) -> None:
    """Give each span of a private-information finding on an image subject its image regions:
    ``data["regions"]`` as ``[x, y, w, h]`` boxes in the image's pixels (``[page, x, y, w, h]`` for
    a scanned PDF's pages), and the image's size."""
    read = subject.image
    if not isinstance(read, ImageRead):
        return
    for signal in signals:
        if signal.kind != "pii":
            continue
        for evidence in signal.evidence:
            if evidence.span is None:
                continue
            found = read.regions(evidence.span[0], evidence.span[1])
            if not found:
                continue
            if len(read.pages) > 1:
                evidence.data["regions"] = [[page + 1, *box] for page, box in found]
            else:
                evidence.data["regions"] = [list(box) for _, box in found]
            evidence.data["image"] = {"sha256": read.sha256, "width": read.first.width, "height": read.first.height}
