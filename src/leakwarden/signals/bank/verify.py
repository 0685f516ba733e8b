"""Document-level verification of a cross-lingual or paraphrase candidate.

One lucky sentence does not make a match. Given the query's passages and one item's passages
(vectors from the same embedder), :func:`verify` aligns each query passage to its best item
passage and measures:

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
_WORD_NUM = re.compile(r"[A-Za-z\u0621-\u064a]+(?:\s+(?:عشر|عشرة))?")


def _canon(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.6g}"


def numbers(text: str) -> set[str]:
    """The numbers of a text as canonical values: ``4,200`` = ``٤٬٢٠٠`` = ``4200``;
    ``3.8 million`` = ``3.8 مليون`` = ``3800000``; ``75 ألف`` = ``$75,000``; ``eleven`` =
    ``إحدى عشرة`` = ``11``. Values under 10 are ignored (list markers, "one of 3")."""
    out: set[str] = set()
    for m in _NUM.finditer(text):
        raw = fold_word(m.group()).replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        scale = _SCALE_AFTER.match(text, m.end())
        if scale:
            value *= _SCALES.get(scale.group(1).lower(), 1.0)
        if value >= 10:
            out.add(_canon(value))
    for m in _WORD_NUM.finditer(text):
        word = m.group()
        parts = word.split()
        low = parts[0].lower()
        if len(parts) == 2 and parts[0] in _AR_TEENS:
            out.add(str(_AR_TEENS[parts[0]]))
        elif low in _WORDS:
            out.add(str(_WORDS[low]))
        elif low.startswith("و") and low[1:] in _WORDS:
            out.add(str(_WORDS[low[1:]]))
    return out


def number_hashes(values: set[str]) -> set[str]:
    """Numbers as short hashes, so items shared without text still carry them (exchange)."""
    return {hashlib.sha256(f"num:{v}".encode()).hexdigest()[:16] for v in values}


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


@dataclass
class Verdict:
    matched: bool
    score: float
    coverage: float
    mean: float
    numbers: float | None
    order: float
    best: float = 0.0
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (query p, item p, sim)

    def features(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "coverage": round(self.coverage, 3),
                "mean": round(self.mean, 4), "numbers": self.numbers, "order": round(self.order, 3),
                "best": round(self.best, 4)}


def verify(qv: np.ndarray, q_words: list[int], iv: np.ndarray, q_numbers: set[str],
           i_numbers: set[str] | frozenset[str], t: Thresholds) -> Verdict:
    sims = qv @ iv.T
    best_j = sims.argmax(axis=1)
    best = sims[np.arange(len(qv)), best_j]
    w = np.asarray(q_words, dtype=np.float64)
    total = float(w.sum()) or 1.0
    aligned = best >= t.passage
    coverage = float(w[aligned].sum()) / total
    mean = float((best * w).sum()) / total
    nums = number_agreement(q_numbers, i_numbers)
    order_seq = [int(j) for j, a in zip(best_j.tolist(), aligned.tolist(), strict=True) if a]
    order = _lis(order_seq) / len(order_seq) if order_seq else 0.0
    score = mean
    floor = t.document_no_numbers if nums is None else t.document
    matched = (coverage >= t.coverage and score >= floor and (nums is None or nums >= t.numbers))
    pairs = [(i, int(best_j[i]), float(best[i])) for i in range(len(qv)) if aligned[i]]
    return Verdict(matched, float(min(1.0, max(0.0, score))), coverage, mean, nums, order,
                   float(best.max()), pairs)
