"""Anchors: the rare words of a text, comparable across scripts, for stage 4's candidates and
evidence.

A translation or a rewrite of a leaked document keeps its *specifics*: the names of people,
places and organisations, and the rare words of its subject. Arabic press keeps foreign names
in Arabic letters ("كليبنشتاين") or in Latin script ("Klippenstein"); both reduce to one
consonant skeleton here:

1. transliterate to ASCII (``anyascii``: "كليبنشتاين" → ``klybnshtyn``);
2. fold sounds that the two scripts write differently (sh/ch → s, th → t, ph/v → f, p → b,
   d → t, z → s, c/q → k, j/g → g, x → ks) and drop vowels, w, y, h and doubled letters
   (``klbnstn`` for both spellings).

Two sets per text, compared crosswise (a name of one text against the words of the other):

- :func:`names`: likely names: Latin-script words written with a capital (but not a common word
  starting a sentence) and Arabic-script words that are rare in Arabic (foreign names in Arabic
  letters, rare terms);
- :func:`keys`: every word that is not among its language's most common ones.

How common a word is comes from ``wordfreq``'s frequency lists (Zipf scale: 7 is "the", 3 is one
in a million words). A skeleton keeps at least ``MIN_CONSONANTS`` consonants, so short words do
not collide by chance across scripts.

Both are stored as short hashes (:func:`anchor_hashes`) with every item, so items shared without
text (``exchange``) keep them.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np
from anyascii import anyascii

from leakwarden.signals.bank.normalize import Token, as_written

RARE_ZIPF = 3.5
COMMON_ZIPF = 5.0  # a word this common in its language meets no name ("which", "قال")
NAME_ZIPF = 4.0  # a capitalized word this common is a sentence start or a title, not a name
MIN_CONSONANTS = 3
# A word this short is no anchor in either script (particles, and one-syllable names collide).
MIN_LETTERS = 4
# (Arabic writes the sound of English "ch" and Polish "cz" as تش, which anyascii gives as "tsh")
_DIGRAPHS = (("ce", "se"), ("ci", "si"), ("cy", "sy"), ("tsh", "s"), ("tch", "s"), ("sh", "s"), ("cz", "s"),
             ("ch", "s"), ("th", "t"), ("dh", "t"), ("kh", "k"), ("gh", "g"), ("ph", "f"), ("ck", "k"),
             ("qu", "k"))
_LETTERS = str.maketrans({"v": "f", "p": "b", "d": "t", "z": "s", "c": "k", "q": "k", "j": "g",
                          "x": "ks"})
_DROP = re.compile(r"[^bfgklmnrst]")
_ARABIC = re.compile("[\u0621-\u064a]")
# Arabic proclitics and the article, stripped before transliteration: "وكليبنشتاين", "لفانس".
_AR_PREFIX = re.compile("^(?:وال|بال|فال|كال|لل|ال|و|ب|ل|ف)(?=[\u0621-\u064a]{3})")


def _consonants(word: str, ch: str = "s") -> str:
    s = anyascii(word).lower()
    if ch != "s":
        s = s.replace("ch", ch)
    for a, b in _DIGRAPHS:
        s = s.replace(a, b)
    s = _DROP.sub("", s.translate(_LETTERS))
    return re.sub(r"(.)\1+", r"\1", s)


def skeleton(word: str) -> str:
    """The consonant skeleton of one (folded) word, in any script."""
    return _consonants(word)


@lru_cache(maxsize=200_000)
def skeletons(word: str) -> frozenset[str]:
    """The skeletons a word may stand for: an Arabic word that starts like a proclitic or the
    article ("لفانس", "بنسلفانيا") gives both readings, with and without it; a Latin-script "ch"
    is read both as in "Charles" (تشارلز) and as in "Christopher" (كريستوفر)."""
    out = {_consonants(word)}
    if _ARABIC.match(word):
        bare = _AR_PREFIX.sub("", word)
        if bare != word:
            out.add(_consonants(bare))
    elif "ch" in word:
        out.add(_consonants(word, ch="k"))
    return frozenset(s for s in out if len(s) >= MIN_CONSONANTS)


@lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    """The word's Zipf frequency in its language (0.0 when wordfreq does not know it)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, lang if lang in ("ar", "en") else "en"))


def _word_lang(word: str) -> str:
    return "ar" if _ARABIC.match(word) else "en"


def word_zipf(text: str, tok: Token) -> float:
    """How common a word of ``text`` is in its language. ``wordfreq`` lists Arabic in standard
    spelling ("شركة", "الرئيس", "الشؤون") while folding writes "شركه", "الرييس", "الشوون": an
    Arabic word counts as common when either its folded or its written form is."""
    w = tok.norm
    lang = _word_lang(w)
    z = zipf(w, lang)
    if lang == "ar":
        written = as_written(text[tok.start : tok.end])
        if written != w:
            z = max(z, zipf(written, "ar"))
    return z


def keys(text: str, toks: list[Token], common: float = COMMON_ZIPF) -> set[str]:
    """The skeletons of the words of ``toks`` (tokens of ``text``) that can meet a name: long
    enough, and not among a language's most common words (Zipf ≥ ``common``: "the", "which",
    "قال")."""
    out: set[str] = set()
    for t in toks:
        w = t.norm
        if len(w) >= MIN_LETTERS and not w[:1].isdigit() and word_zipf(text, t) < common:
            out |= skeletons(w)
    return out


def names(text: str, toks: list[Token], rare: float = RARE_ZIPF) -> set[str]:
    """The skeletons of the words of ``toks`` that are likely names: Latin-script words written
    with a capital (other than common words that start a sentence, and words the text also writes
    in lower case: "Confidential" in a header, "confidential" below) and Arabic-script words that
    are rare in Arabic (foreign names written in Arabic letters, rare terms)."""
    lower = {t.norm for t in toks if text[t.start].islower()}
    out: set[str] = set()
    for t in toks:
        w = t.norm
        if len(w) < MIN_LETTERS or w[:1].isdigit():
            continue
        if _ARABIC.match(w):
            if word_zipf(text, t) >= rare:
                continue
        elif not text[t.start].isupper() or w in lower or zipf(w, "en") >= NAME_ZIPF:
            continue
        out |= skeletons(w)
    return out


def anchor_hashes(found: set[str]) -> set[str]:
    """Skeletons as 16-hex-digit hashes, as items store and export them."""
    return {hashlib.sha256(f"anc:{k}".encode()).hexdigest()[:16] for k in found}


def as_keys(hashes: set[str] | frozenset[str] | list[str]) -> np.ndarray:
    """16-hex-digit hashes as the uint64 keys of the index's multimaps."""
    return np.fromiter((int(h, 16) for h in hashes), dtype=np.uint64, count=len(hashes))
