"""Numbers written in Arabic words: "عشرة آلاف" = 10000, "مئتي ألف" = 200000, "مليار ومئتي مليون" =
1200000000, "خمسة وعشرين في المئة" = 25, "نصف مليون" = 500000, "ربع الميزانية" = 25 (per cent).

The whole cardinal grammar rather than a list of phrases: units (with their feminine, dual and
construct forms), teens ("أحد عشر" … "تسعة عشر"), tens, hundreds ("مئة", "مئتان", "ثلاثمئة", "ثلاث
مئة"), the scales thousand, million and billion (singular, dual, plural) and the fractions half,
third, quarter. Words are compared folded (``normalize.fold_word``: "مئة" and "مائة" alike), with
the conjunction "و", the prepositions "ب"/"ل" and the article stripped; hundreds are compared as
written, since folded "مئتا" (two hundred) is "ميتا" (Meta). A run of number words is read as one
number: units and tens add up, a hundred multiplies the unit before it, a scale closes a group
("مليار ومئتي مليون" = 1 × 10⁹ + 200 × 10⁶).

"في المئة" and "بالمئة" mean per cent, not a hundred. A fraction alone before a noun with the article
or "من" ("ربع الميزانية", "نصف من صوّتوا") is read as a share, in per cent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from leakwarden.signals.bank.normalize import as_written, fold_word

_UNITS = {1: "واحد واحدة أحد إحدى", 2: "اثنان اثنين اثنتان اثنتين اثنا اثني اثنتا اثنتي",
          3: "ثلاث ثلاثة", 4: "أربع أربعة", 5: "خمس خمسة", 6: "ست ستة", 7: "سبع سبعة",
          8: "ثمان ثماني ثمانية", 9: "تسع تسعة", 10: "عشر عشرة"}
_TENS = {20: "عشرون عشرين", 30: "ثلاثون ثلاثين", 40: "أربعون أربعين", 50: "خمسون خمسين",
         60: "ستون ستين", 70: "سبعون سبعين", 80: "ثمانون ثمانين", 90: "تسعون تسعين"}
_HUNDREDS = {100: "مئة مائة", 200: "مئتان مئتين مئتا مئتي مائتان مائتين مائتا مائتي متين ميتين"}  # (Gulf, Egyptian)
_SCALES = {1e3: ("ألف", "ألفا ألفان ألفين ألفي", "آلاف"),
           1e6: ("مليون", "مليونا مليونان مليونين مليوني", "ملايين"),
           1e9: ("مليار بليون", "مليارا ملياران مليارين ملياري بليونا بليونين", "مليارات بلايين")}
_FRACTIONS = {0.5: "نصف", 1 / 3: "ثلث", 0.25: "ربع", 2 / 3: "ثلثا ثلثي"}
_PLURAL_FRACTIONS = {4: "أرباع", 3: "أثلاث"}  # "ثلاثة أرباع" = 3/4


def _fold(words: str) -> list[str]:
    return [fold_word(w) for w in words.split()]


def _written(word: str) -> str:
    """As written, less diacritics and tatweel; the alef forms alike ("مائة" = "مآئة")."""
    return as_written(word).translate(_ALEFS)


_ALEFS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})


UNIT = {w: n for n, ws in _UNITS.items() for w in _fold(ws)}
TEN = {w: n for n, ws in _TENS.items() for w in _fold(ws)}
# hundreds are looked up as written, not folded: folded, "مئتا" (two hundred) is "ميتا" (Meta)
HUNDRED = {_written(w): n for n, ws in _HUNDREDS.items() for w in ws.split()}
HUNDRED.update({_written(u + h): n * 100 for n in range(3, 10) for u in _UNITS[n].split()[:1]
                for h in ("مئة", "مائة")})
HUNDRED.update({_written(w.replace("ة", "ه")): n for w, n in list(HUNDRED.items())})
SCALE = {w: (s, 1) for s, (one, _two, _many) in _SCALES.items() for w in _fold(one)}
SCALE.update({w: (s, 2) for s, (_one, two, _many) in _SCALES.items() for w in _fold(two)})
SCALE.update({w: (s, 0) for s, (_one, _two, many) in _SCALES.items() for w in _fold(many)})
FRACTION = {w: f for f, ws in _FRACTIONS.items() for w in _fold(ws)}
PLURAL_FRACTION = {w: d for d, ws in _PLURAL_FRACTIONS.items() for w in _fold(ws)}
_TEEN_TAIL = set(_fold("عشر عشرة"))
_PER_CENT = set(_fold("المئة المائة بالمئة بالمائة"))

_ORDINAL = re.compile("^(?:و?ال)")  # the article (and "و"), as ordinals and defined nouns take it
_VERB_PARTICLES = set(_fold("أن لن لم كي لكي"))
_ORDINAL_TEEN = {w: n for n, ws in ((1, "حادي حادية"), (2, "ثاني ثانية")) for w in _fold(ws)}
_WORD = re.compile(r"[\u0621-\u064a\u0640\u064b-\u0652]+")
_DIGITS_BEFORE = re.compile(r"[0-9٠-٩۰-۹][0-9٠-٩۰-۹.,٫٬]*\s*$")
_PREFIXES = ("وال", "بال", "لل", "ال", "و", "ب", "ل", "")  # "والثلاثين", "بمئتي", "الأحد عشر"


class _Word(NamedTuple):
    folded: str
    written: str


def _strip(word: _Word) -> _Word:
    """The word without a leading conjunction or preposition ("وعشرين", "بمئتي")."""
    for p in _PREFIXES:
        if p and word.folded.startswith(p) and len(word.folded) > len(p) + 1:
            rest = _Word(word.folded[len(p):], word.written[len(p):])
            if _kind(rest) is not None:
                return rest
    return word


def _kind(word: _Word) -> str | None:
    if word.written in HUNDRED:
        return "hundred"
    for name, table in (("unit", UNIT), ("ten", TEN), ("scale", SCALE), ("fraction", FRACTION),
                        ("plural_fraction", PLURAL_FRACTION)):
        if word.folded in table:
            return name
    return None


def values(text: str) -> Iterator[float]:
    """Every number written in Arabic words in ``text``, in order. (A scale word after digits,
    "201 مليون", belongs to the digits: ``numbers`` reads those.)"""
    found = list(_WORD.finditer(text))
    words = [_Word(fold_word(m.group()), _written(m.group())) for m in found]
    i = 0
    while i < len(words):
        if words[i].folded in _PER_CENT:  # "في المئة": per cent
            i += 1
            continue
        word = _strip(words[i])
        ordinal = _ORDINAL.sub("", word.folded)
        if ordinal in _ORDINAL_TEEN and i + 1 < len(words) and words[i + 1].folded in _TEEN_TAIL:
            yield float(_ORDINAL_TEEN[ordinal] + 10)  # "الحادية عشرة": the eleventh
            i += 2
            continue
        kind = _kind(word)
        after_article = i > 0 and _ORDINAL.match(words[i - 1].folded) is not None
        uncounted = kind == "scale" and (
            _DIGITS_BEFORE.search(text, 0, found[i].start()) is not None  # "201 مليون": the digits' scale
            or SCALE[word.folded][1] == 0)  # "عشرات الملايين", "آلاف الناس": many, not a number
        ordinal_teen = word.folded in _TEEN_TAIL and after_article  # "الرابعة عشرة": the fourteenth
        if kind is None or uncounted or ordinal_teen:
            i += 1
            continue
        total, current, j, fraction = 0.0, 0.0, i, False
        while j < len(words):
            word = _strip(words[j])
            kind = _kind(word)
            if kind is None or words[j].folded in _PER_CENT:
                break
            w = word.folded
            if kind == "unit":
                if j + 1 < len(words) and words[j + 1].folded in _TEEN_TAIL and UNIT[w] < 10:
                    current += UNIT[w] + 10
                    j += 2
                    continue
                current += UNIT[w]
            elif kind == "ten":
                current += TEN[w]
            elif kind == "hundred":
                hundreds = HUNDRED[word.written]
                current = current * 100 if hundreds == 100 and 0 < current < 10 else current + hundreds
            elif kind == "scale":
                scale, count = SCALE[w]
                total += (current or (count or 1)) * scale  # "مئتا ألف": the dual is already counted
                current = 0.0
            elif kind == "plural_fraction":
                if not current:
                    break
                current, fraction = current / PLURAL_FRACTION[w], True
            else:  # a fraction: of a scale that follows ("نصف مليون"), or a share
                current, fraction = current + FRACTION[w], True
            j += 1
        if j == i:
            i += 1
            continue
        value = total + current
        if fraction and total == 0 and value < 1:
            following = words[j].folded if j < len(words) else ""
            verb = i > 0 and words[i - 1].folded in _VERB_PARTICLES  # "أن نصف": "that we describe"
            if (following.startswith("ال") or following == "من") and not verb:
                yield round(value * 100, 1)
        elif value:
            yield value
        i = j
