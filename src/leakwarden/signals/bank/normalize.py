"""Normalization for matching: the same words whatever the script's decoration.

Folding (applied word by word, so every token keeps its span in the original text):

- Unicode NFKC, then case folding;
- Arabic: diacritics (harakat, tanwin, shadda, sukun, superscript alef) and tatweel removed;
  alef variants (أ إ آ ٱ) → ا, ى → ي, ة → ه, ؤ → و, ئ → ي;
- Arabic-Indic and Eastern Arabic-Indic digits → ASCII digits;
- punctuation separates words and is otherwise dropped.

:func:`tokens` returns ``Token(norm, start, end)``; :func:`normalized` joins the folded words with
single spaces. Both are pure and cheap (one regex pass).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u0300-\u036f"
_WORD = re.compile(rf"(?:[^\W_]|[{_MARKS}])+(?:[.,٫٬][0-9٠-٩۰-۹]+)*", re.UNICODE)
_ARABIC_MARKS = re.compile(f"[{_MARKS}]")
_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "٫": ".", "٬": ",",
    }
)
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_LATIN_LETTER = re.compile("[A-Za-z]")


class Token(NamedTuple):
    norm: str
    start: int
    end: int


def as_written(word: str) -> str:
    """``word`` in NFKC without Arabic diacritics and tatweel, its letters as written (unfolded)."""
    return _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", word).casefold())


def fold_word(word: str) -> str:
    """Fold one word (see the module doc)."""
    word = as_written(word).translate(_FOLD)
    return word.replace(",", "") if word[:1].isdigit() else word


def tokens(text: str) -> list[Token]:
    """The words of ``text``, folded, with their character spans in ``text``."""
    out: list[Token] = []
    for m in _WORD.finditer(text):
        norm = fold_word(m.group())
        if norm:
            out.append(Token(norm, m.start(), m.end()))
    return out


def normalized(text: str) -> str:
    """Folded words joined by single spaces: the text the hashes and sketches are computed on."""
    return " ".join(t.norm for t in tokens(text))


def script_lang(text: str) -> str:
    """A cheap language guess by script: ``ar`` for mostly Arabic letters, else ``en``.

    Enough to tell the bank's two evaluation languages apart and to centre embeddings by language;
    a post's declared language, when given, wins over it.
    """
    ar = len(_ARABIC_LETTER.findall(text[:4000]))
    la = len(_LATIN_LETTER.findall(text[:4000]))
    return "ar" if ar > la else "en"
