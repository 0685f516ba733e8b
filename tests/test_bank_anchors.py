"""Anchors across scripts and figures in any wording: stage 4's soft evidence and its gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from leakwarden.signals.bank.anchors import keys, names, skeleton, skeletons
from leakwarden.signals.bank.normalize import tokens
from leakwarden.signals.bank.numbers import agreement, numbers, values


@pytest.mark.parametrize(("latin", "arabic"), [
    ("Klippenstein", "كليبنشتاين"),
    ("Vance", "فانس"),
    ("Musk", "ماسك"),
    ("Substack", "سابستاك"),
    ("Castellano", "كاستيلانو"),
    ("Trent", "ترنت"),
    ("Pennsylvania", "بنسلفانيا"),
    ("Charles", "تشارلز"),  # "ch" as تش
    ("Christopher", "كريستوفر"),  # and as ك
    ("Kowalczyk", "كوالتشيك"),  # Polish "cz" as تش
])
def test_a_name_has_one_skeleton_in_both_scripts(latin: str, arabic: str) -> None:
    assert skeletons(latin.casefold()) & skeletons(arabic)


@pytest.mark.parametrize(("word", "with_clitic"), [("فانس", "لفانس"), ("كليبنشتاين", "وكليبنشتاين")])
def test_arabic_clitics_do_not_change_the_skeleton(word: str, with_clitic: str) -> None:
    assert skeletons(word) <= skeletons(with_clitic)


def test_names_are_capitalized_or_rare_words_and_keys_skip_common_ones() -> None:
    text = "The campaign of Marisol Trent met Halden Paving; which is why the board voted."
    got = names(text, tokens(text))
    assert {skeleton("marisol"), skeleton("halden")} <= got
    assert skeleton("campaign") not in got and skeleton("the") not in got
    assert skeleton("which") not in keys(text, tokens(text))


def test_a_capitalized_word_the_text_also_writes_in_lower_case_is_no_name() -> None:
    text = "CONFIDENTIAL. Confidential memo to Marisol Trent: keep this confidential."
    got = names(text, tokens(text))
    assert skeleton("marisol") in got and skeleton("confidential") not in got


@pytest.mark.parametrize("text", ["وقّعت الشركة العقد", "قال الرئيس", "مكتب الشؤون المالية", "في الرسائل"])
def test_common_arabic_words_are_no_names_in_folded_spelling(text: str) -> None:
    """wordfreq lists standard spelling ("الرئيس"); folding writes "الرييس": still common."""
    assert names(text, tokens(text)) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("over two hundred million followers", {"200000000"}),
    ("201 million followers", {"201000000"}),
    ("متابعيه البالغ عددهم 201 مليون", {"201000000"}),
    ("twenty-five per cent of one hundred and twenty people", {"25", "120"}),
    ("3.8 million and ٤٬٢٠٠", {"3800000", "4200"}),
    ("إحدى عشرة مرة", {"11"}),
    ("الحادية عشرة", {"11"}),
    ("عشرة آلاف دولار", {"10000"}),
    ("مئتي ألف متظاهر", {"200000"}),
    ("مليار ومئتي مليون", {"1200000000"}),
    ("خمسة وعشرين في المئة", {"25"}),
    ("سبعمائة وخمسين ألفاً", {"750000"}),
    ("ثلاث مئة وخمسون", {"350"}),
    ("نصف مليون", {"500000"}),
    ("ربع الميزانية", {"25"}),
    ("a quarter of the budget", {"25"}),
    ("ثلثا الأصوات", {"66.7"}),
    ("two-thirds of the votes", {"66.7"}),
    ("قال الرئيس إن الشركة دفعت", set()),
    ("وقال متحدث باسم ميتا", set()),  # folded, "مئتا" (two hundred) is "ميتا" (Meta)
    ("الدائرة الرابعة عشرة", set()),  # an ordinal: the fourteenth
    ("ويمكننا أن نصف الوحدات", set()),  # "نصف" the verb: "that we describe"
    ("حوالي مليون ومتين ألف ريال", {"1200000"}),  # Gulf "متين": two hundred
    ("بين الناخبين دون الثلاثين", {"30"}),  # with the article
    ("أعضاء المجلس الأحد عشر", {"11"}),
    ("عشرات الملايين من الدولارات", set()),  # many, not a number
    ("آلاف الناس", set()),
])
def test_numbers_in_any_wording(text: str, expected: set[str]) -> None:
    assert numbers(text) == expected


@pytest.mark.parametrize(("query", "item", "share"), [
    ("more than 200 million followers and 41,500 dollars", "201 million followers, $41,500", 1.0),
    ("20 and 30 percent", "25 percent", 0.0),
    ("one figure: 12", "12", None),
])
def test_figures_agree_with_tolerance(query: str, item: str, share: float | None) -> None:
    assert agreement(values(query), values(item)) == share


def test_the_migration_computes_stored_anchors_again(tmp_path: Path) -> None:
    """Items stored under the older anchors (bank_0002) get today's, from their text (bank_0003)."""
    from sqlalchemy import select, text, update

    from leakwarden.signals.bank.repository import Banks
    from leakwarden.signals.bank.tables import ItemRow
    from leakwarden.store.db import Database

    url = f"sqlite:///{tmp_path}/bank.db"
    db = Database(url)
    banks = Banks(db, None)
    banks.create("leaks", "hack-and-leak")
    banks.add_text("leaks", "مذكرة الشركة إلى الرئيس: عقد كليبنشتاين مع شركة الريان بمئتي ألف دولار",
                   item_id="memo")
    with db.session() as s:
        fresh = s.execute(select(ItemRow.anchors, ItemRow.names, ItemRow.numbers)).one()
        assert fresh.numbers  # "بمئتي ألف" = 200000
        s.execute(update(ItemRow).values(anchors="0" * 16, names="0" * 16, numbers=""))
        s.execute(text("UPDATE alembic_version SET version_num = 'bank_0002' WHERE version_num = 'bank_0003'"))
    db.dispose()
    again = Database(url)
    with again.session() as s:
        assert tuple(s.execute(select(ItemRow.anchors, ItemRow.names, ItemRow.numbers)).one()) == tuple(fresh)
    again.dispose()
