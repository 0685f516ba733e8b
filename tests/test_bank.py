"""Bank: normalization, the four-stage cascade, incremental updates, exchange, detector."""

from __future__ import annotations

import hashlib
import json
import re
import resource
import time
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from leakwarden.errors import Conflict, InvalidInput, NotFound
from leakwarden.model import Subject, SubjectKind
from leakwarden.signals.bank import minhash
from leakwarden.signals.bank.detector import BankDetector
from leakwarden.signals.bank.exchange import export_bank, import_lines
from leakwarden.signals.bank.index import BankIndex
from leakwarden.signals.bank.normalize import normalized
from leakwarden.signals.bank.numbers import numbers
from leakwarden.signals.bank.repository import Banks
from leakwarden.signals.bank.sketch import sketch
from leakwarden.store.db import Database

DOSSIER = (
    "Prepared for the Committee by Ridgeline Strategies on 3 March 2025. Marisol Trent, 47, has "
    "represented the 14th District on the Brannock County Board since 2019. She lives at 2218 "
    "Willowmere Lane in Easton Falls with her husband Gregory. County payroll records list a Social "
    "Security number ending in 4471. Between January 2021 and August 2023 Trent voted eleven times on "
    "contracts awarded to Halden Paving, a firm in which her brother-in-law holds a 30 percent stake. "
    "She disclosed the relationship only once, in a meeting on 14 June 2022. The contracts totaled "
    "$3.8 million. Her 2022 campaign accepted $41,500 from nineteen employees of Halden Paving within "
    "a nine-day window in October."
)
OTHER = (
    "Minutes of the harbour authority meeting. The board reviewed the dredging schedule for the north "
    "channel and approved a budget of 2.1 million for new navigation buoys. Ferry operators asked for "
    "longer berthing windows during the summer season, and the board agreed to publish a revised "
    "timetable before the end of April after consulting the fishing cooperative."
)


class BagEmbedder:
    """A deterministic stand-in for tests of plumbing: hashed bag of words (no cross-lingual power)."""

    name = "test:bag"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in normalized(t).split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1
        out += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def db(any_db_url: str) -> Database:
    return Database(any_db_url)


@pytest.fixture
def banks(db: Database) -> Banks:
    b = Banks(db, embed=False)
    b.create("leaks", "hack-and-leak, state-backed", "test bank")
    b.add_text("leaks", DOSSIER, item_id="dossier")
    b.add_text("leaks", OTHER, item_id="harbour")
    return b


@pytest.mark.parametrize(("a", "b"), [
    ("Hello,   WORLD!", "hello world"),
    ("مُحَمَّدٌ إبراهيم", "محمد ابراهيم"),
    ("دفع ٤٬٢٠٠ دولار في ٢٠٢٣", "دفع 4200 دولار في 2023"),
    ("ـمحمــد", "محمد"),
    ("fiancée—café", "fiancée café"),
])
def test_normalized_folds_decoration(a: str, b: str) -> None:
    assert normalized(a) == normalized(b)


@pytest.mark.parametrize(("text", "expected"), [
    ("$3.8 million and 41,500", {"3800000", "41500"}),
    ("3.8 مليون و ٤١٬٥٠٠", {"3800000", "41500"}),
    ("75 ألف دولار", {"75000"}),
    ("voted eleven times", {"11"}),
    ("إحدى عشرة مرة", {"11"}),
    ("item 3 of 4", set()),
])
def test_numbers_agree_across_scripts(text: str, expected: set[str]) -> None:
    assert numbers(text) == expected


def _methods(index: BankIndex, text: str) -> dict[str, str]:
    return {m.item: m.method for m in index.match(text)}


@pytest.mark.parametrize("text", [
    "a", "hello", "hello!", "The candidate's home address is 1420 Maple Drive, Springfield.",
    "عنوان منزل المرشح هو ١٤٢٠ شارع القيقب، سبرينغفيلد", "tion tion tion tion tion", DOSSIER, OTHER + " " + DOSSIER,
])
def test_signature_is_datasketchs_affine32_minhash(text: str) -> None:
    """The recipe other platforms compute with datasketch (exchange format): the fast path must
    give the same 128 values, repeated shingles and the memo of common ones included."""
    norm = normalized(text)
    grams = [norm[i : i + minhash.SHINGLE] for i in range(max(1, len(norm) - minhash.SHINGLE + 1))]
    reference = MinHash(num_perm=minhash.NUM_PERM, seed=minhash.SEED, scheme="affine32")
    reference.update_batch([g.encode("utf-8") for g in grams])
    for _ in range(2):  # the second time from the memo
        ours = minhash.signature(text)
        assert ours is not None and ours.dtype == np.uint32
        assert ours.tolist() == np.asarray(reference.hashvalues, dtype=np.uint32).tolist()


def test_a_text_without_words_has_no_signature() -> None:
    assert minhash.signature("  ...  ") is None


@pytest.mark.parametrize(("variant", "method"), [
    (DOSSIER, "exact"),
    ("  " + DOSSIER.upper().replace(", ", " , ").replace(". ", " ;\n\n"), "exact"),
    (DOSSIER.replace("Trent", "Trent,").replace("  ", " ") + " Share this.", "near_duplicate"),
    (DOSSIER.replace("eleven", "11").replace("nineteen", "19").replace("nine-day", "nine day"),
     "near_duplicate"),
])
def test_copies_match_exact_or_near_duplicate(banks: Banks, db: Database, variant: str, method: str) -> None:
    index = BankIndex(db)
    got = _methods(index, variant)
    assert got == {"dossier": method}


def test_excerpt_is_located_in_both_texts(banks: Banks, db: Database) -> None:
    quote = DOSSIER[DOSSIER.index("She lives at"):DOSSIER.index(" on contracts awarded")]
    post = f"Wow, look what the leak says: \"{quote}\" Unbelievable, share before it is deleted!"
    [m] = BankIndex(db).match(post)
    assert (m.item, m.method, m.label) == ("dossier", "excerpt", "hack-and-leak, state-backed")
    [p] = m.passages
    assert p["query"]["text"].startswith("She lives at") and p["query"]["text"] in quote
    assert post[p["query"]["start"]:p["query"]["end"]] == p["query"]["text"]
    assert DOSSIER[p["item"]["start"]:p["item"]["end"]] == p["query"]["text"]
    assert p["words"] >= 25


@pytest.mark.parametrize("text", [
    "Lovely weather at the harbour today, the ferries are running on time.",
    "Marisol Trent will speak at the county fair on Saturday.",
    "",
    "!!! ??? ...",
])
def test_unrelated_and_short_texts_do_not_match(banks: Banks, db: Database, text: str) -> None:
    emb = BagEmbedder()
    assert BankIndex(db, emb).match(text) == []
    assert emb.calls == 0  # gated: short texts never pay for embeddings


def test_disable_enable_remove(banks: Banks, db: Database) -> None:
    index = BankIndex(db, poll_interval=0)
    assert _methods(index, DOSSIER) == {"dossier": "exact"}
    banks.disable("leaks", "dossier")
    assert _methods(index, DOSSIER) == {}
    banks.enable("leaks", "dossier")
    assert _methods(index, DOSSIER) == {"dossier": "exact"}
    banks.remove("leaks", "dossier")
    assert _methods(index, DOSSIER) == {}
    assert [i.id for i in banks.items("leaks")] == ["harbour"]


def test_new_item_is_matchable_within_a_second_from_another_index(banks: Banks, db: Database) -> None:
    other_process_view = BankIndex(Database(db.url))
    other_process_view.refresh(force=True)
    fresh = "A new leaked memo about the reservoir contract signed on 9 May 2024 for 7.5 million dollars."
    banks.add_text("leaks", fresh, item_id="memo")
    time.sleep(other_process_view.poll_interval + 0.05)
    loaded_before = len(other_process_view.items)
    assert _methods(other_process_view, fresh) == {"memo": "exact"}
    assert len(other_process_view.items) == loaded_before + 1  # incremental: one row loaded


def test_reload_does_not_grow_memory(banks: Banks, db: Database) -> None:
    for i in range(30):
        banks.add_text("leaks", f"{OTHER} Extra paragraph number {i} with different words {i * 7}.",
                       item_id=f"o{i}")
    index = BankIndex(db, BagEmbedder())
    index.reload()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(40):
        index.reload()
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    assert grown_kb < 20_000
    assert len(index.items) == 32


def test_added_since_lists_new_enabled_items(banks: Banks) -> None:
    from datetime import timedelta

    [first, _] = banks.items("leaks")
    later = banks.add_text("leaks", "A later leaked memo about the dam inspection on 4 May.", item_id="late")
    assert [i.id for i in banks.added_since(first.added_at)] == ["dossier", "harbour", "late"]
    assert [i.id for i in banks.added_since(later.added_at)] == ["late"]
    banks.disable("leaks", "late")
    assert banks.added_since(later.added_at + timedelta(seconds=-0.001)) == []


def test_bad_input_is_a_clear_error(banks: Banks) -> None:
    with pytest.raises(InvalidInput):
        banks.create("bad name!", "x")
    with pytest.raises(InvalidInput):
        banks.create("ok", "")
    with pytest.raises(Conflict):
        banks.create("leaks", "again")
    with pytest.raises(NotFound):
        banks.add_text("nope", DOSSIER)
    with pytest.raises(InvalidInput):
        banks.add_text("leaks", "   ")
    with pytest.raises(Conflict):
        banks.add_text("leaks", OTHER + " x", item_id="harbour")
    with pytest.raises(NotFound):
        banks.disable("leaks", "missing")


def test_add_file_text_html_pdf_and_reject_binary(banks: Banks, tmp_path: Path) -> None:
    html = tmp_path / "leak.html"
    html.write_text(f"<html><body><article><p>{OTHER}</p></article></body></html>", encoding="utf-8")
    info = banks.add_file("leaks", html, item_id="html")
    assert info.words > 40 and info.source == "file"
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(InvalidInput):
        banks.add_file("leaks", binary)
    with pytest.raises(InvalidInput):
        banks.add_file("leaks", tmp_path / "missing.pdf")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(InvalidInput):
        banks.add_file("leaks", broken)


def test_export_import_matches_without_text(banks: Banks, tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in export_bank(banks, "leaks")]
    assert "Willowmere" not in "\n".join(lines)  # no text is shared
    other = Database(f"sqlite:///{tmp_path}/other.db")
    result = import_lines(Banks(other, embed=False), lines, bank="partner")
    assert result == {"bank": "partner", "added": 2}
    index = BankIndex(other)
    assert _methods(index, DOSSIER) == {"dossier": "exact"}
    assert _methods(index, DOSSIER + " Please share.") == {"dossier": "near_duplicate"}
    quote = DOSSIER[DOSSIER.index("She lives at"):DOSSIER.index(" on contracts awarded")]
    [m] = index.match("Read this: " + quote + " Crazy times, what do you all think about it?")
    assert m.method == "excerpt" and m.passages[0]["item"]["text"] is None
    # the anchors travel as hashes: an imported item is a stage-4 candidate for a text naming its people
    text = "Marisol Trent, Halden Paving and Gregory of Easton Falls are in the news again this week, folks."
    got = index.anchor_candidates(sketch(text))
    dossier = next(rid for rid, meta in index.items.items() if meta.item == "dossier")
    assert got[dossier][0] >= 4  # the text's names among the imported item's words


HEADER = ("RIDGELINE STRATEGIES. Privileged and confidential: prepared for the client named below and for "
          "no one else. Do not copy, forward or quote any part of this memorandum outside the campaign's "
          "senior staff, and destroy every printed copy after the meeting.")


def _template_bank(db: Database, *items: tuple[str, str]) -> BankIndex:
    banks = Banks(db, embed=False)
    banks.create("leaks", "hack-and-leak, state-backed")
    for item_id, text in items:
        banks.add_text("leaks", text, item_id=item_id)
    return BankIndex(db)


MEMO_A = (HEADER + " Subject: Marisol Trent. " + DOSSIER)
MEMO_B = (HEADER + " Subject: Owen Castellano. Castellano has lived in Brannock County since 2008 and ran the "
          "county's largest plumbing supply firm until he sold it to his cousin. His campaign has raised money "
          "mostly from builders in the northern townships, and he has promised to cut the stormwater levy.")
OTHER_MEMO = (HEADER + " Subject: Lorraine Okafor. Okafor chaired the ethics panel for six years and is known "
              "for long written opinions. She has never run for office herself, and the firm's interviews "
              "with her former colleagues describe a careful, slow and independent panel chair who read "
              "every filing twice and rarely sided with either party on the board. Her husband teaches "
              "music at the community college, and her daughter works for a bank in the capital. None of "
              "the people interviewed could recall a single vote of hers that favoured a donor, a friend "
              "or a business partner, and the firm found nothing in the public record to use against her.")


SHORT_MEMO = HEADER + " Subject: Lorraine Okafor, the careful chair of the ethics panel."


@pytest.mark.parametrize(("items", "copied"), [
    ((("memo-a", MEMO_A),), True),  # one item: the header is all we know of it, so it is a copy
    ((("memo-a", MEMO_A), ("memo-b", MEMO_B)), False),  # two items share it: boilerplate
])
def test_a_header_that_items_share_is_boilerplate_not_a_copy(any_db_url: str, items: tuple[tuple[str, str], ...],
                                                             copied: bool) -> None:
    index = _template_bank(Database(any_db_url), *items)
    assert bool(index.match(SHORT_MEMO, semantic=False)) is copied
    quote = DOSSIER[DOSSIER.index("She lives at"):DOSSIER.index(" on contracts awarded")]
    [m] = index.match("Unbelievable: " + quote + " Share before it is deleted!", semantic=False)
    assert (m.item, m.method) == ("memo-a", "excerpt")  # content is still a copy


def test_the_same_document_banked_twice_is_no_template(any_db_url: str) -> None:
    index = _template_bank(Database(any_db_url), ("memo-a", MEMO_A), ("memo-a-pdf", MEMO_A + " Page 1 of 1."))
    assert {m.item for m in index.match(SHORT_MEMO, semantic=False)} == {"memo-a", "memo-a-pdf"}


@pytest.mark.parametrize(("query", "copied"), [
    (OTHER_MEMO, False),  # another memo of the template: the header in 80+ words of its own
    ("Leaked header of the Trent file: " + HEADER, True),  # a post that quotes it is an excerpt
])
def test_a_template_header_inside_a_longer_document_is_not_an_excerpt(any_db_url: str, query: str,
                                                                      copied: bool) -> None:
    index = _template_bank(Database(any_db_url), ("memo-a", MEMO_A))
    assert bool(index.match(query, semantic=False)) is copied


def test_items_stored_before_anchors_get_them_from_their_text(banks: Banks, db: Database) -> None:
    from sqlalchemy import update

    from leakwarden.signals.bank.tables import ItemRow

    with db.session() as s:
        s.execute(update(ItemRow).values(anchors=None, names=None))
    index = BankIndex(db)
    index.refresh(force=True)
    text = "Marisol Trent, Halden Paving and Gregory of Easton Falls are in the news again this week, folks."
    dossier = next(rid for rid, meta in index.items.items() if meta.item == "dossier")
    assert index.anchor_candidates(sketch(text))[dossier][0] >= 4


@pytest.mark.parametrize("bad", ["", "not json", json.dumps({"type": "item"}), json.dumps([1])])
def test_import_rejects_malformed_files(db: Database, bad: str) -> None:
    with pytest.raises(InvalidInput):
        import_lines(Banks(db, embed=False), [bad])


def test_detector_emits_bank_signals(banks: Banks, db: Database) -> None:
    det = BankDetector(db, use_embedder=False)
    [sig] = det.detect(Subject(kind=SubjectKind.PAGE, text=DOSSIER, path=["post", "https://x/p"]))
    assert sig.kind == "bank" and sig.strength == 1.0
    assert sig.attrs == {"bank": "leaks", "item": "dossier", "method": "exact",
                         "label": "hack-and-leak, state-backed", "review": False}
    assert sig.evidence[0].item == "leaks/dossier" and sig.evidence[0].passages
    assert det.detect(Subject(kind=SubjectKind.LINK, url="https://x")) == []


HEADER = DOSSIER[: DOSSIER.index(" County payroll")]  # 37 words of the dossier's opening


@pytest.mark.parametrize(("text", "is_excerpt"), [
    # a post quoting the opening, with commentary and one number of its own
    (f"Leaked today: \"{HEADER}\" Twenty people shared this in an hour. Outrageous, read it all.", True),
    # a different story that reuses the opening, then states other figures (opposite facts)
    (HEADER + " The ethics panel cleared her on 17 November 2024 after reviewing two contracts worth "
     "$610,000, both approved 6-0 while she was out of the room, and four donations totaling $6,200. "
     "The panel chair said the record was clean and no further review is planned for this year. "
     "Her brother-in-law sold his 12 percent share in March 2018, before she joined the board.", False),
])
def test_excerpt_with_contradicting_figures_is_left_to_stage_4(banks: Banks, db: Database, text: str,
                                                               is_excerpt: bool) -> None:
    got = _methods(BankIndex(db), text)
    assert got == ({"dossier": "excerpt"} if is_excerpt else {})


def test_the_candidates_closest_by_document_vector_are_verified_not_those_with_most_anchors(db: Database) -> None:
    """More items pass the anchor gate than stage 4 verifies (``max_candidates``): the text is
    embedded once, and the items whose document vectors are closest to it are verified. Decoys that
    share more of the text's names (the anchors) but none of its content are left out."""
    from dataclasses import replace

    from leakwarden.signals.bank.index import gate_value
    from leakwarden.signals.bank.thresholds import DEFAULT

    emb = BagEmbedder()
    b = Banks(db, emb)
    b.create("leaks", "hack-and-leak", "test bank")
    b.add_text("leaks", DOSSIER, item_id="dossier")
    crowd = ("Reporters Okafor, Bellwether, Lindqvist and Marchetti asked Marisol Trent of Easton Falls, "
             "Gregory of Willowmere Lane, Ridgeline Strategies and Halden Paving of Brannock County")
    for i, topic in enumerate(["the ferry timetable", "a school roof", "the library hours", "snow clearing",
                               "a football pitch", "bus shelters"]):
        b.add_text("leaks", f"{crowd} about {topic}. The answer on {topic} comes in week {i + 20}.",
                   item_id=f"decoy{i}")
    index = BankIndex(db, emb, thresholds=replace(DEFAULT, max_candidates=2))
    index.refresh(force=True)
    rid = {m.item: r for r, m in index.items.items()}
    query = f"{crowd} on Monday. " + re.sub(r"[\d$,.]+ ", "", DOSSIER)  # its figures left out
    sk = sketch(query)
    candidates = index.anchor_candidates(sk)
    assert len(candidates) == 7
    assert all(gate_value(candidates[rid[f"decoy{i}"]]) > gate_value(candidates[rid["dossier"]]) for i in range(6))
    verified = {index.items[r].item: m for r, m, _ok in index.semantic_verdicts(sk, candidates)}
    assert len(verified) == 2 and "dossier" in verified
    assert verified["dossier"].details["document"] > max(m.details["document"] for k, m in verified.items()
                                                         if k != "dossier")
