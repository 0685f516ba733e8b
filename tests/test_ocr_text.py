"""From Tesseract's words to text and word boxes (``ocrtext.assemble``): spans index the text,
lines and blocks are kept, right-to-left lines are read in order from the words' boxes, and what
Tesseract gets wrong in Arabic numbers is put back."""

from __future__ import annotations

from typing import Any

import pytest

from leakwarden.links.ocrtext import arabic_forms, assemble, eastern_digits, mostly_eastern, undoubled


def _data(rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Columns of image_to_data from (block, paragraph, line, word[, x]) rows, one word a row (x: 10 px
    apart unless given)."""
    return {"text": [r[3] for r in rows], "conf": [90] * len(rows), "block_num": [r[0] for r in rows],
            "par_num": [r[1] for r in rows], "line_num": [r[2] for r in rows],
            "left": [r[4] if len(r) > 4 else i * 10 for i, r in enumerate(rows)], "top": [r[2] * 20 for r in rows],
            "width": [8] * len(rows), "height": [12] * len(rows)}


@pytest.mark.parametrize(("rows", "text"), [
    ([(1, 1, 1, "Home"), (1, 1, 1, "address:"), (1, 1, 2, "1482"), (2, 1, 1, "Next")],
     "Home address:\n1482\n\nNext"),
    ([(1, 1, 1, "mail"), (1, 1, 1, "delgado"), (1, 1, 1, "_karen@gmail.com")], "mail delgado_karen@gmail.com"),
    ([(1, 1, 1, "call"), (1, 1, 1, "5282-0447-012")], "call 5282-0447-012"),  # a left-to-right line: as read
    # right to left: the words in reading order from their boxes, whatever Tesseract's order
    ([(1, 1, 1, "الهاتف", 100), (1, 1, 1, "5282-0447-012.", 0)], "الهاتف 012-0447-5282."),
    ([(1, 1, 1, "10/31/75", 0), (1, 1, 1, "من", 100)], "من 10/31/75"),
    ([(1, 1, 1, "البريد", 100), (1, 1, 2, ".emily@uni.edu.eg\u200f", 0)], "البريد\nemily@uni.edu.eg."),
    # a block of Latin words on an Arabic page is laid out right to left too; on an English page, as read
    ([(1, 1, 1, "البريد الإلكتروني للمرشح", 100), (2, 1, 1, ".aisha@gmail.com", 0)],
     "البريد الإلكتروني للمرشح\n\naisha@gmail.com."),
    ([(1, 1, 1, "Mail", 100), (2, 1, 1, ".aisha@gmail.com", 0)], "Mail\n\n.aisha@gmail.com"),
    # a phone number's groups are drawn right to left; its "+" right of it, the sentence's end left
    ([(1, 1, 1, "للاتصال", 100), (1, 1, 1, ".٨٩٦٨", 0), (1, 1, 1, "٦٥٧", 20), (1, 1, 1, "٥٢", 40),
      (1, 1, 1, "٩٧١+", 60)], "للاتصال +٩٧١ ٥٢ ٦٥٧ ٨٩٦٨."),
    ([(1, 1, 1, "جوال:", 100), (1, 1, 1, "98646", 0), (1, 1, 1, "072", 20), (1, 1, 1, "+20", 40)],
     "جوال: +20 072 98646"),
    # a stretch with Latin letters is one left-to-right run (an IBAN)
    ([(1, 1, 1, "343", 100), (1, 1, 1, "الآيبان", 200), (1, 1, 1, "AE02", 60), (1, 1, 1, "0699", 80),
      (1, 1, 1, "باسم", 0)], "الآيبان AE02 0699 343 باسم"),
    # Latin digits Tesseract gives for Eastern ones, in an Eastern number only
    ([(1, 1, 1, "الهوية", 100), (1, 1, 1, "۲۸1۳0", 0)], "الهوية ۲۸٦۳٥"),
    ([(1, 1, 1, "الجوال", 100), (1, 1, 1, "۷۷۵۴", 0), (1, 1, 1, "0۲", 20)], "الجوال ٥۲ ۷۷۵۴"),
    ([(1, 1, 1, "مواليد", 100), (1, 1, 1, "۱۹۷0م", 0)], "مواليد ۱۹۷٥م"),
    ([(1, 1, 1, "عام", 100), (1, 1, 1, "1990", 0)], "عام 1990"),
    # one Eastern digit read twice, in its two forms, is one; after the Latin look-alikes are put back
    ([(1, 1, 1, "البطاقة", 100), (1, 1, 1, "۸۷1۹", 0), (1, 1, 1, "0۳۱۴٤", 20)], "البطاقة ٥۳۱۴ ۸۷٦۹"),
    ([(1, 1, 1, "للمرشح", 100), (1, 1, 1, "۷۹۷۳-۹۲-۵0۵۱", 0)], "للمرشح ۵۵۱-۹۲-۷۹۷۳"),
    # a masked number's groups too; stars alone are no number
    ([(1, 1, 1, "الضمان", 100), (1, 1, 1, "۱٥٤۷-**-***,", 0)], "الضمان ***-**-۱٥٤۷,"),
    ([(1, 1, 1, "البطاقة", 100), (1, 1, 1, "4821-••••-••••", 0)], "البطاقة ••••-••••-4821"),
    ([(1, 1, 1, "كلمة", 100), (1, 1, 1, "***-**", 0)], "كلمة ***-**"),
    # the script model's Persian letter forms in Arabic's
    ([(1, 1, 1, "تاریخ", 100), (1, 1, 1, "مبنی", 50), (1, 1, 1, "29", 0)], "تاريخ مبنى 29"),
])
def test_words_become_text(rows: list[tuple[Any, ...]], text: str) -> None:
    got, words = assemble(_data(rows))
    assert got == text
    assert len(words) == len(rows)
    lefts = {r[4] if len(r) > 4 else i * 10 for i, r in enumerate(rows)}
    for start, end, x, _, w, h in words:
        assert 0 <= start < end <= len(got) and got[start:end].strip() and w == 8 and h == 12 and x in lefts


def test_each_box_stays_with_its_word() -> None:
    got, words = assemble(_data([(1, 1, 1, "الجوال", 100), (1, 1, 1, "٣٤٤١", 0), (1, 1, 1, "+٩٦٦", 50)]))
    assert {got[s:e]: x for s, e, x, *_ in words} == {"الجوال": 100, "+٩٦٦": 50, "٣٤٤١": 0}


@pytest.mark.parametrize(("number", "eastern", "fixed"), [
    ("٥٣١٤", True, "٥٣١٤"),
    ("0۳1۷", True, "٥۳٦۷"),  # as many Latin as Eastern digits, but only the look-alikes of Eastern ones
    ("۷0۷0", True, "۷٥۷٥"),
    ("2۳0۷", False, "2۳0۷"),  # a Latin digit that is no look-alike: as many of each, neither wins
    ("0۳1۷۹", True, "٥۳٦۷۹"),
    ("10/31/75", False, "10/31/75"),
    ("١0", False, "١0"),  # one Eastern digit is not enough to tell
])
def test_eastern_numbers(number: str, eastern: bool, fixed: str) -> None:
    assert mostly_eastern(number) is eastern
    assert (eastern_digits(number) if eastern else number) == fixed


def test_boxes_are_scaled_back_and_empty_words_skipped() -> None:
    data = _data([(1, 1, 1, "a"), (1, 1, 1, " "), (1, 1, 1, "b")])
    data["conf"][1] = -1
    text, words = assemble(data, scale=2)
    assert text == "a b" and [w[2:] for w in words] == [[0, 10, 4, 6], [10, 10, 4, 6]]


def test_recent_images_hold_a_bounded_number_of_bytes() -> None:
    from leakwarden.links.ocr import RecentImages

    recent = RecentImages(max_bytes=10)
    recent.put("a", b"1234")
    recent.put("b", b"5678")
    assert recent.get("a") == b"1234"  # now the most recently used
    recent.put("c", b"90ab")  # 12 bytes: the least recently used goes
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (b"1234", None, b"90ab")
    recent.put("huge", b"x" * 11)
    assert recent.get("huge") is None and recent.get("c") == b"90ab"


@pytest.mark.parametrize(("langs", "lang", "second"), [
    ({"eng", "ara", "Arabic"}, "eng+ara", "Arabic"),
    ({"eng", "ara"}, "eng+ara", "ara+eng"),  # without the script model: Arabic first
    ({"eng", "ara", "Arabic"}, "eng", None),  # Arabic not asked for
])
def test_the_second_reading_of_an_arabic_page(monkeypatch: pytest.MonkeyPatch, langs: set[str], lang: str,
                                               second: str | None) -> None:
    from leakwarden.links import imagechild

    monkeypatch.setattr(imagechild, "_LANGS", [langs])
    assert imagechild._second_lang(lang) == second


@pytest.mark.parametrize(("twice", "own", "low", "kept", "reads"), [
    (85.0, 90.0, 70.0, "twice", 1),  # confident: read once
    (63.0, 80.0, 70.0, "own", 2),  # low: read at its own size too, the more confident kept
    (63.0, 50.0, 70.0, "twice", 2),
    (0.0, 86.0, 1.0, "own", 2),  # nothing found at twice the size
    (40.0, 86.0, 1.0, "twice", 1),
])
def test_a_low_confidence_reading_is_read_again_at_the_images_own_size(
        monkeypatch: pytest.MonkeyPatch, twice: float, own: float, low: float, kept: str, reads: int) -> None:
    import time

    from PIL import Image

    from leakwarden.links import imagechild

    calls: list[bool] = []

    def read(image: object, lang: str, timeout_s: float, upscale: bool) -> tuple[str, list[list[int]], float]:
        calls.append(upscale)
        return ("twice", [], twice) if upscale else ("own", [], own)

    monkeypatch.setattr(imagechild, "_read", read)
    text, _ = imagechild.read_best(Image.new("L", (400, 80), 255), "Arabic", time.monotonic() + 30, low)
    assert (text, len(calls)) == (kept, reads)


@pytest.mark.parametrize(("number", "fixed"), [
    ("۷۸۴٤", "۷۸۴"),  # ۴ and ٤: one glyph, two labels
    ("٠۰۵۹", "٠۵۹"),
    ("٤٤٠٧", "٤٤٠٧"),  # a digit written twice is in one form: it stays
    ("۴۴٤", "۴۴"),
    ("1100", "1100"),  # Latin digits are not Eastern ones
    ("٤4", "٤4"),
    ("٥۶", "٥۶"),  # two forms, two values
])
def test_a_digit_read_in_both_forms_is_one(number: str, fixed: str) -> None:
    assert undoubled(number) == fixed


@pytest.mark.parametrize(("word", "arabic"), [
    ("المیلاد", "الميلاد"),
    ("مبنی", "مبنى"),  # dotless at the end
    ("مبنی.", "مبنى."),
    ("حۆلوا", "حولوا"),
    ("کتاب", "كتاب"),
    ("address", "address"),
    ("۱۹۵۲", "۱۹۵۲"),
])
def test_the_script_models_letter_forms_become_arabic(word: str, arabic: str) -> None:
    assert arabic_forms(word) == arabic


@pytest.mark.parametrize(("word", "mark", "gap", "read"), [
    ("الروضة.", (4, 10), 3, "الروضة،"),  # taller than wide: the Arabic comma Tesseract read as "."
    ("الروضة.", (4, 4), 3, "الروضة."),  # a full stop stays one
    ("٨٥٠٢.", (4, 10), 3, "٨٥٠٢،"),  # after a number of Eastern digits too
    (".الروضة", (4, 10), 3, "الروضة،"),  # the mark given first (drawn left of the word)
    ("الروضة.", (4, 10), 0, "الروضة."),  # no gap: not a mark of its own
    ("Riyadh.", (4, 10), 3, "Riyadh."),  # a Latin word's full stop is left alone
    ("الروضة", (4, 10), 3, "الروضة"),
])
def test_an_arabic_comma_read_as_a_full_stop_is_put_back(word: str, mark: tuple[int, int], gap: int,
                                                          read: str) -> None:
    """The mark at the end of a word (its left side, right to left) is looked at in the image."""
    from PIL import Image, ImageDraw

    from leakwarden.links import imagechild

    image = Image.new("L", (200, 60), 255)
    draw = ImageDraw.Draw(image)
    width, height = mark
    draw.rectangle((20, 40 - height, 20 + width - 1, 39), fill=0)  # the mark, on the baseline
    draw.rectangle((20 + width + gap, 20, 120, 39), fill=0)  # the letters before it
    data = {"text": [word], "left": [18], "top": [16], "width": [105], "height": [28]}
    imagechild.arabic_commas(image, data)
    assert data["text"] == [read]
