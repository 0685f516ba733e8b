"""Stage 2, near-duplicate: shingled MinHash (datasketch) and a banded LSH index over numpy arrays.

Signature recipe (documented in README.md, shared by the exchange format so another platform can
compute compatible signatures): ``datasketch.MinHash(num_perm=128, seed=1, scheme="affine32")``,
updated with the UTF-8 bytes of every 5-character shingle of the normalized text (``normalize``);
stored as 128 little-endian uint32 (512 bytes).

:func:`signature` computes exactly datasketch's affine32 signature (a test compares the two on
English and Arabic texts) without its per-shingle Python calls: each distinct shingle is hashed once
(SHA-1, first 4 bytes little-endian, datasketch's ``sha1_hash32``), common shingles are remembered
across texts in a bounded memo, and the MurmurHash3 pre-mix and the 128 affine permutations run as
one numpy expression. On short posts this is the bulk of the near-duplicate stage's cost.
"""

from __future__ import annotations

import hashlib

import numpy as np
from datasketch import MinHash

from leakwarden.signals.bank.normalize import normalized
from leakwarden.signals.bank.sortedmap import SortedMultiMap

NUM_PERM = 128
SEED = 1
SHINGLE = 5
BANDS = 32  # 32 bands x 4 rows: candidate pairs from Jaccard ~0.4 up
ROWS = NUM_PERM // BANDS
_PERMS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
_A, _B = (np.asarray(x, dtype=np.uint32) for x in _PERMS)
_MEMO: dict[str, int] = {}  # shingle → sha1_hash32; cleared when full (no lock: dict ops are atomic)
_MEMO_MAX = 1 << 17  # ~15 MB
_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                     dtype=np.uint64)


def signature(text: str, *, is_normalized: bool = False) -> np.ndarray | None:
    """The MinHash signature (uint32[128]) of a text, or None for a text with no words."""
    norm = text if is_normalized else normalized(text)
    if not norm:
        return None
    grams = {norm[i : i + SHINGLE] for i in range(max(1, len(norm) - SHINGLE + 1))}  # a set: MinHash ignores repeats
    memo = _MEMO.get
    hv = np.fromiter([memo(g) or _sha1_hash32(g) for g in grams], dtype=np.uint32, count=len(grams))
    hv ^= hv >> np.uint32(16)  # MurmurHash3's fmix32, as datasketch pre-mixes affine32 input
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    return (hv[:, None] * _A + _B).min(axis=0)  # uint32 arithmetic wraps, as datasketch's does


def _sha1_hash32(gram: str) -> int:
    value = int.from_bytes(hashlib.sha1(gram.encode("utf-8")).digest()[:4], "little")
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[gram] = value
    return value


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def band_keys(sig: np.ndarray) -> np.ndarray:
    """One uint64 key per band; band ``i``'s keys never collide with band ``j``'s by construction
    (the band number is mixed in)."""
    rows = sig.astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = (rows * _BAND_MIX[:ROWS]).sum(axis=1, dtype=np.uint64)
        h ^= np.arange(BANDS, dtype=np.uint64) * np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(29)
    return h


class MinHashLSH:
    """Banded LSH: band key → item number, in a :class:`SortedMultiMap` (appends are O(1); the
    sorted base is merged in batches, never rebuilt per item). Signatures live in one growing
    uint32 matrix (512 bytes per item)."""

    def __init__(self) -> None:
        self.keys = SortedMultiMap()
        self._rows: dict[int, int] = {}
        self._mat = np.zeros((1024, NUM_PERM), dtype=np.uint32)
        self._n = 0

    def add(self, item: int, sig: np.ndarray) -> None:
        if self._n == len(self._mat):
            self._mat = np.concatenate([self._mat, np.zeros_like(self._mat)])
        self._mat[self._n] = sig
        self._rows[item] = self._n
        self._n += 1
        self.keys.add_many(band_keys(sig), item)

    def remove(self, item: int) -> None:
        self._rows.pop(item, None)  # its band keys stay until the next merge and are ignored

    def get(self, item: int) -> np.ndarray | None:
        row = self._rows.get(item)
        return None if row is None else self._mat[row]

    def query(self, sig: np.ndarray, threshold: float) -> list[tuple[int, float]]:
        found = self.keys.lookup_many(band_keys(sig))
        out = []
        for item in set(found.tolist()):
            row = self._rows.get(item)
            if row is not None:
                score = jaccard(sig, self._mat[row])
                if score >= threshold:
                    out.append((item, score))
        return sorted(out, key=lambda p: -p[1])

    def __len__(self) -> int:
        return len(self._rows)
