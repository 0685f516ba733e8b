"""Normalize text for matching, and map every span back to the original exactly.

Detectors match on a folded copy of the text: Arabic-Indic (٠-٩) and Persian (۰-۹) digits become
ASCII digits, the Arabic decimal and thousands separators (٫ ٬) become ``.`` and ``,``, the Arabic
comma becomes ``,``, dash and space variants become ``-`` and a space, Arabic presentation forms
become base letters, and hamza-carrying alefs, alef maqsura and ta marbuta are folded (أ إ آ → ا,
ى → ي, ة → ه). Bidi controls (LRM, RLM, ALM, embeddings, isolates), zero-width characters, tatweel
and Arabic diacritics are dropped.

Every normalized character comes from exactly one original character, so a span found in
:attr:`Normalized.text` maps back with :meth:`Normalized.to_original`: the original span starts at
the first contributing character and ends after the last one, so dropped characters inside a
match stay inside it and dropped characters at its edges stay outside.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["DROPPED", "Normalized", "fold_char", "normalize"]

#: Characters removed before matching: bidi controls, zero-width characters, tatweel, diacritics.
DROPPED: frozenset[str] = frozenset(
    "\u200e\u200f\u061c"  # LRM, RLM, ALM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen
    "\u0640"  # tatweel
    + "".join(chr(c) for c in range(0x064B, 0x0660))  # harakat, shadda, sukun, ...
    + "\u0670"  # superscript alef
)


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): None for c in DROPPED}
    for i in range(10):
        table[0x0660 + i] = str(i)  # Arabic-Indic
        table[0x06F0 + i] = str(i)  # Extended Arabic-Indic (Persian, Urdu)
        table[0xFF10 + i] = str(i)  # fullwidth
    table.update({
        0x066B: ".",  # Arabic decimal separator
        0x066C: ",",  # Arabic thousands separator
        0x060C: ",",  # Arabic comma
        0x061B: ";",  # Arabic semicolon
        0x061F: "?",  # Arabic question mark
        0x066A: "%",  # Arabic percent sign
        0x06D4: ".",  # Arabic full stop
        0x0623: "\u0627", 0x0625: "\u0627", 0x0622: "\u0627", 0x0671: "\u0627",  # alef forms
        0x0649: "\u064a",  # alef maqsura → yeh
        0x06CC: "\u064a",  # Farsi yeh → yeh
        0x0629: "\u0647",  # ta marbuta → heh
        0x06A9: "\u0643",  # keheh → kaf
    })
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d":
        table[ord(dash)] = "-"
    for space in "\u00a0\u2007\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u3000":
        table[ord(space)] = " "
    # Arabic presentation forms and fullwidth Latin: keep only the one-to-one NFKC foldings so
    # the offset map stays one character to one character.
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00), *range(0xFF01, 0xFF5F)):
        if cp in table:
            continue
        folded = unicodedata.normalize("NFKC", chr(cp))
        if len(folded) == 1 and folded != chr(cp):
            table[cp] = table.get(ord(folded), folded)
    return table


_TABLE = _build_table()


def fold_char(ch: str) -> str:
    """The folded form of one character: ``""`` when it is dropped."""
    out = _TABLE.get(ord(ch), ch)
    return "" if out is None else out


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized copy of ``original``, with the map back.

    ``index[i]`` is the offset in ``original`` of the character that produced ``text[i]``; it is
    ``None`` when nothing was dropped, so the offsets are the same in both strings.
    """

    original: str
    text: str
    index: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``text[start:end]`` to the matching span of ``original``."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) is outside the normalized text")
        if self.index is None:
            return start, end
        if start == end:
            pos = self.index[start] if start < len(self.index) else len(self.original)
            return pos, pos
        return self.index[start], self.index[end - 1] + 1

    def original_text(self, start: int, end: int) -> str:
        s, e = self.to_original(start, end)
        return self.original[s:e]


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold(text: str) -> str:
    """``text.translate(_TABLE)``. ``str.translate`` looks every character up in the table, which
    is slow on long texts; where only a few characters are not ASCII (English with a dash, a
    non-breaking space or a few foreign digits), only those runs are translated."""
    if len(text) < 2000 or len(text.encode("ascii", "ignore")) < len(text) * 0.95:
        return text.translate(_TABLE)
    out: list[str] = []
    pos = 0
    for m in _NON_ASCII.finditer(text):
        out.append(text[pos : m.start()])
        out.append(m[0].translate(_TABLE))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching (see the module docstring). Pure ASCII text is returned as is."""
    if text.isascii():
        return Normalized(text, text)
    folded = _fold(text)
    if len(folded) == len(text):  # nothing dropped: offsets are unchanged
        return Normalized(text, folded)
    index = tuple(m for m, ch in enumerate(text) if _TABLE.get(ord(ch), ch) is not None)
    return Normalized(text, folded, index)
