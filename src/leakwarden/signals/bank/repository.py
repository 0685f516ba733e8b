"""Banks: the library API over the database (create banks; add, disable, enable, remove items).

Every change also appends to the change feed (``lw_bank_change``) in the same transaction, which
is how every :class:`~leakwarden.signals.bank.index.BankIndex` (in this process or another) picks
it up within its poll interval.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leakwarden.errors import Conflict, InvalidInput, NotFound
from leakwarden.signals.bank import changes, extract
from leakwarden.signals.bank.anchors import anchor_hashes
from leakwarden.signals.bank.embed import Embedder, embedder_from_env
from leakwarden.signals.bank.numbers import number_hashes
from leakwarden.signals.bank.sketch import pack_fingerprints, sketch
from leakwarden.signals.bank.tables import BankRow, ChangeRow, ItemRow, PassageRow
from leakwarden.store.db import Database

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_ITEM_ID = re.compile(r"^[^\s/\\][^/\\]{0,199}$")
MAX_ITEM_CHARS = 5_000_000


class BankInfo(BaseModel):
    name: str
    label: str
    description: str = ""
    created_at: datetime
    items: int = 0


class ItemInfo(BaseModel):
    bank: str
    id: str
    title: str = ""
    source: str
    origin: str = ""
    lang: str = ""
    words: int = 0
    enabled: bool = True
    has_text: bool = True
    embedder: str | None = None
    added_at: datetime


def _item_info(bank: str, row: ItemRow) -> ItemInfo:
    return ItemInfo(bank=bank, id=row.ext_id, title=row.title, source=row.source, origin=row.origin,
                    lang=row.lang, words=row.words, enabled=row.enabled, has_text=row.text is not None,
                    embedder=row.embedder, added_at=row.added_at)


class Banks:
    """``Banks(db)``; pass ``embedder=None`` with ``embed=False`` to store items without vectors
    (the cross-lingual stage then skips them)."""

    def __init__(self, db: Database, embedder: Embedder | None = None, *, embed: bool = True) -> None:
        import leakwarden.signals.bank.tables  # noqa: F401  (register the models)

        self.db = db
        self._embedder = embedder
        self._embed = embed

    @property
    def embedder(self) -> Embedder | None:
        if self._embedder is None and self._embed:
            self._embedder = embedder_from_env()
            self._embed = self._embedder is not None
        return self._embedder

    # banks ---------------------------------------------------------------------------------
    def create(self, name: str, label: str, description: str = "") -> BankInfo:
        if not _NAME.match(name or ""):
            raise InvalidInput("bank name must be 1-100 letters, digits, '_', '.' or '-'")
        if not label or not label.strip() or len(label) > 200:
            raise InvalidInput("a bank needs a provenance label (1-200 characters)")
        if len(description) > 10_000:
            raise InvalidInput("bank description is longer than 10000 characters")
        try:
            with self.db.session() as s:
                row = BankRow(name=name, label=label.strip(), description=description)
                s.add(row)
                s.flush()
                return BankInfo(name=row.name, label=row.label, description=row.description,
                                created_at=row.created_at)
        except IntegrityError as exc:
            raise Conflict(f"bank {name!r} already exists") from exc

    def list_banks(self) -> list[BankInfo]:
        with self.db.session() as s:
            counts = dict(s.execute(select(ItemRow.bank_id, func.count()).group_by(ItemRow.bank_id)).all())
            return [BankInfo(name=b.name, label=b.label, description=b.description,
                             created_at=b.created_at, items=counts.get(b.id, 0))
                    for b in s.scalars(select(BankRow).order_by(BankRow.name))]

    def get(self, name: str) -> BankInfo:
        for b in self.list_banks():
            if b.name == name:
                return b
        raise NotFound(f"no bank named {name!r}")

    def _bank(self, s: Session, name: str) -> BankRow:
        row = s.scalar(select(BankRow).where(BankRow.name == name))
        if row is None:
            raise NotFound(f"no bank named {name!r}")
        return row

    # items ---------------------------------------------------------------------------------
    def items(self, bank: str) -> list[ItemInfo]:
        with self.db.session() as s:
            b = self._bank(s, bank)
            rows = s.scalars(select(ItemRow).where(ItemRow.bank_id == b.id).order_by(ItemRow.id))
            return [_item_info(bank, r) for r in rows]

    def added_since(self, since: datetime) -> list[ItemInfo]:
        """Enabled items of every bank added at or after ``since`` (for retro-scans)."""
        with self.db.session() as s:
            rows = s.execute(select(BankRow.name, ItemRow).join(BankRow, BankRow.id == ItemRow.bank_id)
                             .where(ItemRow.added_at >= since, ItemRow.enabled.is_(True))
                             .order_by(ItemRow.id)).all()
            return [_item_info(name, row) for name, row in rows]

    def add_text(self, bank: str, text: str, *, item_id: str | None = None, title: str = "",
                 source: str = "text", origin: str = "", data: bytes | None = None,
                 lang: str | None = None) -> ItemInfo:
        """Add a KnownItem from its text (``data``: the original bytes, for the byte hash)."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("an item needs some text")
        if len(text) > MAX_ITEM_CHARS:
            raise InvalidInput(f"item text is longer than {MAX_ITEM_CHARS} characters")
        sk = sketch(text, data, lang)
        if not sk.toks:
            raise InvalidInput("the item text has no words to match on")
        ext = item_id or f"item-{sk.sha256_text[:12]}"
        if not _ITEM_ID.match(ext):
            raise InvalidInput("item id must be 1-200 characters, no slashes, not starting with a space")
        fp_h, fp_p = sk.fingerprints()
        mh = sk.minhash()
        passages = sk.passages()
        vectors: np.ndarray | None = None
        emb = self.embedder
        if emb is not None and passages:
            vectors = emb.embed([p.text for p in passages])
        try:
            with self.db.session() as s:
                b = self._bank(s, bank)
                row = ItemRow(bank_id=b.id, ext_id=ext, title=title[:500], source=source,
                              origin=origin[:2000], lang=sk.lang, text=text, words=len(sk.toks),
                              sha256_bytes=sk.sha256_bytes, sha256_text=sk.sha256_text,
                              minhash=mh.astype("<u4").tobytes() if mh is not None else None,
                              fingerprints=pack_fingerprints(fp_h, fp_p),
                              numbers=" ".join(sorted(number_hashes(sk.numbers()))),
                              anchors=" ".join(sorted(anchor_hashes(sk.keys()))),
                              names=" ".join(sorted(anchor_hashes(sk.names()))),
                              embedder=emb.name if vectors is not None and emb is not None else None)
                s.add(row)
                s.flush()
                if vectors is not None:
                    s.add_all(PassageRow(item_id=row.id, seq=i, start=p.start, end=p.end, words=p.words,
                                         lang=sk.lang, vector=vectors[i].astype("<f4").tobytes())
                              for i, p in enumerate(passages))
                s.add(ChangeRow(item_id=row.id, op="add"))
                s.flush()
                info = _item_info(bank, row)
            changes.notify()
            return info
        except IntegrityError as exc:
            raise Conflict(f"bank {bank!r} already has an item {ext!r}") from exc

    def add_bytes(self, bank: str, data: bytes, *, name: str = "", content_type: str = "",
                  item_id: str | None = None, source: str = "file", origin: str = "") -> ItemInfo:
        text = extract.text_of(data, name, content_type)
        return self.add_text(bank, text, item_id=item_id, title=Path(name).stem if name else "",
                             source=source, origin=origin or name, data=data)

    def add_file(self, bank: str, path: str | Path, *, item_id: str | None = None) -> ItemInfo:
        data, text = extract.read_file(path)
        p = Path(path)
        return self.add_text(bank, text, item_id=item_id or p.stem, title=p.stem, source="file",
                             origin=p.name, data=data)

    def add_url(self, bank: str, url: str, *, item_id: str | None = None) -> ItemInfo:
        """Fetch ``url`` through the SSRF-safe fetcher (``leakwarden.links.fetch``) and add it."""
        from leakwarden.errors import FetchError
        from leakwarden.links.fetch import Fetcher

        fetcher = Fetcher()
        current = url
        try:
            for _ in range(fetcher.settings.max_redirects + 1):
                response = fetcher.get(current)  # every hop is checked again (scheme, port, address)
                if response.status not in (301, 302, 303, 307, 308) or not response.location:
                    break
                current = urljoin(current, response.location)
            else:
                raise FetchError(f"{url}: more than {fetcher.settings.max_redirects} redirects",
                                 code="too_many_redirects")
        finally:
            fetcher.close()
        if response.status >= 400 or not response.body:
            raise FetchError(f"{url}: HTTP {response.status}, nothing to add")
        name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return self.add_bytes(bank, response.body, name=name, content_type=response.media_type or "",
                              item_id=item_id, source="url", origin=url)

    def _set(self, bank: str, item: str, op: str) -> ItemInfo:
        with self.db.session() as s:
            b = self._bank(s, bank)
            row = s.scalar(select(ItemRow).where(ItemRow.bank_id == b.id, ItemRow.ext_id == item))
            if row is None:
                raise NotFound(f"bank {bank!r} has no item {item!r}")
            info = _item_info(bank, row)
            if op == "remove":
                s.delete(row)
            else:
                row.enabled = op == "enable"
                info.enabled = row.enabled
            s.add(ChangeRow(item_id=row.id, op=op))
        changes.notify()
        return info

    def disable(self, bank: str, item: str) -> ItemInfo:
        return self._set(bank, item, "disable")

    def enable(self, bank: str, item: str) -> ItemInfo:
        return self._set(bank, item, "enable")

    def remove(self, bank: str, item: str) -> ItemInfo:
        return self._set(bank, item, "remove")
