"""Text out of an item's file: PDF (pypdf), HTML (trafilatura), plain text (UTF-8)."""

from __future__ import annotations

import io
from pathlib import Path

from leakwarden.errors import InvalidInput

MAX_FILE_BYTES = 50 * 1024 * 1024


def kind_of(data: bytes, name: str = "", content_type: str = "") -> str:
    low = name.lower()
    ct = content_type.lower()
    head = data[:1024].lstrip().lower()
    if data.startswith(b"%PDF") or low.endswith(".pdf") or "pdf" in ct:
        return "pdf"
    if "html" in ct or low.endswith((".html", ".htm")) or head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


def text_of(data: bytes, name: str = "", content_type: str = "") -> str:
    """The text of a file's bytes; raises InvalidInput when there is none to match on."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"{name or 'file'}: larger than {MAX_FILE_BYTES} bytes")
    kind = kind_of(data, name, content_type)
    if kind == "pdf":
        text = _pdf_text(data, name)
    elif kind == "html":
        text = _html_text(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{name or 'file'}: not UTF-8 text, PDF or HTML") from exc
        if "\x00" in text:
            raise InvalidInput(f"{name or 'file'}: binary file, not text, PDF or HTML")
    if not text.strip():
        raise InvalidInput(f"{name or 'file'}: no text could be extracted")
    return text


def read_file(path: str | Path) -> tuple[bytes, str]:
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"no such file: {p}")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{p}: larger than {MAX_FILE_BYTES} bytes")
    data = p.read_bytes()
    return data, text_of(data, p.name)


def _pdf_text(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "") for page in reader.pages[:2000])
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInput(f"{name or 'file'}: unreadable PDF ({type(exc).__name__})") from exc


def _html_text(data: bytes) -> str:
    import trafilatura

    html = data.decode("utf-8", errors="replace")
    text = trafilatura.extract(html, include_comments=False, favor_recall=True) or ""
    if not text.strip():  # a bare fragment: fall back to the tag-stripped text
        import re

        text = re.sub(r"<[^>]+>", " ", html)
    return text
