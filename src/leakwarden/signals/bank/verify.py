"""Document-level verification of a cross-lingual or paraphrase candidate.

One lucky sentence does not make a match. Given the query's passages and one item's passages
(vectors from the same embedder), :func:`verify` aligns each query passage to its best item
*unit*: one item passage, or a run of 2 or 3 consecutive item passages (``units``; a short
paraphrase or a summary merges several sentences into one), and measures:

- ``coverage``: share of the query's words in passages aligned above the passage threshold;
- ``mean``: word-weighted mean of the best similarity of every query passage;
- ``numbers``: share of the query's numbers (any digit script, thousands separators ignored)
  that the item also contains; a rewrite or translation keeps the figures, a different story
  about the same people does not;
- ``order``: share of aligned passages in the item's order (longest increasing run), reported
  for the reviewer (content-farm rewrites reorder paragraphs, so it does not gate).

Similarities are cosines of language-centred vectors (``center``). The document score is
``mean``; the item is a match when the score, the coverage and the numbers all clear their
thresholds (``thresholds.Thresholds``).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from leakwarden.signals.bank.normalize import fold_word
from leakwarden.signals.bank.thresholds import Thresholds

_NUM = re.compile(r"[0-9٠-٩۰-۹]+(?:[.,٫٬][0-9٠-٩۰-۹]+)*")
_SCALE_AFTER = re.compile(
    r"\s*(k\b|thousand|ألف|الف|آلاف|الاف|m\b|mn\b|million|millions|مليون|ملايين|bn\b|billion|مليار)",
    re.IGNORECASE)
_SCALES = {"k": 1e3, "thousand": 1e3, "ألف": 1e3, "الف": 1e3, "آلاف": 1e3, "الاف": 1e3,
           "m": 1e6, "mn": 1e6, "million": 1e6, "millions": 1e6, "مليون": 1e6, "ملايين": 1e6,
           "bn": 1e9, "billion": 1e9, "مليار": 1e9}
_WORDS = {
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "أربعون": 40, "أربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70, "ثمانون": 80,
    "ثمانين": 80, "تسعون": 90, "تسعين": 90, "مئة": 100, "مائة": 100,
}
_AR_TEENS = {"أحد": 11, "إحدى": 11, "اثنا": 12, "اثنتا": 12, "اثني": 12, "اثنتي": 12, "ثلاثة": 13,
             "ثلاث": 13, "أربعة": 14, "أربع": 14, "خمسة": 15, "خمس": 15, "ستة": 16, "ست": 16,
             "سبعة": 17, "سبع": 17, "ثمانية": 18, "ثماني": 18, "تسعة": 19, "تسع": 19}
_AR_TEENS.update({"حادي": 11, "حادية": 11, "ثاني": 12, "ثانية": 12})
_AR_PREFIXES = ("", "و", "ال", "وال", "بال")
_PERCENT = {"مئة", "مائة"}
_RANGE_SCALE = re.compile(
    r"\s*(?:to|-|–|إلى|الى)\s*[0-9٠-٩۰-۹]+(?:[.,٫٬][0-9٠-٩۰-۹]+)*" + _SCALE_AFTER.pattern, re.IGNORECASE)
_WORD_NUM = re.compile(r"[A-Za-z\u0621-\u064a]+(?:\s+(?:عشر|عشرة))?")


def _canon(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.6g}"


def _scale(text: str, end: int) -> float:
    """The scale word right after ``end`` ("million", "مليون", "مليونًا"), or that of a range's
    upper bound: in "4.2 to 4.8 billion" / "من ٤٫٢ إلى ٤٫٨ مليار" both ends are billions."""
    m = _SCALE_AFTER.match(text, end)
    if m is None:
        m = _RANGE_SCALE.match(text, end)
    return _SCALES.get(m.group(1).lower(), 1.0) if m else 1.0


def _word_value(parts: list[str]) -> int | None:
    """A number written as a word (English or Arabic), with Arabic's attached conjunction and
    article stripped: "ثلاثين" = "والثلاثين" = 30; "إحدى عشرة" = "الحادية عشرة" = 11."""
    for prefix in _AR_PREFIXES:
        if prefix and not parts[0].startswith(prefix):
            continue
        head = parts[0][len(prefix):]
        if "ال" in prefix and head in _PERCENT:
            continue  # "في المئة", "بالمئة": per cent, not a hundred
        if len(parts) == 2 and head in _AR_TEENS:
            return _AR_TEENS[head]
        if len(parts) == 1 and head.lower() in _WORDS:
            return _WORDS[head.lower()]
    return None


def numbers(text: str) -> set[str]:
    """The numbers of a text as canonical values: ``4,200`` = ``٤٬٢٠٠`` = ``4200``;
    ``3.8 million`` = ``3.8 مليون`` = ``3800000``; ``75 ألف`` = ``$75,000``; ``eleven`` =
    ``إحدى عشرة`` = ``الحادية عشرة`` = ``11``; ``forty million`` = ``40 مليونًا``; ``4.2 to 4.8
    billion`` = ``4200000000`` and ``4800000000``. Values under 10 are ignored (list markers,
    "one of 3")."""
    out: set[str] = set()
    for m in _NUM.finditer(text):
        raw = fold_word(m.group()).replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        value *= _scale(text, m.end())
        if value >= 10:
            out.add(_canon(value))
    for m in _WORD_NUM.finditer(text):
        got = _word_value(m.group().split())
        if got is not None:
            value = got * _scale(text, m.end())
            out.add(_canon(value))
    return out


def number_hashes(values: set[str]) -> set[str]:
    """Numbers as short hashes, so items shared without text still carry them (exchange)."""
    return {hashlib.sha256(f"num:{v}".encode()).hexdigest()[:16] for v in values}


#: The hashes of years (1900-2100): dates say when, not what. Commentary on a leaked story names the
#: same years; a translation or rewrite of the leak keeps its amounts, counts and percentages too.
YEAR_HASHES = frozenset(number_hashes({str(y) for y in range(1900, 2101)}))


def shared_figures(query: set[str] | frozenset[str], item: set[str] | frozenset[str]) -> int:
    """How many numbers other than years the query and the item both state (as hashes)."""
    return len((query & item) - YEAR_HASHES)


def number_agreement(query: set[str] | frozenset[str], item: set[str] | frozenset[str]) -> float | None:
    """Share of the query's numbers the item contains; None when the query has fewer than 2."""
    if len(query) < 2:
        return None
    return len(query & item) / len(query)


def _lis(seq: list[int]) -> int:
    tails: list[int] = []
    for x in seq:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)


WINDOWS = (2, 3)  # item passages are also aligned as runs of this many consecutive sentences


def units(iv: np.ndarray, windows: tuple[int, ...] = WINDOWS) -> tuple[np.ndarray, np.ndarray]:
    """The item's alignment units: every passage, and every run of ``windows`` consecutive
    passages (a short paraphrase or a summary merges sentences). A run's vector is the
    re-normalized sum of its passages' vectors, so no extra embedding is paid. Returns the unit
    vectors and each unit's (first, last) passage index."""
    vecs = [iv]
    bounds = [np.stack([np.arange(len(iv))] * 2, axis=1)]
    for n in windows:
        if len(iv) < n:
            continue
        c = np.cumsum(np.vstack([np.zeros((1, iv.shape[1]), dtype=iv.dtype), iv]), axis=0)
        w = c[n:] - c[:-n]
        norm = np.linalg.norm(w, axis=1, keepdims=True)
        norm[norm == 0] = 1.0
        vecs.append((w / norm).astype(iv.dtype))
        first = np.arange(len(iv) - n + 1)
        bounds.append(np.stack([first, first + n - 1], axis=1))
    return np.concatenate(vecs), np.concatenate(bounds)


@dataclass
class Verdict:
    matched: bool
    score: float
    coverage: float
    mean: float
    numbers: float | None
    order: float
    best: float = 0.0
    figures: int = 0  # numbers besides years that the query and the item share
    # (query passage, first item passage, last item passage, similarity) of every aligned pair
    pairs: list[tuple[int, int, int, float]] = field(default_factory=list)

    def features(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "coverage": round(self.coverage, 3),
                "mean": round(self.mean, 4), "numbers": self.numbers, "order": round(self.order, 3),
                "best": round(self.best, 4), "figures": self.figures}


def verify(qv: np.ndarray, q_words: list[int], iv: np.ndarray, q_numbers: set[str],
           i_numbers: set[str] | frozenset[str], t: Thresholds,
           windows: tuple[int, ...] = WINDOWS) -> Verdict:
    """Align every query passage to its best item unit (a passage or a run of ``windows``
    consecutive passages) and verify the document as a whole."""
    uv, bounds = units(iv, windows)
    sims = qv @ uv.T
    best_u = sims.argmax(axis=1)
    best = sims[np.arange(len(qv)), best_u]
    w = np.asarray(q_words, dtype=np.float64)
    total = float(w.sum()) or 1.0
    aligned = best >= t.passage
    coverage = float(w[aligned].sum()) / total
    mean = float((best * w).sum()) / total
    nums = number_agreement(q_numbers, i_numbers)
    order_seq = [int(bounds[u, 0]) for u, a in zip(best_u.tolist(), aligned.tolist(), strict=True) if a]
    order = _lis(order_seq) / len(order_seq) if order_seq else 0.0
    score = mean
    floor = t.document_no_numbers if nums is None else t.document
    figures = shared_figures(q_numbers, i_numbers)
    figures_agree = nums is None or (nums >= t.numbers and figures >= t.figures)
    matched = coverage >= t.coverage and score >= floor and figures_agree
    pairs = [(i, int(bounds[best_u[i], 0]), int(bounds[best_u[i], 1]), float(best[i]))
             for i in range(len(qv)) if aligned[i]]
    return Verdict(matched, float(min(1.0, max(0.0, score))), coverage, mean, nums, order,
                   float(best.max()), figures, pairs)
