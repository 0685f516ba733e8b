"""Stage 3, excerpt: a passage of ``MIN_WORDS``+ words copied from an item into a longer text.

Fingerprints are hashes of word ``K``-grams of the normalized words. An item stores only its
*winnowed* fingerprints (the minimum hash of every window of ``W`` consecutive k-grams, Schleimer
et al. 2003), with their word positions: any shared run of ``W + K - 1`` words or more is
guaranteed to share one. A query hashes *all* its k-grams and looks them up; hits on one diagonal
(item position - query position) are grouped, then, when the item's text is at hand, extended
word by word in both texts to the exact copied span.

Token hash: the first 8 bytes (little-endian) of BLAKE2b(word, digest_size=8); k-gram hash: a
polynomial in those (uint64 arithmetic, wrapping), see :func:`kgram_hashes`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from leakwarden.signals.bank.normalize import Token

K = 6
W = 8
MIN_WORDS = 25
POS_BITS = 24
_POW = np.array([pow(0x100000001B3, K - 1 - i, 1 << 64) for i in range(K)], dtype=np.uint64)


def token_hashes(toks: list[Token]) -> np.ndarray:
    return token_hashes_from_norm([t.norm for t in toks])


def kgram_hashes(th: np.ndarray) -> np.ndarray:
    """Hash of every window of ``K`` token hashes (position i = words i..i+K-1)."""
    if len(th) < K:
        return np.zeros(0, dtype=np.uint64)
    win = sliding_window_view(th, K)
    with np.errstate(over="ignore"):
        return (win * _POW).sum(axis=1, dtype=np.uint64)


def winnow(kg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, positions) selected by winnowing with window ``W``."""
    if len(kg) == 0:
        return kg, np.zeros(0, dtype=np.int64)
    if len(kg) <= W:
        pos = np.array([int(np.argmin(kg))], dtype=np.int64)
    else:
        win = sliding_window_view(kg, W)
        pos = np.unique(np.argmin(win, axis=1) + np.arange(len(win)))
    return kg[pos], pos.astype(np.int64)


@dataclass(frozen=True)
class Copy:
    """A copied run: words [q0, q1) of the query equal words [i0, i1) of the item."""

    q0: int
    q1: int
    i0: int
    i1: int

    @property
    def words(self) -> int:
        return self.q1 - self.q0


def runs_from_hits(qpos: np.ndarray, ipos: np.ndarray, gap: int = W + K) -> list[Copy]:
    """Group fingerprint hits by diagonal into runs (hits closer than ``gap`` words join)."""
    out: list[Copy] = []
    if len(qpos) == 0:
        return out
    diag = ipos - qpos
    order = np.lexsort((qpos, diag))
    cur: list[int] | None = None
    for d, q in zip(diag[order].tolist(), qpos[order].tolist(), strict=True):
        if cur is not None and d == cur[0] and q - cur[2] <= gap:
            cur[2] = q
            continue
        if cur is not None:
            out.append(Copy(cur[1], cur[2] + K, cur[1] + cur[0], cur[2] + K + cur[0]))
        cur = [d, q, q]
    if cur is not None:
        out.append(Copy(cur[1], cur[2] + K, cur[1] + cur[0], cur[2] + K + cur[0]))
    return out


def extend(copy: Copy, qn: list[str], inn: list[str], slack: int = 2) -> Copy:
    """Grow a run word by word while the texts agree, bridging up to ``slack`` changed words
    (a typo or an inserted ellipsis) when agreement resumes right after."""
    q0, i0 = copy.q0, copy.i0
    while q0 > 0 and i0 > 0 and qn[q0 - 1] == inn[i0 - 1]:
        q0, i0 = q0 - 1, i0 - 1
    q1, i1 = copy.q1, copy.i1
    while True:
        while q1 < len(qn) and i1 < len(inn) and qn[q1] == inn[i1]:
            q1, i1 = q1 + 1, i1 + 1
        for s in range(1, slack + 1):
            if q1 + s + 2 <= len(qn) and i1 + s + 2 <= len(inn) and \
                    qn[q1 + s : q1 + s + 2] == inn[i1 + s : i1 + s + 2]:
                q1, i1 = q1 + s, i1 + s
                break
        else:
            break
    return Copy(q0, q1, i0, i1)


def merge_runs(runs: list[Copy], gap: int = 3) -> list[Copy]:
    """Join runs on (almost) one diagonal separated by a few changed words."""
    runs = sorted(runs, key=lambda c: (c.q0, c.i0))
    out: list[Copy] = []
    for r in runs:
        if out:
            p = out[-1]
            if 0 <= r.q0 - p.q1 <= gap and abs((r.i0 - r.q0) - (p.i0 - p.q0)) <= gap and r.i0 >= p.i0:
                out[-1] = Copy(p.q0, max(p.q1, r.q1), p.i0, max(p.i1, r.i1))
                continue
            if r.q0 < p.q1 and r.i0 - r.q0 == p.i0 - p.q0:
                out[-1] = Copy(p.q0, max(p.q1, r.q1), p.i0, max(p.i1, r.i1))
                continue
        out.append(r)
    return out


def locate(query_norm: list[str], item_norm: list[str]) -> list[Copy]:
    """Exact copied runs of ``MIN_WORDS``+ words between two tokenized texts, longest first."""
    qk = kgram_hashes(token_hashes_from_norm(query_norm))
    ik = kgram_hashes(token_hashes_from_norm(item_norm))
    if not len(qk) or not len(ik):
        return []
    order = np.argsort(ik, kind="stable")
    sk = ik[order]
    lo = np.searchsorted(sk, qk, "left")
    hi = np.searchsorted(sk, qk, "right")
    qpos: list[int] = []
    ipos: list[int] = []
    for q in np.nonzero(hi > lo)[0].tolist():
        for j in order[lo[q] : hi[q]].tolist():
            qpos.append(q)
            ipos.append(j)
    runs = runs_from_hits(np.array(qpos, dtype=np.int64), np.array(ipos, dtype=np.int64), gap=1)
    runs = merge_runs([extend(r, query_norm, item_norm) for r in runs])
    return sorted((r for r in runs if r.words >= MIN_WORDS), key=lambda c: -c.words)


def token_hashes_from_norm(words: list[str]) -> np.ndarray:
    return np.array(
        [int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
         for w in words],
        dtype=np.uint64,
    )
