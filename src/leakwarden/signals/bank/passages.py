"""Passages: the units embedded and aligned by the cross-lingual stage.

A passage is one sentence (split on . ! ? ؟ ؛ and line breaks, never inside a number such as
4.2), short sentences joined to the next until ``MIN_WORDS`` words, long ones cut every
``MAX_WORDS`` words. Each keeps its character span in the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leakwarden.signals.bank.normalize import tokens

MIN_WORDS = 6
MAX_WORDS = 60
MAX_PASSAGES = 200  # per text: a very long document is embedded from its first 200 passages
_END = re.compile(r"(?<!\d)[.!?؟؛;…]+(?=\s|$)|(?<=\d)[.!?؟؛;…]+(?=\s|$)|\n\s*\n|\n(?=\s*[-•*\d])")


@dataclass(frozen=True)
class Passage:
    start: int
    end: int
    text: str
    words: int


def _sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    last = 0
    for m in _END.finditer(text):
        spans.append((last, m.end()))
        last = m.end()
    if last < len(text):
        spans.append((last, len(text)))
    return spans


def split(text: str) -> list[Passage]:
    out: list[Passage] = []
    pending: tuple[int, int] | None = None
    for a, b in _sentences(text):
        if pending is not None:
            a = pending[0]
        toks = tokens(text[a:b])
        if not toks:
            continue
        if len(toks) < MIN_WORDS:
            pending = (a, b)
            continue
        pending = None
        for i in range(0, len(toks), MAX_WORDS):
            chunk = toks[i : i + MAX_WORDS]
            if i and len(chunk) < MIN_WORDS and out:
                prev = out.pop()
                s, e = prev.start, a + chunk[-1].end
                out.append(Passage(s, e, text[s:e].strip(), prev.words + len(chunk)))
                continue
            s, e = a + chunk[0].start, a + chunk[-1].end
            e = b if i + MAX_WORDS >= len(toks) else e
            out.append(_make(text, s, e, len(chunk)))
    if pending is not None:
        toks = tokens(text[pending[0] : pending[1]])
        if out and len(toks) < MIN_WORDS:
            prev = out.pop()
            out.append(_make(text, prev.start, pending[1], prev.words + len(toks)))
        else:
            out.append(_make(text, pending[0], pending[1], len(toks)))
    return out[:MAX_PASSAGES]


def _make(text: str, s: int, e: int, words: int) -> Passage:
    raw = text[s:e]
    lead = len(raw) - len(raw.lstrip())
    body = raw.strip()
    return Passage(s + lead, s + lead + len(body), body, words)
