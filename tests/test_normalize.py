"""Normalization for matching, and the exact map back to the original text."""

from __future__ import annotations

import pytest

from leakwarden.text.normalize import DROPPED, fold_char, normalize

LRM, RLM, ALM, TATWEEL = "\u200e", "\u200f", "\u061c", "\u0640"


@pytest.mark.parametrize(
    ("original", "folded"),
    [
        ("plain ascii 123", "plain ascii 123"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic digits
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),  # Persian digits
        ("٣٫٧٥", "3.75"),  # Arabic decimal separator
        ("١٬٢٥٠", "1,250"),  # Arabic thousands separator
        ("الرياض، جدة", "الرياض, جده"),  # Arabic comma; ta marbuta folded
        (f"{RLM}١٢٣{LRM}-{ALM}٤٥", "123-45"),  # bidi controls dropped
        (f"شـ{TATWEEL}ارع", "شارع"),  # tatweel dropped
        ("أحمد إبراهيم آمنة", "احمد ابراهيم امنه"),  # hamza alefs folded
        ("مُحَمَّد", "محمد"),  # diacritics dropped
        ("123\u2013456\u00a0789", "123-456 789"),  # en dash, no-break space
        ("\uff11\uff12\uff13", "123"),  # fullwidth digits
        ("\ufe8e", "\u0627"),  # presentation form of alef
    ],
)
def test_folding(original: str, folded: str) -> None:
    assert normalize(original).text == folded


@pytest.mark.parametrize(
    ("original", "needle", "expected"),
    [
        (f"SSN {RLM}١٢٣-٤٥-٦٧٨٩{RLM} ok", "123-45-6789", "١٢٣-٤٥-٦٧٨٩"),
        (f"رقم {LRM}٠٥٥{TATWEEL}١٢٣{ALM}٤٥٦٧ هنا", "0551234567", f"٠٥٥{TATWEEL}١٢٣{ALM}٤٥٦٧"),
        (f"{LRM}{LRM}۱۲۳۴", "1234", "۱۲۳۴"),
        (f"x ١٢٣٤{RLM}{RLM}", "1234", "١٢٣٤"),
        ("no change here 42", "42", "42"),
    ],
)
def test_spans_map_back_exactly(original: str, needle: str, expected: str) -> None:
    norm = normalize(original)
    start = norm.text.index(needle)
    s, e = norm.to_original(start, start + len(needle))
    assert original[s:e] == expected
    assert norm.original_text(start, start + len(needle)) == expected


def test_every_normalized_character_comes_from_one_original_character() -> None:
    text = f"{RLM}هاتف: ٠٥٥ ١٢٣ ٤٥٦٧{TATWEEL} — call +1 (202) 555-0143{ALM}"
    norm = normalize(text)
    assert norm.index is not None
    assert len(norm.index) == len(norm.text)
    for i, ch in enumerate(norm.text):
        assert fold_char(text[norm.index[i]]) == ch


def test_dropped_characters_fold_to_nothing() -> None:
    assert all(fold_char(c) == "" for c in DROPPED)


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 2), (0, 99)])
def test_spans_outside_the_text_are_refused(start: int, end: int) -> None:
    with pytest.raises(ValueError):
        normalize(f"{RLM}abc").to_original(start, end)
