"""Language centering (Libovický et al., 2020): subtract each language's mean vector.

A multilingual encoder's vectors carry a language component, so unrelated texts in one language
can score above a text and its own translation. The means are estimated from
``data/background.txt`` (30 everyday sentences per language, unrelated to any bank, one
``lang<TAB>sentence`` per line), embedded once per process with the active embedder; for the
default embedder they ship precomputed in ``data/means-<embedder>.npy`` (float32
[languages, dim], rows in the order of ``data/means-<embedder>.txt``).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from leakwarden.signals.bank.embed import Embedder

DATA = Path(__file__).parent / "data"
_cache: dict[str, dict[str, np.ndarray]] = {}
_lock = threading.Lock()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def background() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (DATA / "background.txt").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            lang, text = line.split("\t", 1)
            out.setdefault(lang.strip(), []).append(text.strip())
    return out


def compute_means(embedder: Embedder) -> dict[str, np.ndarray]:
    return {lang: embedder.embed(texts).mean(axis=0).astype(np.float32)
            for lang, texts in background().items()}


def save_means(embedder: Embedder) -> Path:
    means = compute_means(embedder)
    langs = sorted(means)
    path = DATA / f"means-{_slug(embedder.name)}.npy"
    np.save(path, np.stack([means[k] for k in langs]))
    (DATA / f"means-{_slug(embedder.name)}.txt").write_text("\n".join(langs) + "\n", encoding="utf-8")
    return path


def means_for(embedder: Embedder) -> dict[str, np.ndarray]:
    with _lock:
        got = _cache.get(embedder.name)
        if got is not None:
            return got
        npy = DATA / f"means-{_slug(embedder.name)}.npy"
        txt = DATA / f"means-{_slug(embedder.name)}.txt"
        if npy.is_file() and txt.is_file():
            arr = np.load(npy, allow_pickle=False)
            langs = txt.read_text(encoding="utf-8").split()
            got = {lang: arr[i].astype(np.float32) for i, lang in enumerate(langs)}
        else:
            got = compute_means(embedder)
        _cache[embedder.name] = got
        return got


def center(vectors: np.ndarray, lang: str, means: dict[str, np.ndarray]) -> np.ndarray:
    """Subtract the language's mean (if known) and re-normalize the rows."""
    mu = means.get(lang)
    v = vectors - mu if mu is not None else vectors.copy()
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (v / n).astype(np.float32)
