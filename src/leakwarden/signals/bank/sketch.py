"""Everything matchable about one text, computed once: hashes, MinHash, fingerprints, passages.

Used for items when they are added and for subjects when they are matched.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from leakwarden.signals.bank import anchors, excerpt, minhash
from leakwarden.signals.bank.exact import sha256_bytes
from leakwarden.signals.bank.normalize import Token, script_lang, tokens
from leakwarden.signals.bank.numbers import numbers
from leakwarden.signals.bank.passages import Passage, split


@dataclass
class Sketch:
    text: str
    toks: list[Token]
    lang: str
    sha256_text: str
    sha256_bytes: str | None = None
    _minhash: np.ndarray | None = field(default=None, repr=False)
    _kgrams: np.ndarray | None = field(default=None, repr=False)
    _passages: list[Passage] | None = field(default=None, repr=False)
    _names: set[str] | None = field(default=None, repr=False)
    _keys: set[str] | None = field(default=None, repr=False)
    _numbers: set[str] | None = field(default=None, repr=False)

    @property
    def words(self) -> list[str]:
        return [t.norm for t in self.toks]

    @property
    def norm(self) -> str:
        return " ".join(self.words)

    def minhash(self) -> np.ndarray | None:
        if self._minhash is None and self.toks:
            self._minhash = minhash.signature(self.norm, is_normalized=True)
        return self._minhash

    def kgrams(self) -> np.ndarray:
        if self._kgrams is None:
            self._kgrams = excerpt.kgram_hashes(excerpt.token_hashes(self.toks))
        return self._kgrams

    def fingerprints(self) -> tuple[np.ndarray, np.ndarray]:
        return excerpt.winnow(self.kgrams())

    def names(self) -> set[str]:
        """Skeletons of the likely names (``anchors.names``)."""
        if self._names is None:
            self._names = anchors.names(self.text, self.toks)
        return self._names

    def keys(self) -> set[str]:
        """Skeletons of the words that can meet a name (``anchors.keys``)."""
        if self._keys is None:
            self._keys = anchors.keys(self.text, self.toks)
        return self._keys

    def numbers(self) -> set[str]:
        """Canonical values of the figures (``numbers.numbers``)."""
        if self._numbers is None:
            self._numbers = numbers(self.text)
        return self._numbers

    def passages(self) -> list[Passage]:
        if self._passages is None:
            self._passages = split(self.text)
        return self._passages


def sketch(text: str, data: bytes | None = None, lang: str | None = None) -> Sketch:
    toks = tokens(text)
    norm = " ".join(t.norm for t in toks)
    sha = hashlib.sha256(norm.encode("utf-8")).hexdigest() if norm else ""
    return Sketch(
        text=text,
        toks=toks,
        lang=(lang or script_lang(text))[:2].lower(),
        sha256_text=sha,
        sha256_bytes=sha256_bytes(data) if data is not None else None,
    )


def pack_fingerprints(hashes: np.ndarray, positions: np.ndarray) -> bytes:
    return hashes.astype("<u8").tobytes() + positions.astype("<u4").tobytes()


def unpack_fingerprints(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    n = len(blob) // 12
    hashes = np.frombuffer(blob, dtype="<u8", count=n).astype(np.uint64)
    positions = np.frombuffer(blob, dtype="<u4", count=n, offset=8 * n).astype(np.int64)
    return hashes, positions
