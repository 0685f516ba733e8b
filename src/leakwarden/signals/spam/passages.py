"""A long comment's passages: a pitch hidden in a long on-topic comment.

Some spam is a real reader's paragraph about the article with two sentences of offer inside it
("...the defence was the problem. btw I bet on the derby with codes from t.me/...; anyway, the
referee..."). Read whole, the offer's n-grams are a small share of the comment's, and the linear
model's margin stays on the ham side. Each run of ``SPAN`` sentences of a comment of ``MIN_WORDS``
words or more is read on its own by the first reading (n-grams, under 1 ms each), and the comment
scores at least as high as its most spam-like passage.

Measured each time on writers that the model had not seen. The rule (2 sentences, 60 words) was
set on the first two and fixed before AM-AR were written:
- the 17-writer model on 21 writers (A-I, AA-AL): 4 more spam caught, 1 more false positive;
- the 32-writer model on AG-AL: 9 more spam, 1 more false positive (a missing relative's appeal);
- the 38-writer model on AM-AR: 7 more spam, no more false positives (F1 en / ar 0.963 / 0.979 ->
  0.970 / 0.984). At 40 words: the same 7 and 3 more false positives; at 80: 4 and none.
The thresholds are chosen on out-of-fold probabilities that include the passages (``train``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from leakwarden.signals.spam.features import MAX_FEATURE_CHARS, Comment

MIN_WORDS = 60
SPAN = 2
#: the most passages read of one comment, all within the head that the features read
#: (``MAX_FEATURE_CHARS``): a 60,000-character comment of short sentences took 3-9 s before
MAX_PASSAGES = 40
#: a sentence ends at . ! ? or the Arabic question mark before a space, or at a line break
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\s*\n\s*")


def passages(text: str) -> list[str]:
    """The runs of ``SPAN`` consecutive sentences of a comment of ``MIN_WORDS`` words or more
    (none for a shorter comment, or one of ``SPAN`` sentences or fewer: it is read whole), at most
    ``MAX_PASSAGES``, in the comment's head."""
    head = text[:MAX_FEATURE_CHARS]
    if len(head.split()) < MIN_WORDS:
        return []
    sentences = [s for s in _SENTENCE_END.split(head) if s.strip()][:MAX_PASSAGES + SPAN - 1]
    if len(sentences) <= SPAN:
        return []
    return [" ".join(sentences[i:i + SPAN]) for i in range(len(sentences) - SPAN + 1)]


@dataclasses.dataclass(frozen=True)
class Passages:
    """Every passage of some comments, as rows to read, and which comment each came from."""

    comments: list[Comment]  # each passage as a comment, with its comment's author fields
    owner: np.ndarray  # the index of its comment

    @classmethod
    def of(cls, comments: Sequence[Comment]) -> Passages:
        found = [(i, dataclasses.replace(c, text=p)) for i, c in enumerate(comments) for p in passages(c.text)]
        return cls([c for _, c in found], np.array([i for i, _ in found], dtype=np.int64))

    def highest(self, p: np.ndarray, n: int) -> np.ndarray:
        """Each of ``n`` comments' highest passage probability (0 for a comment read whole only)."""
        out = np.zeros(n)
        np.maximum.at(out, self.owner, p)
        return out


def highest_passage(comments: Sequence[Comment], featurize: Callable[[list[Comment]], sp.csr_matrix],
                    read: Callable[[sp.csr_matrix], np.ndarray]) -> np.ndarray:
    """Each comment's most spam-like passage, read by ``read`` over ``featurize``'s rows."""
    found = Passages.of(comments)
    if not found.comments:
        return np.zeros(len(comments))
    return found.highest(read(featurize(found.comments)), len(comments))
