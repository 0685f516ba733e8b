"""A compact uint64 → int64 multimap: a sorted numpy base plus an append-only delta.

Used by the LSH bands and the excerpt fingerprints. Adding is O(1) (the delta); lookups
``searchsorted`` the base and scan the small delta; the delta is merged into the base once it
grows past a fraction of it, so an added item is searchable at once and the base is never
rebuilt per item. About 16 bytes per entry.
"""

from __future__ import annotations

import numpy as np

_EMPTY_K = np.zeros(0, dtype=np.uint64)
_EMPTY_V = np.zeros(0, dtype=np.int64)


class SortedMultiMap:
    def __init__(self, merge_at: int = 4096) -> None:
        self._keys = _EMPTY_K
        self._vals = _EMPTY_V
        self._dk: list[np.ndarray] = []
        self._dv: list[np.ndarray] = []
        self._dn = 0
        self._merge_at = merge_at
        self._delta: dict[int, list[int]] = {}
        self._delta_built = True

    def __len__(self) -> int:
        return len(self._keys) + self._dn

    def add_many(self, keys: np.ndarray, values: np.ndarray | int) -> None:
        keys = np.asarray(keys, dtype=np.uint64)
        vals = np.broadcast_to(np.asarray(values, dtype=np.int64), keys.shape).copy()
        self._dk.append(keys)
        self._dv.append(vals)
        self._dn += len(keys)
        self._delta_built = False
        if self._dn >= max(self._merge_at, len(self._keys) // 8):
            self.merge()

    def _delta_map(self) -> dict[int, list[int]]:
        """The delta as a dict, built on the first lookup after adds (a bulk load builds none)."""
        if not self._delta_built:
            self._delta = {}
            for ks, vs in zip(self._dk, self._dv, strict=True):
                for k, v in zip(ks.tolist(), vs.tolist(), strict=True):
                    self._delta.setdefault(k, []).append(v)
            self._delta_built = True
        return self._delta

    def merge(self) -> None:
        if not self._dn:
            return
        keys = np.concatenate([self._keys, *self._dk])
        vals = np.concatenate([self._vals, *self._dv])
        order = np.argsort(keys, kind="stable")
        self._keys, self._vals = keys[order], vals[order]
        self._dk, self._dv, self._dn, self._delta, self._delta_built = [], [], 0, {}, True

    def lookup_many(self, keys: np.ndarray) -> np.ndarray:
        """All values stored under any of ``keys`` (with repeats, one per matching entry)."""
        keys = np.asarray(keys, dtype=np.uint64)
        parts: list[np.ndarray] = []
        if len(self._keys) and len(keys):
            lo = np.searchsorted(self._keys, keys, side="left")
            hi = np.searchsorted(self._keys, keys, side="right")
            hit = hi > lo
            for a, b in zip(lo[hit].tolist(), hi[hit].tolist(), strict=True):
                parts.append(self._vals[a:b])
        delta = self._delta_map()
        if delta:
            extra = [v for k in keys.tolist() for v in delta.get(k, ())]
            if extra:
                parts.append(np.asarray(extra, dtype=np.int64))
        return np.concatenate(parts) if parts else _EMPTY_V

    def lookup_pairs(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``keys``, value) for every entry stored under one of ``keys``."""
        keys = np.asarray(keys, dtype=np.uint64)
        qi: list[np.ndarray] = []
        vs: list[np.ndarray] = []
        if len(self._keys) and len(keys):
            lo = np.searchsorted(self._keys, keys, side="left")
            hi = np.searchsorted(self._keys, keys, side="right")
            for i in np.nonzero(hi > lo)[0].tolist():
                a, b = int(lo[i]), int(hi[i])
                vs.append(self._vals[a:b])
                qi.append(np.full(b - a, i, dtype=np.int64))
        delta = self._delta_map()
        if delta:
            for i, k in enumerate(keys.tolist()):
                got = delta.get(k)
                if got:
                    vs.append(np.asarray(got, dtype=np.int64))
                    qi.append(np.full(len(got), i, dtype=np.int64))
        if not vs:
            return _EMPTY_V, _EMPTY_V
        return np.concatenate(qi), np.concatenate(vs)
