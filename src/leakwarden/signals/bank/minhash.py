"""Stage 2, near-duplicate: shingled MinHash (datasketch) and a banded LSH index over numpy arrays.

Signature recipe (documented in README.md, shared by the exchange format so another platform can
compute compatible signatures): ``datasketch.MinHash(num_perm=128, seed=1, scheme="affine32")``,
updated with the UTF-8 bytes of every 5-character shingle of the normalized text (``normalize``);
stored as 128 little-endian uint32 (512 bytes).
"""

from __future__ import annotations

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
_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                     dtype=np.uint64)


def shingles(norm: str) -> list[bytes]:
    if len(norm) <= SHINGLE:
        return [norm.encode("utf-8")] if norm else []
    return [norm[i : i + SHINGLE].encode("utf-8") for i in range(len(norm) - SHINGLE + 1)]


def signature(text: str, *, is_normalized: bool = False) -> np.ndarray | None:
    """The MinHash signature (uint32[128]) of a text, or None for a text with no words."""
    norm = text if is_normalized else normalized(text)
    sh = shingles(norm)
    if not sh:
        return None
    m = MinHash(num_perm=NUM_PERM, permutations=_PERMS, scheme="affine32")
    m.update_batch(sh)
    return np.asarray(m.hashvalues, dtype=np.uint32)


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
