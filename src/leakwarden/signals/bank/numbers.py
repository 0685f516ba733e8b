"""Figures in any wording: the numbers of a text as canonical values, and how well two texts'
numbers agree.

Digits in any script (``4,200`` = ``٤٬٢٠٠``), scale words (``3.8 million`` = ``3.8 مليون``), English
number words (``text2num``: "two hundred million", "twenty-five per cent"), Arabic number words
(``arabic_numbers``: "مئتي ألف", "خمسة وعشرين في المئة"), shares ("a quarter of" = "ربع" = 25 per
cent) and ranges ("4.2 to 4.8 billion"). Translators and rewriters round and reword figures
("201 million" → "over 200 million"), so :func:`agreement` compares values with a relative
tolerance instead of as exact sets; figures are evidence, never a gate.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from leakwarden.signals.bank import arabic_numbers
from leakwarden.signals.bank.normalize import fold_word

_NUM = re.compile(r"[0-9٠-٩۰-۹]+(?:[.,٫٬][0-9٠-٩۰-۹]+)*")
_SCALE_AFTER = re.compile(
    r"\s*(k\b|thousand|ألف|الف|آلاف|الاف|m\b|mn\b|million|millions|مليون|ملايين|bn\b|billion|مليار)",
    re.IGNORECASE)
_SCALES = {"k": 1e3, "thousand": 1e3, "ألف": 1e3, "الف": 1e3, "آلاف": 1e3, "الاف": 1e3,
           "m": 1e6, "mn": 1e6, "million": 1e6, "millions": 1e6, "مليون": 1e6, "ملايين": 1e6,
           "bn": 1e9, "billion": 1e9, "مليار": 1e9}
_NUM_SCALED = re.compile(_NUM.pattern + "(?:" + _SCALE_AFTER.pattern + ")?", re.IGNORECASE)
_RANGE_SCALE = re.compile(
    r"\s*(?:to|-|–|إلى|الى)\s*[0-9٠-٩۰-۹]+(?:[.,٫٬][0-9٠-٩۰-۹]+)*" + _SCALE_AFTER.pattern, re.IGNORECASE)


def _canon(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.6g}"


def _scale(text: str, end: int) -> float:
    """The scale word right after ``end`` ("million", "مليون", "مليونًا"), or that of a range's
    upper bound: in "4.2 to 4.8 billion" / "من ٤٫٢ إلى ٤٫٨ مليار" both ends are billions."""
    m = _SCALE_AFTER.match(text, end)
    if m is None:
        m = _RANGE_SCALE.match(text, end)
    return _SCALES.get(m.group(1).lower(), 1.0) if m else 1.0


def _digits(text: str) -> set[str]:
    out: set[str] = set()
    for m in _NUM.finditer(text):
        raw = fold_word(m.group()).replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        value *= _scale(text, m.end())
        if value >= 10:
            out.add(_canon(value))
    return out


def numbers(text: str) -> set[str]:
    """The numbers of a text as canonical values: ``4,200`` = ``٤٬٢٠٠`` = ``4200``;
    ``3.8 million`` = ``3.8 مليون`` = ``3800000``; ``75 ألف`` = ``$75,000``; ``eleven`` =
    ``إحدى عشرة`` = ``الحادية عشرة`` = ``11``; ``forty million`` = ``40 مليونًا``; ``4.2 to 4.8
    billion`` = ``4200000000`` and ``4800000000``. Values under 10 are ignored (list markers,
    "one of 3")."""
    out = _digits(text)
    if _LATIN_WORD.search(text):  # English number words, read by text2num where no digits stand
        out |= _digits(_english_words_to_digits(_NUM_SCALED.sub(" ; ", text)))
    out |= {_canon(v) for v in arabic_numbers.values(text) if v >= 10}  # Arabic number words
    out |= {_canon(_SHARES[m.group(1).lower().replace("-", " ")]) for m in _SHARE.finditer(text)}
    return out


#: shares in English words, in per cent ("a quarter of the budget" = 25%, as "ربع الميزانية")
_SHARES = {"half": 50.0, "a quarter": 25.0, "one quarter": 25.0, "a third": 33.3, "one third": 33.3,
           "two thirds": 66.7, "three quarters": 75.0}
_SHARE = re.compile(r"\b(half|a quarter|one quarter|a third|one third|two[- ]thirds|three[- ]quarters)\s+of\b",
                    re.IGNORECASE)


def number_hashes(values: set[str]) -> set[str]:
    """Numbers as short hashes, so items shared without text still carry them (exchange)."""
    return {hashlib.sha256(f"num:{v}".encode()).hexdigest()[:16] for v in values}


def number_agreement(query: set[str] | frozenset[str], item: set[str] | frozenset[str]) -> float | None:
    """Share of the query's numbers the item contains; None when the query has fewer than 2."""
    if len(query) < 2:
        return None
    return len(query & item) / len(query)


def _english_words_to_digits(text: str) -> str:
    """English number words as digits ("two hundred million" → "200000000"), via text2num; the
    text is returned unchanged where it has none (or text2num is not installed)."""
    try:
        from text_to_num import alpha2digit
    except ImportError:  # pragma: no cover - a dependency; kept optional for slim installs
        return text
    try:
        return str(alpha2digit(text, "en"))
    except Exception:  # text2num is best-effort: a text it cannot read keeps its digits
        return text


_LATIN_WORD = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                         r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion)\b", re.IGNORECASE)


def values(text: str) -> set[float]:
    """The numbers of ``text`` as floats (see :func:`numbers`)."""
    return {float(v) for v in numbers(text)}


TOLERANCE = 0.06  # relative: "over 200 million" states 201 million, "a quarter" 25 per cent


def agreeing(query: set[float], item: set[float], tolerance: float = TOLERANCE) -> set[float]:
    """The query's numbers that the item states within ``tolerance`` (relative)."""
    return {q for q in query if any(abs(q - i) <= tolerance * max(abs(q), abs(i)) for i in item)}


def agreement(query: set[float], item: set[float], tolerance: float = TOLERANCE) -> float | None:
    """Share of the query's numbers that the item states within ``tolerance``: "over 200
    million" agrees with 201 million. None when the query has fewer than 2 numbers."""
    if len(query) < 2:
        return None
    return len(agreeing(query, item, tolerance)) / len(query)


def show(value: float) -> str:
    """A number as a reviewer reads it."""
    return _canon(value)


def _is_year(value: float) -> bool:
    return value == int(value) and 1900 <= value <= 2100


@dataclass(frozen=True)
class Figures:
    """How a query's figures compare with an item's: ``share`` of all its numbers that the item
    states (None under 2), and, years left aside (dates say when, not what: commentary on a leak
    names the same years), how many figures the query ``states`` and how many of them ``agree``;
    and the other way, how many figures the item states (``item_states``) and how many of them the
    query states (``item_agree``)."""

    share: float | None
    states: int
    agree: int
    item_states: int = 0
    item_agree: int = 0

    @property
    def contradicted(self) -> float:
        """Share of the query's figures (years aside) that the item does not state; 0 under 2."""
        return 1.0 - self.agree / self.states if self.states >= 2 else 0.0

    @property
    def covered(self) -> float:
        """Share of the item's figures (years aside) that the query states, shrunk towards 1/2 by
        one figure's weight: a translation keeps nearly all of its source's specifics, commentary
        and other stories on the same people keep a few; an item without figures is neutral (0.5)."""
        return (self.item_agree + 0.5) / (self.item_states + 1)


def figures_in(text: str) -> frozenset[float]:
    """The figures of ``text``: its numbers, years aside (:class:`Figures`)."""
    return frozenset(v for v in values(text) if not _is_year(v))


def compare(query: set[float], item: set[float], tolerance: float = TOLERANCE) -> Figures:
    agree = agreeing(query, item, tolerance)
    figures = {q for q in query if not _is_year(q)}
    item_figures = {i for i in item if not _is_year(i)}
    return Figures(agreement(query, item, tolerance), len(figures), len(agree & figures),
                   len(item_figures), len(agreeing(item_figures, query, tolerance)))
