"""From Tesseract's words to text and word boxes (``imagechild.assemble``): spans index the text,
lines and blocks are kept, and what its bidi reordering gets wrong in Arabic lines is put back."""

from __future__ import annotations

from typing import Any

import pytest

from leakwarden.links.imagechild import assemble


def _data(rows: list[tuple[int, int, int, str]]) -> dict[str, list[Any]]:
    """Columns of image_to_data from (block, paragraph, line, word) rows, one word a row, 10 px apart."""
    return {"text": [r[3] for r in rows], "conf": [90] * len(rows), "block_num": [r[0] for r in rows],
            "par_num": [r[1] for r in rows], "line_num": [r[2] for r in rows],
            "left": [i * 10 for i in range(len(rows))], "top": [r[2] * 20 for r in rows],
            "width": [8] * len(rows), "height": [12] * len(rows)}


@pytest.mark.parametrize(("rows", "text"), [
    ([(1, 1, 1, "Home"), (1, 1, 1, "address:"), (1, 1, 2, "1482"), (2, 1, 1, "Next")],
     "Home address:\n1482\n\nNext"),
    ([(1, 1, 1, "mail"), (1, 1, 1, "delgado"), (1, 1, 1, "_karen@gmail.com")], "mail delgado_karen@gmail.com"),
    ([(1, 1, 1, "الهاتف"), (1, 1, 1, "5282-0447-012.")], "الهاتف 012-0447-5282."),
    ([(1, 1, 1, "البريد"), (1, 1, 2, ".emily@uni.edu.eg\u200f")], "البريد\nemily@uni.edu.eg."),
    ([(1, 1, 1, "call"), (1, 1, 1, "5282-0447-012")], "call 5282-0447-012"),  # a left-to-right line: as read
    ([(1, 1, 1, "10/31/75"), (1, 1, 1, "من")], "10/31/75 من"),
])
def test_words_become_text(rows: list[tuple[int, int, int, str]], text: str) -> None:
    got, words = assemble(_data(rows))
    assert got == text
    assert len(words) == len(rows)
    for start, end, x, _, w, h in words:
        assert 0 <= start < end <= len(got) and got[start:end].strip() and w == 8 and h == 12 and x % 10 == 0


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
