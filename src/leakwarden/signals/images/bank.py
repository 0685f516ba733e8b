"""Banked images and banked PDFs' pages: their PDQ and MD5 hashes, kept by bank item, matched, and
exchanged in ThreatExchange's and HMA's formats.

- :meth:`ImageBank.add` banks an image or a PDF. An image's OCR text, a PDF's text (or, for a
  scanned PDF, its pages' OCR text) becomes a bank item like any other, so screenshots of it match
  by text too; the image's PDQ and MD5, and the PDQ of each of the PDF's pages rendered as an image,
  are stored in ``images_hash`` for that item. An image without readable text is an item without
  text, matched by its hashes only.
- :class:`ImageHashIndex` loads the hashes (and, polling, the ones added since) into a
  :class:`~leakwarden.signals.images.pdq.PdqIndex` and an MD5 table.
- Exchange: ``hma`` is python-threatexchange's and HMA's signal file, one ``<signal_type> <value>``
  a line, with the type names ``pdq`` and ``video_md5``; ``te`` is ThreatExchange's descriptor
  JSON, one ``{"indicator", "type": "HASH_PDQ" | "HASH_MD5", "tags", "description"}`` a line.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from leakwarden.errors import Conflict, InvalidInput
from leakwarden.links.ocr import ImageLimits, ImageRead, read_image, read_pdf_pages, sniff_image
from leakwarden.signals.bank import changes, extract
from leakwarden.signals.bank.repository import Banks, ItemInfo
from leakwarden.signals.bank.tables import BankRow, ChangeRow, ItemRow
from leakwarden.signals.images.pdq import DEFAULT_THRESHOLD, PdqIndex, is_pdq
from leakwarden.signals.images.tables import ImageHashRow
from leakwarden.store.db import Database

#: the most pages of a banked PDF rendered and hashed
BANK_PDF_PAGES = 200
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_ITEM_ID = re.compile(r"^[^\s/\\][^/\\]{0,199}$")  # as the bank's own items
_HMA_TYPES = {"pdq": "pdq", "video_md5": "md5", "photo_md5": "md5", "md5": "md5"}
_TE_TYPES = {"HASH_PDQ": "pdq", "HASH_MD5": "md5", "HASH_VIDEO_MD5": "md5"}
FORMATS = ("hma", "te")


@dataclass(frozen=True)
class Banked:
    item: ItemInfo
    hashes: int
    pages: int


@dataclass(frozen=True)
class HashMatch:
    bank: str
    item: str
    label: str
    method: str  # pdq | md5
    distance: int
    page: int | None  # the banked PDF's page that matched


def _words(text: str) -> bool:
    return sum(c.isalpha() for c in text) >= 20


class ImageBank:
    def __init__(self, db: Database, banks: Banks | None = None) -> None:
        self.db = db
        self.banks = banks or Banks(db, embed=False)

    def add(self, bank: str, data: bytes, *, name: str = "", item_id: str | None = None,
            limits: ImageLimits | None = None, text: str | None = None) -> Banked:
        """Bank an image (PNG, JPEG, WebP, GIF) or a PDF: its text as an item, its hashes with it.
        ``text``: the document's text when it is known (else the PDF's text layer, or OCR)."""
        stem = Path(name).stem if name else ""
        ext = item_id or stem or None
        if data.startswith(b"%PDF-") or name.lower().endswith(".pdf"):
            limits = limits or ImageLimits(pdf_max_pages=BANK_PDF_PAGES, timeout_s=300.0)
            try:
                found = extract.text_of(data, name or "file.pdf")
                pages = read_pdf_pages(data, replace(limits, ocr=False))  # hashes only: the text layer is read
            except InvalidInput:
                pages = read_pdf_pages(data, replace(limits, ocr=text is None))
                found = pages.text  # a scanned PDF: its pages' OCR text
            hashes = [("pdq", p.pdq, p.page, p.quality) for p in pages.pages] + [("md5", pages.md5, None, None)]
        elif sniff_image(data[:16]) is not None:
            pages = read_image(data, limits if text is None else replace(limits or ImageLimits(), ocr=False))
            found = pages.text
            hashes = [("pdq", pages.first.pdq, None, pages.first.quality), ("md5", pages.md5, None, None)]
        else:
            raise InvalidInput(f"{name or 'file'}: not an image (PNG, JPEG, WebP, GIF) or a PDF", code="invalid_image")
        text = text if text is not None else found
        if _words(text):
            info = self.banks.add_text(bank, text, item_id=ext, title=stem, source="image", origin=name,
                                       data=data)
        else:
            info = self._textless(bank, ext or f"image-{pages.sha256[:12]}", stem, name, pages)
        with self.db.session() as s:
            row_id = self._item_row(s, bank, info.id)
            s.add_all(ImageHashRow(item_id=row_id, signal_type=kind, value=value, page=page, quality=quality)
                      for kind, value, page, quality in hashes if value)
        return Banked(item=info, hashes=len(hashes), pages=len(pages.pages))

    def _textless(self, bank: str, ext: str, title: str, origin: str, read: ImageRead) -> ItemInfo:
        if not _ITEM_ID.match(ext):
            raise InvalidInput("item id must be 1-200 characters, no slashes, not starting with a space")
        with self.db.session() as s:
            b = s.scalar(select(BankRow).where(BankRow.name == bank))
            if b is None:
                self.banks.get(bank)  # raises NotFound with the usual message
                raise AssertionError
            if s.scalar(select(ItemRow.id).where(ItemRow.bank_id == b.id, ItemRow.ext_id == ext)):
                raise Conflict(f"bank {bank!r} already has an item {ext!r}")
            row = ItemRow(bank_id=b.id, ext_id=ext, title=title[:500], source="image", origin=origin[:2000],
                          text=None, words=0, sha256_bytes=read.sha256, sha256_text="")
            s.add(row)
            s.flush()
            s.add(ChangeRow(item_id=row.id, op="add"))
        changes.notify()
        return next(i for i in self.banks.items(bank) if i.id == ext)

    @staticmethod
    def _item_row(s: Any, bank: str, ext: str) -> int:
        row_id = s.scalar(select(ItemRow.id).join(BankRow, BankRow.id == ItemRow.bank_id)
                          .where(BankRow.name == bank, ItemRow.ext_id == ext))
        assert row_id is not None
        return int(row_id)

    # -- exchange ---------------------------------------------------------------------------
    def export(self, bank: str, fmt: str = "hma") -> Iterator[str]:
        """The bank's image hashes, one line each, in ``hma`` or ``te`` format."""
        if fmt not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
        info = self.banks.get(bank)
        with self.db.session() as s:
            rows = s.execute(select(ImageHashRow.signal_type, ImageHashRow.value, ItemRow.ext_id, ImageHashRow.page)
                             .join(ItemRow, ItemRow.id == ImageHashRow.item_id)
                             .join(BankRow, BankRow.id == ItemRow.bank_id)
                             .where(BankRow.name == bank, ItemRow.enabled.is_(True))
                             .order_by(ImageHashRow.id)).all()
        for kind, value, item, page in rows:
            if fmt == "hma":
                yield f"{'pdq' if kind == 'pdq' else 'video_md5'} {value}"
            else:
                where = f"{bank}/{item}" + (f" page {page}" if page else "")
                yield json.dumps({"indicator": value, "type": "HASH_PDQ" if kind == "pdq" else "HASH_MD5",
                                  "tags": [info.label], "description": where}, ensure_ascii=False)

    def import_lines(self, bank: str, lines: Iterable[str], fmt: str = "hma") -> dict[str, Any]:
        """Hashes from another platform (``hma`` or ``te`` format): one item without text per new
        hash, named ``<type>-<hash prefix>``; hashes the bank already holds are skipped."""
        if fmt not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
        signals = [s for s in (_parse_line(line, n, fmt) for n, line in enumerate(lines, 1)) if s]
        added = skipped = 0
        with self.db.session() as s:
            b = s.scalar(select(BankRow).where(BankRow.name == bank))
            if b is None:
                self.banks.get(bank)
                raise AssertionError
            held = {(kind, value) for kind, value in s.execute(
                select(ImageHashRow.signal_type, ImageHashRow.value).join(ItemRow, ItemRow.id == ImageHashRow.item_id)
                .where(ItemRow.bank_id == b.id))}
            for kind, value in signals:
                ext = f"{kind}-{value[:16]}"
                if (kind, value) in held or s.scalar(select(ItemRow.id).where(ItemRow.bank_id == b.id,
                                                                              ItemRow.ext_id == ext)):
                    skipped += 1
                    continue
                held.add((kind, value))
                row = ItemRow(bank_id=b.id, ext_id=ext, title="", source="import", origin=f"{fmt} import",
                              text=None, words=0, sha256_text="")
                s.add(row)
                s.flush()
                s.add(ImageHashRow(item_id=row.id, signal_type=kind, value=value))
                s.add(ChangeRow(item_id=row.id, op="add"))
                added += 1
        changes.notify()
        return {"bank": bank, "added": added, "skipped": skipped}


def _parse_line(line: str, n: int, fmt: str) -> tuple[str, str] | None:
    if not line.strip():
        return None
    if fmt == "hma":
        name, _, value = line.strip().partition(" ")
        kind = _HMA_TYPES.get(name.strip().lower())
        if kind is None:
            raise InvalidInput(f"line {n}: unknown signal type {name[:40]!r} (pdq, video_md5, photo_md5)",
                               code="invalid_signal")
    else:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {n}: not valid JSON ({exc.msg})", code="invalid_signal") from None
        if not isinstance(record, dict) or not isinstance(record.get("indicator"), str):
            raise InvalidInput(f'line {n}: expected {{"indicator", "type"}}', code="invalid_signal")
        kind = _TE_TYPES.get(str(record.get("type", "")).upper())
        if kind is None:
            raise InvalidInput(f"line {n}: unknown indicator type {str(record.get('type'))[:40]!r} "
                               "(HASH_PDQ, HASH_MD5)", code="invalid_signal")
        value = record["indicator"]
    value = value.strip().lower()
    if not (is_pdq(value) if kind == "pdq" else _MD5.match(value)):
        raise InvalidInput(f"line {n}: {value[:70]!r} is not a {kind} hash", code="invalid_signal")
    return kind, value


class ImageHashIndex:
    """Every banked hash, in memory; new rows are picked up by polling (at most every ``poll_s``)."""

    def __init__(self, db: Database, *, poll_s: float = 1.0, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.db = db
        self.poll_s = poll_s
        self.threshold = threshold
        self.pdq = PdqIndex()
        self._md5: dict[str, list[int]] = {}
        self._rows: dict[int, tuple[int, int | None]] = {}  # hash row → (item row, page)
        self._last = 0
        self._checked = 0.0
        self._lock = threading.Lock()

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.poll_s:
            return
        with self._lock:
            self._checked = now
            with self.db.session() as s:
                newest = s.scalar(select(func.max(ImageHashRow.id))) or 0
                if newest <= self._last:
                    return
                rows = s.execute(select(ImageHashRow.id, ImageHashRow.item_id, ImageHashRow.signal_type,
                                        ImageHashRow.value, ImageHashRow.page)
                                 .where(ImageHashRow.id > self._last).order_by(ImageHashRow.id)).all()
            pdq_ids, pdq_values = [], []
            for row_id, item_id, kind, value, page in rows:
                self._rows[row_id] = (item_id, page)
                if kind == "pdq":
                    pdq_ids.append(row_id)
                    pdq_values.append(value)
                else:
                    self._md5.setdefault(value, []).append(row_id)
            self.pdq.add(pdq_ids, pdq_values)
            self._last = max(self._last, rows[-1][0] if rows else 0)

    def match(self, read: ImageRead, *, min_quality: int = 50) -> list[HashMatch]:
        """The banked items this image (or any of its pages) matches: by MD5, or by PDQ within the
        threshold (pages whose PDQ quality is below ``min_quality`` are not matched by PDQ)."""
        self.refresh()
        hits: dict[int, tuple[str, int, int | None]] = {}  # item row → best (method, distance, page)
        for row_id in self._md5.get(read.md5, []):
            item, page = self._rows[row_id]
            hits[item] = ("md5", 0, page)
        for page_read in read.pages:
            if not page_read.pdq or page_read.quality < min_quality:
                continue
            for row_id, dist in self.pdq.query(page_read.pdq, self.threshold):
                item, page = self._rows[row_id]
                if item not in hits or hits[item][1] > dist:
                    hits[item] = ("pdq", dist, page)
        if not hits:
            return []
        with self.db.session() as s:
            items = s.execute(select(ItemRow.id, ItemRow.ext_id, BankRow.name, BankRow.label)
                              .join(BankRow, BankRow.id == ItemRow.bank_id)
                              .where(ItemRow.id.in_(list(hits)), ItemRow.enabled.is_(True))).all()
        found = [HashMatch(bank=bank, item=ext, label=label, method=hits[row][0], distance=hits[row][1],
                           page=hits[row][2]) for row, ext, bank, label in items]
        return sorted(found, key=lambda m: (m.distance, m.bank, m.item))
