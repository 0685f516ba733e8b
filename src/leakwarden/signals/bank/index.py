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
4. semantic: candidates by shared anchors (``anchors``), passage embeddings aligned both ways
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

from leakwarden.blocking import may_block
from leakwarden.signals.bank import changes, excerpt
from leakwarden.signals.bank.anchors import anchor_hashes, as_keys, skeletons
from leakwarden.signals.bank.center import center, means_for
from leakwarden.signals.bank.embed import Embedder
from leakwarden.signals.bank.minhash import MinHashLSH, jaccard
from leakwarden.signals.bank.normalize import tokens
from leakwarden.signals.bank.numbers import (
    Figures,
    agreeing,
    compare,
    figures_in,
    number_agreement,
    number_hashes,
    numbers,
    show,
    values,
)
from leakwarden.signals.bank.sketch import Sketch, sketch, unpack_fingerprints
from leakwarden.signals.bank.sortedmap import SortedMultiMap
from leakwarden.signals.bank.tables import BankRow, ChangeRow, ItemRow, PassageRow
from leakwarden.signals.bank.thresholds import DEFAULT, Thresholds
from leakwarden.signals.bank.verify import verify
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
    names: int = 0  # how many name skeletons the item has (``anchors.names``)


@dataclass
class Match:
    bank: str
    item: str
    label: str
    method: str  # exact | near_duplicate | excerpt | semantic
    score: float
    passages: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    # stage 4 only: the evidence reaches the review threshold but not the match threshold (a
    # possible rendering for a person to judge; the presets queue it for review and act on nothing)
    review: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"bank": self.bank, "item": self.item, "method": self.method,
                "score": round(self.score, 4), "label": self.label, "passages": self.passages,
                **({"review": True} if self.review else {}),
                **({"details": self.details} if self.details else {})}


def gate_value(anchors: tuple[int, int, int]) -> int:
    """Stage 4's candidate score from :meth:`BankIndex.anchor_candidates`: the text's names found
    among the item's words, plus the numbers both state. (The item's names among the text's words
    are evidence, not a gate: rare words of an Arabic item meet too many ordinary Arabic posts.)"""
    return anchors[0] + anchors[2]


def _span(text: str | None, start: int, end: int) -> dict[str, Any]:
    return {"start": start, "end": end, "text": text[start:end] if text is not None else None}


def document_vector(vecs: np.ndarray, words: list[int]) -> np.ndarray:
    """A text's passage vectors as one: their word-weighted mean, re-normalized."""
    v = (vecs * np.asarray(words, dtype=np.float32)[:, None]).sum(axis=0)
    n = float(np.linalg.norm(v))
    return (v / n if n else v).astype(np.float32)


class _Vectors:
    """Passage vectors per item (centred), with their spans and passage row ids, and each item's
    document vector (:func:`document_vector`). Candidates come from the anchors, so no
    nearest-neighbour index is kept."""

    def __init__(self) -> None:
        self.dim: int | None = None
        self.embedder: str | None = None
        self.by_item: dict[int, tuple[np.ndarray, list[tuple[int, int, int]], np.ndarray]] = {}
        self.docs: dict[int, np.ndarray] = {}

    def add(self, item: int, embedder: str, pids: np.ndarray, vecs: np.ndarray,
            spans: list[tuple[int, int, int]]) -> None:
        if self.dim is None:
            self.dim, self.embedder = vecs.shape[1], embedder
        if embedder != self.embedder or vecs.shape[1] != self.dim:
            return  # vectors from another embedder are never compared
        self.by_item[item] = (vecs, spans, pids)
        self.docs[item] = document_vector(vecs, [w for _s, _e, w in spans])

    def remove(self, item: int) -> None:
        self.by_item.pop(item, None)
        self.docs.pop(item, None)

    def __len__(self) -> int:
        return len(self.by_item)


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
        self._figures: dict[int, set[float]] = {}  # item row -> its figures, for the items in _texts
        self._passage_figures: dict[int, list[frozenset[float]]] = {}  # item row -> each passage's
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
        # stage 4's candidates: anchor hash -> item. ``keys``: the item's words and numbers;
        # ``names``: its likely names. A query's names meet items' keys and its keys items' names.
        self.keys = SortedMultiMap()
        self.names = SortedMultiMap()
        self.lsh = MinHashLSH()
        self.fps = SortedMultiMap()
        self.vectors = _Vectors()
        self._texts.clear()
        self._figures.clear()
        self._passage_figures.clear()

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
        may_block("database")  # before the poll is marked done: the thread that decides again polls
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
                   ItemRow.numbers, ItemRow.anchors, ItemRow.names)
            .join(BankRow, BankRow.id == ItemRow.bank_id).where(ItemRow.id.in_(ids))).all()
        for (rid, bank, ext, label, lang, enabled, has_text, words, added_at, shb, sht, mh, fp,
             _emb, nums, keys, item_names) in rows:
            if rid in self.items:
                continue
            stated = frozenset(h for h in (nums or "").split() if len(h) == 16)
            if keys is None and has_text:  # stored before anchors existed: computed from the text
                sk = sketch(s.scalar(select(ItemRow.text).where(ItemRow.id == rid)) or "")
                keys, item_names = " ".join(anchor_hashes(sk.keys())), " ".join(anchor_hashes(sk.names()))
            key_set, name_set = set((keys or "").split()) | stated, set((item_names or "").split())
            meta = ItemMeta(rid, bank, ext, label, lang, enabled, bool(has_text), words, added_at, shb, sht,
                            stated, len(name_set))
            self.items[rid] = meta
            self.keys.add_many(as_keys(key_set), rid)
            self.names.add_many(as_keys(name_set), rid)
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
        self.lsh.remove(rid)
        self.vectors.remove(rid)
        self._texts.pop(rid, None)
        self._figures.pop(rid, None)
        self._passage_figures.pop(rid, None)

    def _values(self, rid: int, text: str) -> set[float]:
        """The item's figures (parsed once per cached text)."""
        got = self._figures.get(rid)
        if got is None:
            got = self._figures[rid] = values(text)
        return got

    def _passage_figs(self, rid: int, text: str, spans: list[tuple[int, int, int]]) -> list[frozenset[float]]:
        """Each item passage's figures (``verify.clash``), parsed once per cached text."""
        got = self._passage_figures.get(rid)
        if got is None:
            got = self._passage_figures[rid] = [figures_in(text[s:e]) for s, e, _w in spans]
        return got

    def _text(self, rid: int) -> str | None:
        if rid in self._texts:
            self._texts.move_to_end(rid)
            return self._texts[rid]
        with self.db.session() as s:
            text = s.scalar(select(ItemRow.text).where(ItemRow.id == rid))
        self._texts[rid] = text
        if len(self._texts) > self._text_cache:
            old, _ = self._texts.popitem(last=False)
            self._figures.pop(old, None)
            self._passage_figures.pop(old, None)
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
                if semantic and not found:
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
        items, inverse = np.unique(rids, return_inverse=True)
        live = np.array([self._live(r) is not None for r in items.tolist()], dtype=bool)[inverse]
        qi, vals, rids = qi[live], vals[live], rids[live]
        boiler = self._boilerplate(qi, rids, len(sk.toks))
        for rid in np.unique(rids).tolist():
            if rid in found:
                continue
            sel = rids == rid
            runs = excerpt.runs_from_hits(qi[sel], vals[sel] & _POS_MASK)
            text = self._text(rid)
            if text is not None:
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
            # words copied that no other item shares: a header or a disclaimer of one template is not
            # evidence that this item was copied
            mask = boiler.get(rid)
            words = sum(c.words if mask is None else int((~mask[c.q0 : c.q1]).sum()) for c in copies)
            if copies and words >= self.t.excerpt_words and self._excerpt_confirmed(sk, rid, copies, words):
                score = min(1.0, 0.8 + 0.2 * words / max(1, len(sk.toks)))
                found[rid] = self._mk(rid, "excerpt", score, spans)

    def _boilerplate(self, qi: np.ndarray, rids: np.ndarray, n_words: int) -> dict[int, np.ndarray]:
        """Per item: the query words that lie in k-grams another live item shares too, unless that
        item is a near-duplicate of this one (the same document banked twice is no template). A
        template's header or a stock disclaimer is not the content of any one item."""
        if not len(qi):
            return {}
        pairs = np.unique(np.stack([qi, rids], axis=1), axis=0)
        pos, counts = np.unique(pairs[:, 0], return_counts=True)
        shared = set(pos[counts >= 2].tolist())
        holders: dict[int, list[int]] = {}
        for p, r in pairs.tolist():
            if p in shared:
                holders.setdefault(p, []).append(r)
        out: dict[int, np.ndarray] = {}
        for p, items in holders.items():
            for r in items:
                if len(items) > 3 or any(not self._same_document(r, o) for o in items if o != r):
                    out.setdefault(r, np.zeros(n_words, dtype=bool))[p : p + excerpt.K] = True
        return out

    def _same_document(self, a: int, b: int) -> bool:
        sa, sb = self.lsh.get(a), self.lsh.get(b)
        return sa is not None and sb is not None and jaccard(sa, sb) >= self.t.near_duplicate

    def _excerpt_confirmed(self, sk: Sketch, rid: int, copies: list[excerpt.Copy], words: int) -> bool:
        """A copied run is an excerpt when it is a large share of the query, or when the figures the
        query states around it do not contradict the item's: a document that shares a paragraph with
        the item but states several other numbers (a different event, opposite facts) is left to
        stage 4."""
        share_copied = words / max(1, len(sk.toks))
        if share_copied >= self.t.excerpt_share:
            return True
        if share_copied < self.t.excerpt_min_share:
            return False
        if self._template_like(sk, rid, copies):
            return False
        copied = np.zeros(len(sk.toks), dtype=bool)
        for c in copies:
            copied[c.q0 : c.q1] = True
        outside = " ".join(sk.text[t.start : t.end] for t, c in zip(sk.toks, copied.tolist(), strict=True) if not c)
        query = number_hashes(numbers(outside))
        item = self.items[rid].numbers
        agree = number_agreement(query, item)
        return agree is None or agree >= self.t.excerpt_numbers or len(query - item) < self.t.excerpt_contradictions

    def _template_like(self, sk: Sketch, rid: int, copies: list[excerpt.Copy]) -> bool:
        """Whether the copies are a shared header or footer of a longer document: every copied run
        lies in the first or last ``template_edge`` of the item, and the query has
        ``template_rest`` or more words of its own. A post quoting a leak rarely goes on that long;
        another document of the same template (a memo of the same shop about someone else) does."""
        n = max(1, self.items[rid].words)
        own = len(sk.toks) - sum(c.words for c in copies)
        edge = self.t.template_edge
        return own >= self.t.template_rest and all(c.i0 < edge * n or c.i1 > (1 - edge) * n for c in copies)

    # stage 4 --------------------------------------------------------------------------------
    def _anchor_hits(self, hashes: set[str], where: SortedMultiMap) -> dict[int, int]:
        """How many of ``hashes`` each item holds in ``where`` (live items only)."""
        if not hashes or not len(where):
            return {}
        _qi, rids = where.lookup_pairs(as_keys(hashes))
        out: dict[int, int] = {}
        for rid, n in zip(*np.unique(rids, return_counts=True), strict=True):
            if self._live(int(rid)) is not None:
                out[int(rid)] = int(n)
        return out

    def anchor_candidates(self, sk: Sketch, *, crosswise: bool = True) -> dict[int, tuple[int, int, int]]:
        """Items that share anchors with the query: (the query's names among the item's words, the
        item's names among the query's words, the query's numbers the item states) per item. Dict
        lookups only: this decides, without a model, whether a text pays for embeddings. Without
        ``crosswise`` the second count is left at 0 (it is evidence, not part of the gate)."""
        a = self._anchor_hits(anchor_hashes(sk.names()), self.keys)
        b = self._item_names_hits(sk) if crosswise else {}
        n = self._anchor_hits(number_hashes(sk.numbers()), self.keys)
        return {rid: (a.get(rid, 0), b.get(rid, 0), n.get(rid, 0)) for rid in a.keys() | b.keys() | n.keys()}

    def _item_names_hits(self, sk: Sketch) -> dict[int, int]:
        return self._anchor_hits(anchor_hashes(sk.keys()), self.names)

    def _gated(self, sk: Sketch) -> dict[int, tuple[int, int, int]]:
        """Stage 4's candidates by anchors (empty: the text does not pay for embeddings)."""
        if self.embedder is None or not len(self.vectors) or len(sk.toks) < self.t.semantic_min_words:
            return {}
        passed = {rid: abn for rid, abn in self.anchor_candidates(sk, crosswise=False).items()
                  if gate_value(abn) >= self.t.anchors}
        if passed:  # the item's names among the text's words: evidence for the candidates only
            b = self._item_names_hits(sk)
            passed = {rid: (x, b.get(rid, 0), y) for rid, (x, _b, y) in passed.items()}
        return passed

    def _semantic(self, sk: Sketch, found: dict[int, Match]) -> None:
        cands = self._gated(sk)
        if not cands:
            return
        may_block("embedding")  # tens to hundreds of milliseconds: not on an event loop
        for rid, m, _ok in self.semantic_verdicts(sk, cands):
            if (m.details["tier"] != "none") and rid not in found:
                m.review = m.details["tier"] == "review"
                found[rid] = m

    def semantic_verdicts(self, sk: Sketch, candidates: dict[int, tuple[int, int, int]] | None = None
                          ) -> list[tuple[int, Match, bool]]:
        """Stage 4 alone: (item row, match with its verification details, matched?) for the
        ``candidates`` (item row → crosswise anchor counts; None: every item with vectors, for
        evaluation). The ``max_candidates`` whose document vectors are closest to the text's are
        verified: the text is embedded once whatever their number, and the anchor counts tie
        too often to rank (a text's rare Arabic words meet many items' words)."""
        if self.embedder is None or not len(self.vectors):
            return []
        ps = sk.passages()
        if not ps:
            return []
        capped = candidates is not None
        if candidates is None:
            hits = self.anchor_candidates(sk)
            candidates = {rid: hits.get(rid, (0, 0, 0)) for rid in self.vectors.by_item}
        self.stats["semantic_run"] += 1
        qv = center(self.embedder.embed([p.text for p in ps]), sk.lang, self._means())
        qwords = [p.words for p in ps]
        qdoc = document_vector(qv, qwords)
        docs = self.vectors.docs
        closeness = {rid: float(docs[rid] @ qdoc) for rid in candidates if rid in docs}
        if capped and len(closeness) > self.t.max_candidates:
            closeness = dict(sorted(closeness.items(), key=lambda kv: -kv[1])[: self.t.max_candidates])
        q_values = values(sk.text)
        q_hashes = number_hashes(sk.numbers())
        n_names = len(sk.names())
        q_figs = [figures_in(p.text) for p in ps]
        out: list[tuple[int, Match, bool]] = []
        for rid, (a, b, n) in ((rid, candidates[rid]) for rid in closeness):
            meta = self._live(rid)
            if meta is None or rid not in self.vectors.by_item:
                continue
            iv, spans, _ = self.vectors.by_item[rid]
            text = self._text(rid)
            figures = (compare(q_values, self._values(rid, text)) if text is not None
                       else Figures(number_agreement(q_hashes, meta.numbers), len(q_hashes), n,
                                    len(meta.numbers), n))
            v = verify(qv, qwords, iv, [w for _s, _e, w in spans], self.t, figures=figures,
                       names=a / n_names if n_names else 0.0, names_i=b / meta.names if meta.names else 0.0,
                       q_figs=q_figs, i_figs=None if text is None else self._passage_figs(rid, text, spans))
            passages = [{"query": _span(sk.text, ps[i].start, ps[i].end),
                         "item": _span(text, spans[j0][0], spans[j1][1]), "score": round(s, 4)}
                        for i, j0, j1, s in v.pairs]
            m = self._mk(rid, "semantic", v.score, passages)
            m.details = {**v.features(), "document": round(closeness[rid], 4)}
            if v.tier != "none":
                m.details["anchors"] = self._agreeing(sk, rid, text, q_values)
            out.append((rid, m, v.matched))
        return out

    def _agreeing(self, sk: Sketch, rid: int, text: str | None, q_values: set[float]) -> dict[str, list[str]]:
        """The query's names and figures that the item states too (in any script or wording), for the
        reviewer. Names are compared by skeleton, so "Klippenstein" shows for "كليبنشتاين"."""
        if text is None:
            return {}
        item = sketch(text)
        i_keys, i_values = item.keys(), values(text)
        q_names = sk.names()
        shown = sorted({sk.text[t.start : t.end] for t in sk.toks
                        if any(k in i_keys and k in q_names for k in skeletons(t.norm))})
        figures = sorted(agreeing(q_values, i_values))
        return {"names": shown[:30], "figures": [show(v) for v in figures[:30]]}
