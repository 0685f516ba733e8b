"""PDQ hashes matched by Hamming distance, through a multi-index that scales to millions.

A PDQ hash is 256 bits (ThreatExchange's hex: 64 digits, first bit most significant). Two images
match when at most ``threshold`` bits differ (31 by default, as HMA). The index splits each hash
into 16 chunks of 16 bits and keeps, for every chunk position, the hashes sorted by that chunk
(multi-index hashing, Norouzi et al.): if two hashes differ in at most ``t`` bits, some chunk differs
in at most ``t // 16`` of them, so a query looks up each of its chunks and their neighbours within
that radius (17 values a chunk for ``t`` = 31), and checks the candidates' full distance with
popcounts. A lookup costs ``16 × 17`` binary searches plus the candidates, against a scan of every
hash (``bench/bench_images.py`` measures both at a million hashes).

Hashes added after the last build go to a small pending list searched in full, so a new hash is
matchable at once; the sorted arrays are rebuilt when the list grows past ``rebuild_at``.
"""

from __future__ import annotations

import re
import threading
from itertools import combinations

import numpy as np

BITS = 256
CHUNKS = 16
DEFAULT_THRESHOLD = 31
_HEX = re.compile(r"^[0-9a-f]{64}$")


def is_pdq(value: str) -> bool:
    return bool(_HEX.match(value))


def to_words(hexes: list[str]) -> np.ndarray:
    """64-digit hex strings → (n, 4) uint64, most significant word first."""
    raw = bytes.fromhex("".join(hexes))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def distance(a: str, b: str) -> int:
    return int(np.bitwise_count(to_words([a]) ^ to_words([b])).sum())


def _chunks(words: np.ndarray) -> np.ndarray:
    """(n, 4) uint64 → (n, 16) uint16 chunks."""
    return words.astype(">u8").view(">u2").astype(np.uint16).reshape(-1, CHUNKS)


def _masks(radius: int) -> np.ndarray:
    masks = [0]
    for r in range(1, radius + 1):
        masks.extend(sum(1 << b for b in bits) for bits in combinations(range(16), r))
    return np.array(masks, dtype=np.uint16)


class PdqIndex:
    """Hashes with integer ids; :meth:`query` gives ``(id, distance)`` within a threshold. Thread-safe."""

    def __init__(self, rebuild_at: int = 4096) -> None:
        self._lock = threading.Lock()
        self._rebuild_at = rebuild_at
        self._words = np.zeros((0, 4), dtype=np.uint64)
        self._ids = np.zeros(0, dtype=np.int64)
        self._order: list[np.ndarray] = []
        self._sorted: list[np.ndarray] = []
        self._pending_words: list[np.ndarray] = []
        self._pending_ids: list[int] = []

    def __len__(self) -> int:
        return len(self._ids) + len(self._pending_ids)

    def add(self, ids: list[int], hexes: list[str]) -> None:
        if not ids:
            return
        words = to_words(hexes)
        with self._lock:
            self._pending_words.extend(words)
            self._pending_ids.extend(ids)
            if len(self._pending_ids) >= self._rebuild_at:
                self._build()

    def _build(self) -> None:
        if self._pending_ids:
            self._words = np.concatenate([self._words, np.array(self._pending_words, dtype=np.uint64)])
            self._ids = np.concatenate([self._ids, np.array(self._pending_ids, dtype=np.int64)])
            self._pending_words, self._pending_ids = [], []
        chunks = _chunks(self._words)
        self._order = [np.argsort(chunks[:, j], kind="stable") for j in range(CHUNKS)]
        self._sorted = [chunks[order, j] for j, order in enumerate(self._order)]

    def query(self, hex_hash: str, threshold: int = DEFAULT_THRESHOLD) -> list[tuple[int, int]]:
        """Every ``(id, distance)`` with distance ≤ threshold, nearest first."""
        query = to_words([hex_hash])
        with self._lock:
            words, ids, order, sorted_ = self._words, self._ids, self._order, self._sorted
            pending_words = np.array(self._pending_words, dtype=np.uint64).reshape(-1, 4)
            pending_ids = np.array(self._pending_ids, dtype=np.int64)
        found: list[tuple[int, int]] = []
        if len(ids):
            radius = threshold // CHUNKS
            if radius > 2:  # the lookups would outnumber a scan
                candidates = np.arange(len(ids))
            else:
                masks = _masks(radius)
                parts: list[np.ndarray] = []
                for j, q in enumerate(_chunks(query)[0]):
                    values = np.unique(np.uint16(q) ^ masks)
                    lo = np.searchsorted(sorted_[j], values, "left")
                    hi = np.searchsorted(sorted_[j], values, "right")
                    parts.extend(order[j][a:b] for a, b in zip(lo, hi, strict=True) if b > a)
                candidates = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
            found.extend(_within(words[candidates], ids[candidates], query, threshold))
        if len(pending_ids):
            found.extend(_within(pending_words, pending_ids, query, threshold))
        return sorted(found, key=lambda pair: (pair[1], pair[0]))

    def scan(self, hex_hash: str, threshold: int = DEFAULT_THRESHOLD) -> list[tuple[int, int]]:
        """The same answer as :meth:`query` by comparing every hash (the reference for tests and benches)."""
        with self._lock:
            words = np.concatenate([self._words, np.array(self._pending_words, dtype=np.uint64).reshape(-1, 4)])
            ids = np.concatenate([self._ids, np.array(self._pending_ids, dtype=np.int64)])
        found = _within(words, ids, to_words([hex_hash]), threshold)
        return sorted(found, key=lambda pair: (pair[1], pair[0]))


def _within(words: np.ndarray, ids: np.ndarray, query: np.ndarray, threshold: int) -> list[tuple[int, int]]:
    if not len(ids):
        return []
    distances = np.bitwise_count(words ^ query).sum(axis=1)
    keep = distances <= threshold
    return [(int(i), int(d)) for i, d in zip(ids[keep], distances[keep], strict=True)]
