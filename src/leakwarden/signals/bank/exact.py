"""Stage 1, exact: SHA-256 of the bytes and of the normalized text."""

from __future__ import annotations

import hashlib

from leakwarden.signals.bank.normalize import normalized


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """SHA-256 (hex) of the UTF-8 normalized text: equal for copies that differ only in case,
    whitespace, punctuation, Arabic diacritics or digit script. Empty text hashes to ``""``."""
    norm = normalized(text)
    return hashlib.sha256(norm.encode("utf-8")).hexdigest() if norm else ""
