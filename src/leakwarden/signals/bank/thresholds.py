"""The shipped thresholds. How each was chosen is in README.md ("Thresholds"); bench/eval_bank.py
re-derives them on the evaluation set and reports recall and false matches at these values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Thresholds:
    near_duplicate: float = 0.5  # estimated Jaccard of 5-character shingles
    excerpt_words: int = 25  # copied run length, in words
    excerpt_share: float = 0.5  # share of the query's words copied that settles an excerpt alone
    excerpt_min_share: float = 0.05  # below excerpt_share, the query's numbers must agree too
    excerpt_numbers: float = 0.6  # ... this share of them (queries with fewer than 2 numbers pass)
    excerpt_contradictions: int = 3  # ... unless fewer than this many of the query's numbers are new
    # below excerpt_share, copies that all lie in the item's first or last ``template_edge`` (its header
    # or footer) in a query with ``template_rest``+ words of its own are a shared template, not a quote
    template_edge: float = 0.3
    template_rest: int = 80
    semantic_min_words: int = 12  # shorter texts never pay for embeddings
    # Stage 4's candidates: items sharing at least this many anchors with the text, crosswise (its
    # names among the item's words and numbers, the item's names among its words; ``anchors.py``).
    anchors: int = 4
    max_candidates: int = 16  # the items with the most shared anchors are verified, at most this many
    passage: float = 0.45  # a passage pair is aligned (and shown) from this centred cosine
    # the evidence model's score (``verify.Evidence``: estimated probability that the text renders
    # the item) from which a candidate is a match
    document: float = 0.5
    review: float = 0.5  # ... and from which it is a possible rendering, queued for a reviewer
    # the share of the query's figures (2+, years aside) absent from the item that vetoes stage 4
    contradicted: float = 0.5


def _shipped() -> Thresholds:
    """The defaults, with stage 4's gate and threshold as fitted with the shipped evidence model
    (``data/verifier.json``, written by ``bench/eval_bank.py --write-model``)."""
    fitted = json.loads((Path(__file__).parent / "data" / "verifier.json").read_text(encoding="utf-8"))
    return Thresholds(anchors=int(fitted["anchors"]), document=float(fitted["threshold"]),
                      review=float(fitted["review"]))


DEFAULT = _shipped()
