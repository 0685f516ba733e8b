"""The shipped thresholds. How each was chosen is in README.md ("Thresholds"); bench/eval_bank.py
re-derives them on the evaluation set and reports recall and false matches at these values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    near_duplicate: float = 0.5  # estimated Jaccard of 5-character shingles
    excerpt_words: int = 25  # copied run length, in words
    excerpt_share: float = 0.5  # share of the query's words copied that settles an excerpt alone
    excerpt_min_share: float = 0.05  # below excerpt_share, the query's numbers must agree too
    excerpt_numbers: float = 0.6  # ... this share of them (queries with fewer than 2 numbers pass)
    excerpt_contradictions: int = 3  # ... unless fewer than this many of the query's numbers are new
    semantic_min_words: int = 12  # shorter texts never pay for embeddings
    # Stage 4 runs only when some item already holds >= ``numbers`` of the query's 2+ numbers (a
    # condition verification needs anyway). Queries with fewer than 2 numbers skip stage 4 unless
    # this is False: then they pay for embeddings and need ``document_no_numbers``.
    semantic_needs_numbers: bool = True
    candidate: float = 0.35  # centred cosine of one passage pair that makes an item a candidate
    ann_k: int = 8  # neighbours per query passage
    passage: float = 0.45  # a query passage is aligned (and shown) from this centred cosine
    coverage: float = 0.0  # share of the query's words in aligned passages
    numbers: float = 0.90  # share of the query's numbers found in the item (when it has 2+)
    # ... and at least this many of them not years. Every translation and rewrite in the evaluation
    # set shares >= 5 such figures with its source; commentary on the same story shares only years.
    figures: int = 3
    document: float = 0.31  # word-weighted mean best centred cosine of the query's passages
    document_no_numbers: float = 0.60  # the same, for queries with fewer than 2 numbers


DEFAULT = Thresholds()
