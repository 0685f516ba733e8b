"""Document-level verification of a cross-lingual or paraphrase candidate, as bitext mining does.

One lucky sentence does not make a match, and neither do shared names. Given the query's and one
item's passages (language-centred vectors from the same embedder), :func:`verify` aligns the two
documents *both ways*:

- every query passage to its best item *unit* (one item passage, or a run of 2 or 3 consecutive
  item passages: a short paraphrase or a summary merges sentences), and every item passage to its
  best query unit;
- ``q_mean`` / ``i_mean``: word-weighted mean of those best similarities, over the query and over
  the item; ``q_cov`` / ``i_cov``: share of each side's words aligned above the passage threshold;
- ``mutual``: share of query passages whose best item passage has them as its best query passage
  too (mutual best alignments: a translation aligns nearly every sentence both ways, commentary
  a few at most);
- ``order``: share of aligned passages in the item's order (for the reviewer; content farms
  reorder paragraphs, so it is not evidence).

Soft evidence from anchors (``anchors``) and figures (``numbers``) joins the alignment:

- ``names``: share of the query's likely names (cross-script skeletons) that occur in the item,
  and of the item's in the query (``names_i``);
- ``figures``: how many of the query's figures (years aside) the item states within a tolerance
  (``numbers.compare``; 4 or more count fully), and ``contradicted``: the share it does not;
- ``figures_i``: the share of the *item's* figures that the query states (``Figures.covered``,
  0.5 when the item states none): a rendering keeps its source's specifics, a text that only
  shares the story's headline figure does not.
- ``clash``: figures compared *where the passages align*. Of the aligned passage pairs that
  state figures, the share (shrunk by one pair's weight) where one side states a figure that the
  other side's passage and its neighbours do not. A rendering keeps each sentence's figures with
  it; a text that reverses the claims ("all 14 clinics were operating" against "only 11 of the
  14") keeps the document's figures but not in the same places, which the document-level counts
  cannot see.

:class:`Evidence` turns these into one **score: the estimated probability that the query is a
rendering of the item, among texts that resemble it** (a logistic model, ``data/verifier.json``,
fitted by ``bench/eval_bank.py`` on disjoint sources, cross-validated by writer, on the true
renderings and the hard negatives, with both classes weighted equally: other texts on the same
story, which a first model over all pairs took for renderings). A candidate is a match
when the score reaches ``Thresholds.document``, and a *possible* rendering, for a reviewer, from
``Thresholds.review``; either is vetoed when most of the query's figures contradict the item's
(``Thresholds.contradicted``).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from leakwarden.signals.bank.numbers import Figures, agreeing
from leakwarden.signals.bank.thresholds import Thresholds

NO_FIGURES = Figures(None, 0, 0)

DATA = Path(__file__).parent / "data"

#: the features the evidence model reads, in order (``Verdict.vector``)
FEATURES = ("q_mean", "i_mean", "peak", "csls", "mutual", "mutual_i", "names", "names_i", "figures",
            "figures_i", "contradicted", "clash", "short")
#: a passage pair this similar is a verbatim copy: the excerpt stage judges copies, so they are left
#: out of the alignment features (a template's shared header must not make two documents alike)
VERBATIM = 0.92


def _lis(seq: list[int]) -> int:
    tails: list[int] = []
    for x in seq:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)


WINDOWS = (2, 3)  # passages are also aligned as runs of this many consecutive sentences


def units(iv: np.ndarray, windows: tuple[int, ...] = WINDOWS) -> tuple[np.ndarray, np.ndarray]:
    """A document's alignment units: every passage, and every run of ``windows`` consecutive
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


@dataclass(frozen=True)
class Evidence:
    """The logistic evidence model: ``score = sigmoid(bias + Σ weight·feature)``."""

    weights: tuple[float, ...]
    bias: float
    version: str = ""

    def score(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * float(features[name]) for w, name in zip(self.weights, FEATURES, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "weights": list(self.weights), "bias": self.bias,
                "version": self.version}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError(f"evidence model features {data.get('features')} != {list(FEATURES)}")
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]), str(data.get("version", "")))


@lru_cache(maxsize=1)
def shipped_evidence() -> Evidence:
    """The model shipped in ``data/verifier.json``."""
    return Evidence.from_json(json.loads((DATA / "verifier.json").read_text(encoding="utf-8")))


@dataclass
class Verdict:
    matched: bool
    score: float
    coverage: float  # share of the query's words aligned above the passage threshold
    mean: float  # q_mean
    numbers: float | None
    order: float
    best: float = 0.0
    i_mean: float = 0.0
    peak: float = 0.0
    csls: float = 0.0
    mutual: float = 0.0
    mutual_i: float = 0.0
    names: float = 0.0
    names_i: float = 0.0
    short: float = 0.0
    verbatim: float = 0.0  # share of the query's words in verbatim passages (left out of the above)
    # (query passage, first item passage, last item passage, similarity) of every aligned pair
    pairs: list[tuple[int, int, int, float]] = field(default_factory=list)
    figures: Figures = NO_FIGURES
    tier: str = "none"  # match | review (a possible rendering for a person) | none
    clash: float = 0.0  # see :func:`clash`

    def vector(self) -> dict[str, float]:
        """The evidence model's inputs."""
        return {"q_mean": self.mean, "i_mean": self.i_mean, "peak": self.peak, "csls": self.csls,
                "mutual": self.mutual, "mutual_i": self.mutual_i, "names": self.names, "names_i": self.names_i,
                "figures": min(1.0, self.figures.agree / 4), "figures_i": self.figures.covered,
                "contradicted": self.figures.contradicted, "clash": self.clash,
                "short": self.short}

    def features(self) -> dict[str, Any]:
        """What a reviewer sees: the score (a probability), every input of the evidence model,
        and the coverage, order, verbatim share and best single pair."""
        return {"score": round(self.score, 4), **{k: round(v, 4) for k, v in self.vector().items()},
                "numbers": None if self.numbers is None else round(self.numbers, 3),
                "tier": self.tier, "coverage": round(self.coverage, 3), "order": round(self.order, 3),
                "verbatim": round(self.verbatim, 3), "best": round(self.best, 4)}


def _best(sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = sims.argmax(axis=1)
    return idx, sims[np.arange(sims.shape[0]), idx]


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum()) or 1.0
    return float((values * weights).sum()) / total


def share(part: set[str] | frozenset[str], whole: set[str] | frozenset[str]) -> float:
    """Share of ``part`` found in ``whole`` (0.0 for an empty ``part``)."""
    return len(part & whole) / len(part) if part else 0.0


def clash(q_figs: Sequence[frozenset[float]], i_figs: Sequence[frozenset[float]],
          aligned: Sequence[tuple[int, int]]) -> float:
    """Of the ``aligned`` (query passage, item passage) pairs that state figures, the share where
    one side states a figure that the other's counterpart (the passage and its neighbours: sentence
    splits differ) does not, shrunk towards 0 by one pair."""

    def near(figs: Sequence[frozenset[float]], k: int) -> set[float]:
        return set().union(*figs[max(0, k - 1) : k + 2])

    stating = clashing = 0
    for p, j in aligned:
        if not q_figs[p] and not i_figs[j]:
            continue
        stating += 1
        clashing += (len(agreeing(set(q_figs[p]), near(i_figs, j))) < len(q_figs[p])
                     or len(agreeing(set(i_figs[j]), near(q_figs, p))) < len(i_figs[j]))
    return clashing / (stating + 1)


def verify(qv: np.ndarray, q_words: list[int], iv: np.ndarray, i_words: list[int], t: Thresholds, *,
           figures: Figures = NO_FIGURES, names: float = 0.0, names_i: float = 0.0,
           evidence: Evidence | None = None, windows: tuple[int, ...] = WINDOWS,
           q_figs: Sequence[frozenset[float]] | None = None, i_figs: Sequence[frozenset[float]] | None = None
           ) -> Verdict:
    """Align the query and the item both ways and weigh the evidence (see the module doc).
    ``q_figs`` / ``i_figs``: each passage's figures (for ``clash``; 0 without them)."""
    qw = np.asarray(q_words, dtype=np.float64)
    iw = np.asarray(i_words, dtype=np.float64)
    iu, ib = units(iv, windows)
    q_best_u, q_best = _best(qv @ iu.T)
    q_aligned = q_best >= t.passage
    order_seq = [int(ib[u, 0]) for u, a in zip(q_best_u.tolist(), q_aligned.tolist(), strict=True) if a]
    pairs = [(i, int(ib[q_best_u[i], 0]), int(ib[q_best_u[i], 1]), float(q_best[i]))
             for i in range(len(qv)) if q_aligned[i]]
    pp = qv @ iv.T
    keep_q, keep_i = pp.max(axis=1) < VERBATIM, pp.max(axis=0) < VERBATIM
    verbatim = 1.0 - _weighted(keep_q.astype(np.float64), qw)
    q_at, i_at = np.arange(len(qv)), np.arange(len(iv))  # kept passages' indices in the full lists
    if keep_q.any() and keep_i.any():  # judge what is not copied word for word
        qv, qw, iv, iw, pp = qv[keep_q], qw[keep_q], iv[keep_i], iw[keep_i], pp[np.ix_(keep_q, keep_i)]
        q_at, i_at = q_at[keep_q], i_at[keep_i]
        iu, _ = units(iv, windows)
    qu, _ = units(qv, windows)
    q_best = (qv @ iu.T).max(axis=1)
    i_best = (iv @ qu.T).max(axis=1)
    # how far each query passage's best pair stands out from its other pairs (standard scores), and
    # CSLS within the pair of documents (Conneau et al. 2018: similarity less each side's mean
    # similarity to its k nearest): a rendering has one counterpart per sentence, a text on the same
    # subject is close to many
    row_best = pp.max(axis=1)
    peak = _weighted((row_best - pp.mean(axis=1)) / (pp.std(axis=1) + 0.05), qw)
    k_i, k_q = min(3, pp.shape[1]), min(3, pp.shape[0])
    r_q = np.sort(pp, axis=1)[:, -k_i:].mean(axis=1)
    r_i = np.sort(pp, axis=0)[-k_q:, :].mean(axis=0)
    csls = _weighted((2 * pp - r_q[:, None] - r_i[None, :]).max(axis=1), qw)
    q_to_i, i_to_q = pp.argmax(axis=1), pp.argmax(axis=0)
    mutual_q = (i_to_q[q_to_i] == np.arange(len(qv))) & (row_best >= t.passage)
    mutual_i = np.zeros(len(iv), dtype=bool)
    mutual_i[q_to_i[mutual_q]] = True
    short = math.log(max(1.0, float(np.asarray(i_words).sum())) / max(1.0, float(np.asarray(q_words).sum())))
    v = Verdict(False, 0.0, _weighted(q_aligned.astype(np.float64), np.asarray(q_words, dtype=np.float64)),
                _weighted(q_best, qw), figures.share, _lis(order_seq) / len(order_seq) if order_seq else 0.0,
                float(row_best.max()), _weighted(i_best, iw), peak, csls, _weighted(mutual_q, qw),
                _weighted(mutual_i, iw), names, names_i, max(0.0, min(1.0, short / math.log(8))), verbatim, pairs,
                figures)
    if q_figs is not None and i_figs is not None:
        held = row_best >= t.passage
        v.clash = clash(q_figs, i_figs, list(zip(q_at[held].tolist(), i_at[q_to_i[held]].tolist(), strict=True)))
    v.score = (evidence or shipped_evidence()).score(v.vector())
    # a rendering keeps the item's figures (rounded, reworded): most of the query's figures absent
    # from the item vetoes it, whatever the rest of the evidence says
    vetoed = v.figures.contradicted >= t.contradicted
    v.matched = v.score >= t.document and not vetoed
    v.tier = "match" if v.matched else "review" if v.score >= t.review and not vetoed else "none"
    return v
