"""From Tesseract's words to text with word boxes, and what it gets wrong in Arabic put back.

Standard library only: :mod:`leakwarden.links.imagechild` loads it by path inside the limited child.

In a right-to-left paragraph Tesseract's word order is not the text's: a run of left-to-right words
(a phone number's groups, an IBAN, an e-mail address) comes back in an order of its own. The words
of such a line are put in reading order from their boxes, as the Unicode bidi algorithm lays them
out: right to left, except that a stretch holding a Latin word is one left-to-right run; a number's
space-separated groups are ordered right to left (the spaces between numbers take the paragraph's
direction), and a mark at a left-to-right word's edge (a leading "+", a sentence's end) goes back to its
reading side. In a number of Eastern Arabic digits, the two Latin digits that Tesseract's Arabic
models give for two Eastern ones (``0`` for ``٥``, a ring, and ``1`` for ``٦``) are put back
(on the first 60 Arabic posts of bench/data/pii/eval.jsonl drawn as screenshots: ٥ read as ``0``
21 times of 31, ٦ as ``1`` 19 of 29; the next confusion, ٠ as ``١``, 4 of 32).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_WORDS = 20_000
BIDI_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
JOINERS = "_@"
ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
EASTERN_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
#: Latin digits Tesseract's Arabic models give for Eastern Arabic ones, in a number of Eastern digits
EASTERN_CONFUSIONS = {"0": "٥", "1": "٦"}
#: a number in dash-separated groups ("012-0447-5282", or masked: "***-**-1547"): in a right-to-left
#: line its groups are laid out right to left (the dashes are neutral), so Tesseract reads them in
#: reverse order
_GROUP = r"(?:\d+|[*•]+)"
_DIGIT_GROUPS = re.compile(rf"({_GROUP}(?:[-—–]{_GROUP})+)")
_ENDS = ".,:;،؛"
#: letters of Persian, Urdu and Kurdish that Tesseract's Arabic script model gives for the Arabic
#: letters drawn the same ("تاریخ" for "تاريخ", "مبنی" for "مبنى"); a yeh at a word's end is dotless
_SCRIPT_FORMS = str.maketrans({"ی": "ي", "ک": "ك", "ۆ": "و", "ہ": "ه", "ە": "ه", "ۀ": "ه"})
_FINAL_YEH = re.compile(r"ی(?=[^\w]|$)")


@dataclass
class _Word:
    text: str
    x: int
    y: int
    w: int
    h: int


def has_arabic(text: str) -> bool:
    """Whether the text has an Arabic letter (Eastern Arabic digits are not letters)."""
    return any(c.isalpha() and ARABIC.match(c) for c in text)


def arabic_forms(word: str) -> str:
    """A word read by the Arabic script model in Arabic's letters (the engine reads English and
    Arabic; its detectors and folding know Arabic's forms)."""
    return _FINAL_YEH.sub("ى", word).translate(_SCRIPT_FORMS) if has_arabic(word) else word


def _mostly_arabic(words: Any) -> bool:
    letters = [c for word in words for c in word if c.isalpha()]
    return sum(1 for c in letters if ARABIC.match(c)) > len(letters) / 2


def _is_latin(text: str) -> bool:
    return any(c.isalpha() and not ARABIC.match(c) for c in text)


def _is_number(text: str) -> bool:
    return any(c.isdigit() for c in text) and not any(c.isalpha() for c in text)


def _edges(text: str) -> str:
    """A left-to-right word read in a right-to-left line, with a mark at its edge on the wrong side:
    bidi draws a sentence's end left of the number or address before it, and a phone number's
    "+" right of it; Tesseract gives the word as drawn (or, as often, already put back)."""
    if len(text) > 1 and text[0] in _ENDS and text[1].isalnum():
        text = text[1:] + text[0]
    if len(text) > 1 and text[-1] == "+" and text[-2].isdigit():
        text = "+" + text[:-1]
    return text


def mostly_eastern(text: str) -> bool:
    """Whether a number is one of Eastern Arabic digits (at least two): they are more than its
    Latin digits, or its Latin digits are all look-alikes the Arabic models give for Eastern ones
    ("۷0۷0" for "٧٥٧٥": a writer does not mix the two scripts in one number)."""
    eastern = sum(c in EASTERN_DIGITS for c in text)
    latin = [c for c in text if c in "0123456789"]
    return eastern >= 2 and (eastern > len(latin) or all(c in EASTERN_CONFUSIONS for c in latin))


def eastern_digits(text: str) -> str:
    """The Latin digits that Tesseract gives for two Eastern Arabic ones, put back (same length)."""
    return "".join(EASTERN_CONFUSIONS.get(c, c) for c in text)


def undoubled(text: str) -> str:
    """One Eastern Arabic digit read twice, once in each of its two forms (Arabic-Indic ``٤`` and
    Persian ``۴``, two of the model's labels for one glyph, so its decoder keeps both), as one. A
    writer uses one form: a digit written twice ("٤٤") is in one form and stays."""
    out: list[str] = []
    for c in text:
        previous = out[-1] if out else ""
        if previous and c != previous and c in EASTERN_DIGITS and previous in EASTERN_DIGITS \
                and EASTERN_DIGITS.index(c) % 10 == EASTERN_DIGITS.index(previous) % 10:
            continue
        out.append(c)
    return "".join(out)


def _fix_number(text: str, eastern: bool) -> str:
    found = _DIGIT_GROUPS.search(text)
    if found and any(c.isdigit() for c in found.group(1)):
        groups = "".join(reversed(re.split(r"([-—–])", found.group(1))))
        text = text[:found.start()] + groups + text[found.end():]
    return undoubled(eastern_digits(text)) if eastern else text


def rtl_order(words: list[_Word]) -> list[_Word]:
    """The words of one line of a right-to-left paragraph in reading order, from their boxes."""
    visual = sorted(words, key=lambda w: w.x + w.w / 2)
    ordered: list[_Word] = []
    i = len(visual)
    while i > 0:  # from the right
        j = i
        while j > 0 and not has_arabic(visual[j - 1].text) and (
                _is_latin(visual[j - 1].text) or _is_number(visual[j - 1].text)):
            j -= 1
        stretch = visual[j:i]
        if not stretch:
            word = visual[i - 1]
            if mostly_eastern(word.text):  # "١٩٩0م"
                word.text = undoubled(eastern_digits(word.text))
            ordered.append(word)
            i -= 1
            continue
        if any(_is_latin(w.text) for w in stretch):  # one left-to-right run
            if len(stretch) == 1:  # a lone word's marks: which side they belong to is clear
                stretch[0].text = _edges(stretch[0].text)
            ordered.extend(stretch)
        else:  # numbers: each group on its own, right to left
            eastern = mostly_eastern("".join(w.text for w in stretch))
            for w in reversed(stretch):
                w.text = _fix_number(_edges(w.text), eastern)
                ordered.append(w)
        i = j
    return ordered


def assemble(data: dict[str, list[Any]], scale: int = 1) -> tuple[str, list[list[int]]]:
    """Tesseract's words (``image_to_data`` as a dict of columns) as text and words as ``[start,
    end, x, y, w, h]`` (character span in the text, box in the image's pixels divided by ``scale``).
    Lines end with a newline, blocks with a blank line; right-to-left lines are put in reading order."""
    lines: dict[tuple[int, int, int], list[_Word]] = {}
    count = 0
    for i, word in enumerate(data["text"]):
        word = arabic_forms((word or "").strip().strip(BIDI_MARKS))
        if not word or float(data["conf"][i]) < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        x, y, w, h = (int(data[k][i]) // scale for k in ("left", "top", "width", "height"))
        lines.setdefault(key, []).append(_Word(word, x, y, max(1, w), max(1, h)))
        count += 1
        if count >= MAX_WORDS:
            break
    rtl = {key[:2] for key, words in lines.items() if any(has_arabic(w.text) for w in words)}
    if _mostly_arabic(w.text for words in lines.values() for w in words):
        rtl = {key[:2] for key in lines}  # an Arabic page: a paragraph of Latin words is still laid out right to left
    parts: list[str] = []
    boxes: list[list[int]] = []
    length = 0
    previous: tuple[int, int, int] | None = None
    for key, words in lines.items():
        if key[:2] in rtl:
            words = rtl_order(words)
        for n, word in enumerate(words):
            if previous is not None:
                sep = " " if n else "\n\n" if key[0] != previous[0] else "\n"
                if sep == " " and (word.text[0] in JOINERS or parts[-1][-1] in JOINERS):
                    sep = ""  # "delgado _karen@x" was one handle: the underscore's gap split it
                parts.append(sep)
                length += len(sep)
            previous = key
            boxes.append([length, length + len(word.text), word.x, word.y, word.w, word.h])
            parts.append(word.text)
            length += len(word.text)
    return "".join(parts), boxes
