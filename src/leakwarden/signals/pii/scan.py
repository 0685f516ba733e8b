"""The shared shape of a recognizer: it reads a :class:`Scan` and yields :class:`Candidate` s.

Recognizers work on the normalized text (ASCII digits, no bidi controls or tatweel); offsets in a
Candidate are normalized offsets, mapped back to the original by :func:`find.find_pii`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from leakwarden.signals.pii.finding import Label

DEFAULT_REGIONS: tuple[str, ...] = ("US", "SA", "AE", "EG")

def lead(first: str) -> str:
    """The first character of a number (``first`` is one character or class), with no letter or
    digit just before it and no digit group just before ("12-", "12 "). Consuming the character
    before looking behind lets the regex engine skip ahead to candidates quickly."""
    return rf"{first}(?<![0-9A-Za-z]{first})(?<![0-9][-./ ]{first})"

#: No letter or digit just after, and no further digit group ("-34", " 34", ".5").
NA = r"(?![0-9A-Za-z])(?![-./ ][0-9])"


@dataclass(slots=True)
class Scan:
    text: str  # normalized text
    regions: tuple[str, ...]
    has_digits: bool
    has_arabic: bool
    lower: str  # text.lower(), for quick "is this word anywhere" checks only (offsets may differ)
    runs: frozenset[int]  # the lengths of the digit runs: recognizers skip texts that cannot match
    digits: int  # how many digits in all

    @classmethod
    def of(cls, text: str, regions: tuple[str, ...]) -> Scan:
        found = _DIGIT_RUN.findall(text)
        return cls(
            text=text,
            regions=regions,
            lower=text.lower(),
            runs=frozenset(map(len, found)),
            digits=sum(map(len, found)),
            has_digits=bool(found),
            has_arabic=not text.isascii() and _ARABIC.search(text) is not None,
        )


_DIGIT_RUN = re.compile(r"[0-9]+")
_ARABIC = re.compile("[\u0600-\u06ff]")

#: A separator inside a number as text extracted from a PDF or a scan has it: a hyphen, a dot or a
#: space, possibly followed by a line break, or a line break alone (the value wrapped at a line end).
SEP = r"(?:[-. ]\n?|\n)"


def consistent(*seps: str) -> bool:
    """Whether the separators of one number agree: all the same (possibly none), except that a line
    break may stand for a separator or follow one where the value wrapped."""
    plain = {s for s in seps if "\n" not in s}
    if len(plain) > 1:
        return False
    wrapped = {s.replace("\n", "") for s in seps if "\n" in s} - {""}
    return not (wrapped and plain and wrapped != plain)


@dataclass(slots=True)
class Candidate:
    label: Label
    start: int
    end: int
    confidence: float
    context: str
    masked: bool = False
    sample: bool = False  # a published example value (078-05-1120), no one's private information
    public: bool = False  # a public place or contact point (an embassy's address, a hotline)


Recognizer = Callable[[Scan], Iterator[Candidate]]
