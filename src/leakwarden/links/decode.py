"""Content-Encoding decoders that never produce more than a small piece at a time.

A gzip or brotli bomb turns a few kilobytes into gigabytes. Every decoder here yields output in
pieces of about ``PIECE`` bytes (at most twice that), so the caller can count decoded bytes and stop at its limit
before anything large is ever held in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

from leakwarden.errors import FetchError

PIECE = 64 * 1024


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...


class Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), PIECE):
            yield data[start : start + PIECE]


class Zlib:
    """gzip, zlib-wrapped deflate, or raw deflate (sniffed on the first bytes)."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._d: zlib._Decompress | None = None
        self._raw_fallback = encoding == "deflate"

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._d is None:
            wbits = zlib.MAX_WBITS | 32  # auto-detect gzip or zlib header
            if self._raw_fallback and data and (data[0] & 0x0F) != 8:
                wbits = -zlib.MAX_WBITS  # headerless deflate, as some servers send
            self._d = zlib.decompressobj(wbits)
        pending = data
        while True:
            if self._d.eof:
                return
            try:
                out = self._d.decompress(pending, PIECE)
            except zlib.error as exc:
                raise FetchError(f"broken {self._encoding} stream", code="decode_error") from exc
            pending = self._d.unconsumed_tail
            if out:
                yield out
            elif not pending:
                return


class Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            if self._d.is_finished():
                return
            out = self._d.process(data, output_buffer_limit=PIECE)
            if out:
                yield out
            while not self._d.can_accept_more_data():
                out = self._d.process(b"", output_buffer_limit=PIECE)
                if not out:
                    break
                yield out
        except brotli.error as exc:
            raise FetchError("broken br stream", code="decode_error") from exc


def _one(encoding: str) -> Decoder:
    if encoding in ("identity", ""):
        return Identity()
    if encoding in ("gzip", "x-gzip", "deflate"):
        return Zlib(encoding)
    if encoding == "br":
        return Brotli()
    raise FetchError(f"unsupported content encoding {encoding[:40]!r}", code="decode_error")


class Stack:
    """Decoders for a Content-Encoding header, applied in reverse order of the header."""

    def __init__(self, content_encoding: str | None) -> None:
        names = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
        if len(names) > 3:
            raise FetchError("too many content encodings", code="decode_error")
        self._layers: list[Decoder] = [_one(n) for n in reversed(names)] or [Identity()]

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield from self._feed(0, data)

    def _feed(self, layer: int, data: bytes) -> Iterator[bytes]:
        if layer == len(self._layers):
            yield data
            return
        for piece in self._layers[layer].feed(data):
            yield from self._feed(layer + 1, piece)
