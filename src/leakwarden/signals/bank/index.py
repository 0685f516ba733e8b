"""BankIndex: every enabled item of every bank, in memory, matched by the four-stage cascade.

The index follows the change feed (``lw_bank_change``): :meth:`BankIndex.refresh` reads the
largest ``seq`` (one indexed query), and only when it moved loads the new changes: added items'
rows and passages, enable/disable flags, removals. Nothing is rebuilt when an item is added;
:meth:`reload` (a full rebuild from the database) replaces every structure, so memory does not
grow from one reload to the next.

Cascade (each stage only for items not matched by an earlier one):
1. exact: SHA-256 of the bytes, of the normalized text;
2. near_duplicate: MinHash LSH (``minhash``);
3. excerpt: winnowed word k-gram fingerprints, located in both texts (``excerpt``);
4. semantic: passage embeddings in a usearch index, candidates verified document-wide
   (``verify``); gated: only texts of ``semantic_min_words``+ words with no earlier match pay
   for embeddings.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select

from leakwarden.signals.bank import changes, excerpt
from leakwarden.signals.bank.center import center, means_for
from leakwarden.signals.bank.embed import Embedder
from leakwarden.signals.bank.minhash import MinHashLSH
from leakwarden.signals.bank.sketch import Sketch, sketch, unpack_fingerprints
from leakwarden.signals.bank.sortedmap import SortedMultiMap
from leakwarden.signals.bank.tables import BankRow, ChangeRow, ItemRow, PassageRow
from leakwarden.signals.bank.thresholds import DEFAULT, Thresholds
from leakwarden.signals.bank.verify import YEAR_HASHES, number_agreement, number_hashes, numbers, verify
from leakwarden.store.db import Database

_POS_MASK = (1 << excerpt.POS_BITS) - 1


@dataclass(slots=True)
class ItemMeta:
    row: int
    bank: str
    item: str
    label: str
    lang: str
    enabled: bool
    has_text: bool
    words: int
    added_at: datetime
    sha_bytes: str | None
    sha_text: str
    numbers: frozenset[str] = frozenset()


@dataclass
class Match:
    bank: str
    item: str
    label: str
    method: str  # exact | near_duplicate | excerpt | semantic
    score: float
    passages: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"bank": self.bank, "item": self.item, "method": self.method,
                "score": round(self.score, 4), "label": self.label, "passages": self.passages,
                **({"details": self.details} if self.details else {})}


def _span(text: str | None, start: int, end: int) -> dict[str, Any]:
    return {"start": start, "end": end, "text": text[start:end] if text is not None else None}


class _Vectors:
    """Passage vectors: a usearch index (key = passage row id) plus per-item matrices."""

    def __init__(self) -> None:
        from usearch.index import Index

        self.dim: int | None = None
        self.embedder: str | None = None
        self._Index = Index
        self.index: Any = None
        self.by_item: dict[int, tuple[np.ndarray, list[tuple[int, int, int]], np.ndarray]] = {}
        self.owner: dict[int, int] = {}  # passage id -> item row

    def add(self, item: int, embedder: str, pids: np.ndarray, vecs: np.ndarray,
            spans: list[tuple[int, int, int]]) -> None:
        if self.index is None:
            self.dim, self.embedder = vecs.shape[1], embedder
            self.index = self._Index(ndim=self.dim, metric="cos", dtype="f16")
        if embedder != self.embedder or vecs.shape[1] != self.dim:
            return  # vectors from another embedder are never compared
        self.index.add(pids, vecs)
        self.by_item[item] = (vecs, spans, pids)
        for p in pids.tolist():
            self.owner[p] = item

    def remove(self, item: int) -> None:
        got = self.by_item.pop(item, None)
        if got is not None and self.index is not None:
            for p in got[2].tolist():
                self.owner.pop(p, None)
            self.index.remove(got[2])

    def __len__(self) -> int:
        return len(self.owner)


class BankIndex:
    """``BankIndex(db, embedder)``: ``match(text)`` → list of :class:`Match`."""

    def __init__(self, db: Database, embedder: Embedder | None = None,
                 thresholds: Thresholds = DEFAULT, poll_interval: float = 0.25,
                 text_cache: int = 256) -> None:
        import leakwarden.signals.bank.tables  # noqa: F401

        self.db = db
        self.embedder = embedder
        self.t = thresholds
        self.poll_interval = poll_interval
        self._lock = threading.RLock()
        self._texts: OrderedDict[int, str | None] = OrderedDict()
        self._text_cache = text_cache
        self._checked = 0.0
        self._generation = -1
        self.stats: dict[str, int] = {"posts": 0, "exact": 0, "near_duplicate": 0, "excerpt": 0,
                                      "semantic_run": 0, "semantic": 0}
        self._reset()

    # loading ------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.seq = 0
        self.items: dict[int, ItemMeta] = {}
        self.by_sha_bytes: dict[str, set[int]] = {}
        self.by_sha_text: dict[str, set[int]] = {}
        self.by_number: dict[str, set[int]] = {}  # number hash -> items stating it (stage 4's gate)
        self.lsh = MinHashLSH()
        self.fps = SortedMultiMap()
        self.vectors = _Vectors()
        self._texts.clear()

    def reload(self) -> None:
        """Drop everything and load the whole bank state again."""
        with self._lock:
            self._reset()
            self.refresh(force=True)

    def refresh(self, force: bool = False) -> int:
        """Load changes made since the last refresh (by any process); returns how many."""
        now = time.monotonic()
        local = changes.generation != self._generation
        if not force and not local and now - self._checked < self.poll_interval:
            return 0
        with self._lock:
            self._checked = now
            self._generation = changes.generation
            with self.db.session() as s:
                top = s.scalar(select(func.max(ChangeRow.seq))) or 0
                if top <= self.seq:
                    return 0
                feed = s.execute(select(ChangeRow.seq, ChangeRow.item_id, ChangeRow.op)
                                 .where(ChangeRow.seq > self.seq).order_by(ChangeRow.seq)).all()
                added: list[int] = []
                for _seq, item, op in feed:
                    if op == "add":
                        added.append(item)
                    elif op == "remove":
                        self._drop(item)
                        if item in added:
                            added.remove(item)
                    elif item in self.items:
                        self.items[item].enabled = op == "enable"
                for i in range(0, len(added), 500):
                    self._load(s, added[i : i + 500])
                self.seq = max(top, feed[-1][0] if feed else 0)
                return len(feed)

    def _load(self, s: Any, ids: list[int]) -> None:
        rows = s.execute(
            select(ItemRow.id, BankRow.name, ItemRow.ext_id, BankRow.label, ItemRow.lang, ItemRow.enabled,
                   ItemRow.text.is_not(None), ItemRow.words, ItemRow.added_at, ItemRow.sha256_bytes,
                   ItemRow.sha256_text, ItemRow.minhash, ItemRow.fingerprints, ItemRow.embedder,
                   ItemRow.numbers)
            .join(BankRow, BankRow.id == ItemRow.bank_id).where(ItemRow.id.in_(ids))).all()
        for (rid, bank, ext, label, lang, enabled, has_text, words, added_at, shb, sht, mh, fp,
             _emb, nums) in rows:
            if rid in self.items:
                continue
            meta = ItemMeta(rid, bank, ext, label, lang, enabled, bool(has_text), words, added_at, shb, sht,
                            frozenset((nums or "").split()))
            self.items[rid] = meta
            for number in meta.numbers:
                self.by_number.setdefault(number, set()).add(rid)
            if shb:
                self.by_sha_bytes.setdefault(shb, set()).add(rid)
            if sht:
                self.by_sha_text.setdefault(sht, set()).add(rid)
            if mh:
                self.lsh.add(rid, np.frombuffer(mh, dtype="<u4").astype(np.uint32))
            if fp:
                h, p = unpack_fingerprints(fp)
                self.fps.add_many(h, (np.int64(rid) << excerpt.POS_BITS) | np.minimum(p, _POS_MASK))
        if self.embedder is None:
            return
        with_vecs = [r[0] for r in rows if r[13] == self.embedder.name]
        if not with_vecs:
            return
        prow = s.execute(select(PassageRow.item_id, PassageRow.id, PassageRow.start, PassageRow.end,
                                PassageRow.words, PassageRow.vector)
                         .where(PassageRow.item_id.in_(with_vecs))
                         .order_by(PassageRow.item_id, PassageRow.seq)).all()
        groups: dict[int, list[Any]] = {}
        for r in prow:
            groups.setdefault(r[0], []).append(r)
        for rid, ps in groups.items():
            vecs = np.stack([np.frombuffer(r[5], dtype="<f4") for r in ps]).astype(np.float32)
            vecs = center(vecs, self.items[rid].lang, self._means())
            pids = np.array([r[1] for r in ps], dtype=np.uint64)
            self.vectors.add(rid, self.embedder.name, pids, vecs, [(r[2], r[3], r[4]) for r in ps])

    def _means(self) -> dict[str, np.ndarray]:
        assert self.embedder is not None
        return means_for(self.embedder)

    def _drop(self, rid: int) -> None:
        meta = self.items.pop(rid, None)
        if meta is None:
            return
        if meta.sha_bytes:
            self.by_sha_bytes.get(meta.sha_bytes, set()).discard(rid)
        self.by_sha_text.get(meta.sha_text, set()).discard(rid)
        for number in meta.numbers:
            holders = self.by_number.get(number)
            if holders is not None:
                holders.discard(rid)
                if not holders:
                    del self.by_number[number]
        self.lsh.remove(rid)
        self.vectors.remove(rid)
        self._texts.pop(rid, None)

    def _text(self, rid: int) -> str | None:
        if rid in self._texts:
            self._texts.move_to_end(rid)
            return self._texts[rid]
        with self.db.session() as s:
            text = s.scalar(select(ItemRow.text).where(ItemRow.id == rid))
        self._texts[rid] = text
        if len(self._texts) > self._text_cache:
            self._texts.popitem(last=False)
        return text

    # matching -----------------------------------------------------------------------------
    def _live(self, rid: int) -> ItemMeta | None:
        meta = self.items.get(rid)
        return meta if meta is not None and meta.enabled else None

    def match(self, text: str, data: bytes | None = None, lang: str | None = None,
              *, semantic: bool = True) -> list[Match]:
        """All items ``text`` (and its original ``data`` bytes) matches, best first."""
        self.refresh()
        sk = sketch(text, data, lang)
        with self._lock:
            self.stats["posts"] += 1
            found: dict[int, Match] = {}
            self._exact(sk, found)
            if sk.toks:
                self._near_duplicate(sk, found)
                self._excerpt(sk, found)
                if semantic and not found and self._semantic_gate(sk):
                    self._semantic(sk, found)
            for m in found.values():
                self.stats[m.method] += 1
        return sorted(found.values(), key=lambda m: -m.score)

    def _mk(self, rid: int, method: str, score: float, passages: list[dict[str, Any]]) -> Match:
        meta = self.items[rid]
        return Match(meta.bank, meta.item, meta.label, method, float(score), passages)

    def _exact(self, sk: Sketch, found: dict[int, Match]) -> None:
        hits = set()
        if sk.sha256_bytes:
            hits |= self.by_sha_bytes.get(sk.sha256_bytes, set())
        if sk.sha256_text:
            hits |= self.by_sha_text.get(sk.sha256_text, set())
        for rid in hits:
            if self._live(rid):
                whole = [{"query": _span(sk.text, 0, len(sk.text)),
                          "item": _span(self._text(rid), 0, len(self._text(rid) or "")), "score": 1.0}]
                found[rid] = self._mk(rid, "exact", 1.0, whole)

    def _near_duplicate(self, sk: Sketch, found: dict[int, Match]) -> None:
        sig = sk.minhash()
        if sig is None:
            return
        for rid, score in self.lsh.query(sig, self.t.near_duplicate):
            if rid not in found and self._live(rid):
                text = self._text(rid)
                whole = [{"query": _span(sk.text, 0, len(sk.text)),
                          "item": _span(text, 0, len(text or "")), "score": round(score, 4)}]
                found[rid] = self._mk(rid, "near_duplicate", score, whole)

    def _excerpt(self, sk: Sketch, found: dict[int, Match]) -> None:
        kg = sk.kgrams()
        if len(kg) < self.t.excerpt_words - excerpt.K + 1 or not len(self.fps):
            return
        qi, vals = self.fps.lookup_pairs(kg)
        if not len(qi):
            return
        rids = vals >> excerpt.POS_BITS
        for rid in np.unique(rids).tolist():
            if rid in found or not self._live(rid):
                continue
            sel = rids == rid
            runs = excerpt.runs_from_hits(qi[sel], vals[sel] & _POS_MASK)
            text = self._text(rid)
            if text is not None:
                from leakwarden.signals.bank.normalize import tokens

                itoks = tokens(text)
                copies = excerpt.locate(sk.words, [t.norm for t in itoks])
                spans = [({"query": _span(sk.text, sk.toks[c.q0].start, sk.toks[c.q1 - 1].end),
                           "item": _span(text, itoks[c.i0].start, itoks[c.i1 - 1].end),
                           "score": 1.0, "words": c.words}) for c in copies]
            else:  # imported signals: located by word positions only
                copies = [c for c in runs if c.words >= self.t.excerpt_words]
                spans = [({"query": _span(sk.text, sk.toks[c.q0].start,
                                          sk.toks[min(c.q1, len(sk.toks)) - 1].end),
                           "item": {"word_start": c.i0, "word_end": c.i1, "text": None},
                           "score": 1.0, "words": c.words}) for c in copies]
            words = sum(c.words for c in copies)
            if copies and self._excerpt_confirmed(sk, rid, words):
                score = min(1.0, 0.8 + 0.2 * words / max(1, len(sk.toks)))
                found[rid] = self._mk(rid, "excerpt", score, spans)

    def _excerpt_confirmed(self, sk: Sketch, rid: int, words: int) -> bool:
        """A copied run is an excerpt when it is a large share of the query, or when the figures
        around it agree with the item's: a document that shares a header or a paragraph with the
        item but states several other numbers (a different event, opposite facts) is left to
        stage 4."""
        share = words / max(1, len(sk.toks))
        if share >= self.t.excerpt_share:
            return True
        if share < self.t.excerpt_min_share:
            return False
        qn = number_hashes(numbers(sk.text))
        inn = self.items[rid].numbers
        agree = number_agreement(qn, inn)
        contradicted = len(qn - inn) >= self.t.excerpt_contradictions
        return agree is None or agree >= self.t.excerpt_numbers or not contradicted

    def _semantic_gate(self, sk: Sketch) -> bool:
        if self.embedder is None or not len(self.vectors) or len(sk.toks) < self.t.semantic_min_words:
            return False
        return not self.t.semantic_needs_numbers or self._numbers_agree_somewhere(sk)

    def _numbers_agree_somewhere(self, sk: Sketch) -> bool:
        """Whether some item states enough of the query's numbers for verification to pass: a
        translation or rewrite keeps its source's figures and dates, so most posts are settled
        here by a few dict lookups instead of an embedding."""
        query = number_hashes(numbers(sk.text))
        if len(query) < 2:
            return False
        shared: dict[int, int] = {}
        figures: dict[int, int] = {}
        for number in query:
            for rid in self.by_number.get(number, ()):
                shared[rid] = shared.get(rid, 0) + 1
                if number not in YEAR_HASHES:
                    figures[rid] = figures.get(rid, 0) + 1
        need = self.t.numbers * len(query)
        return any(count >= need and figures.get(rid, 0) >= self.t.figures for rid, count in shared.items())

    def _semantic(self, sk: Sketch, found: dict[int, Match]) -> None:
        for rid, m, ok in self.semantic_verdicts(sk, all_items=False):
            if ok and rid not in found:
                found[rid] = m

    def semantic_verdicts(self, sk: Sketch, *, all_items: bool = False
                          ) -> list[tuple[int, Match, bool]]:
        """Stage 4 alone: (item row, match with its verification details, matched?) for every
        candidate item (``all_items``: every item with vectors, for evaluation)."""
        if self.embedder is None or not len(self.vectors):
            return []
        ps = sk.passages()
        if not ps:
            return []
        self.stats["semantic_run"] += 1
        qv = center(self.embedder.embed([p.text for p in ps]), sk.lang, self._means())
        if all_items:
            cands = set(self.vectors.by_item)
        else:
            k = min(self.t.ann_k, len(self.vectors))
            res = self.vectors.index.search(qv, k)
            keys = np.atleast_2d(res.keys)
            dists = np.atleast_2d(res.distances)
            cands = set()
            for row_k, row_d in zip(keys, dists, strict=True):
                for key, d in zip(row_k.tolist(), row_d.tolist(), strict=True):
                    rid = self.vectors.owner.get(int(key))
                    if rid is not None and 1.0 - d >= self.t.candidate:
                        cands.add(rid)
        qnums = number_hashes(numbers(sk.text))
        qwords = [p.words for p in ps]
        out: list[tuple[int, Match, bool]] = []
        for rid in cands:
            meta = self._live(rid)
            if meta is None:
                continue
            iv, spans, _ = self.vectors.by_item[rid]
            v = verify(qv, qwords, iv, qnums, meta.numbers, self.t)
            text = self._text(rid)
            passages = [{"query": _span(sk.text, ps[i].start, ps[i].end),
                         "item": _span(text, spans[j0][0], spans[j1][1]), "score": round(s, 4)}
                        for i, j0, j1, s in v.pairs]
            m = self._mk(rid, "semantic", v.score, passages)
            m.details = v.features()
            out.append((rid, m, v.matched))
        return out
